package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// failingRun is a run whose one check fails at once (lab DNS, unknown name).
func failingRun(t *testing.T, extra ...string) []string {
	d := startLabDNS(t)
	eps := filepath.Join(t.TempDir(), "eps.yaml")
	os.WriteFile(eps, []byte("entries:\n  - {name: absent.lab.test, ports: [443]}\n"), 0o644)
	return append([]string{"run", "--endpoints-only", "--endpoints", eps, "--dns-server", d.Addr, "--timeout", "2s", "--quiet"}, extra...)
}

// A log file that cannot be written (a full disk: /dev/full) is an error naming it.
func TestLogFileWriteErrorIsAnError(t *testing.T) {
	r := runBin(t, nil, failingRun(t, "--log-file", "/dev/full")...)
	if r.code != 2 || !strings.Contains(r.stderr, "--log-file /dev/full") || !strings.Contains(r.stderr, "no space left") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// An --output into a read-only folder is refused before any probe, naming the folder.
func TestOutputIntoReadOnlyFolderIsRefused(t *testing.T) {
	dir := t.TempDir()
	out := "json=" + filepath.Join(dir, "r.json")
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		// root writes through permissions: a read-only bind mount in a private mount namespace.
		script := `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"`
		cmd = exec.Command("unshare", append([]string{"-m", "sh", "-c", script, "sh", dir, binPath}, failingRun(t, "--output", out)...)...)
	} else {
		os.Chmod(dir, 0o555)
		defer os.Chmod(dir, 0o755)
		cmd = exec.Command(binPath, failingRun(t, "--output", out)...)
	}
	b, err := cmd.CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 2 || !strings.Contains(string(b), "cannot write in the folder "+dir) {
		t.Errorf("err %v, output %q", err, b)
	}
	if strings.Contains(string(b), "absent.lab.test") {
		t.Errorf("probed before refusing: %q", b)
	}
}

// A waiver that matches no finding (a typo in its rule) is a warning in the report and on
// the terminal, naming its file:line.
func TestUnusedWaiverIsReported(t *testing.T) {
	w := filepath.Join(t.TempDir(), "waivers.yaml")
	os.WriteFile(w, []byte("waivers:\n  - {rule: scp.endpoint_reachabel, target: \"absent.lab.test:443\", reason: CHG-1, owner: net, expires: 2099-01-01}\n"), 0o644)
	args := failingRun(t, "--waivers", w)
	r := runBin(t, nil, args...)
	if r.code != 1 || r.doc == nil {
		t.Fatalf("exit %d; stderr %s", r.code, r.stderr)
	}
	found := false
	for _, f := range r.doc.Verdict.Warn {
		found = found || (f.Rule == "waiver.unused" && strings.Contains(f.Message, "scp.endpoint_reachabel") && strings.HasSuffix(f.Source, "waivers.yaml:2"))
	}
	if !found {
		t.Errorf("no waiver.unused warning: %+v", r.doc.Verdict.Warn)
	}
	args[len(args)-3] = "--verbose" // replaces --quiet: the terminal shows it too
	if r := runBin(t, nil, args...); !strings.Contains(r.stdout, "Waiver unused") {
		t.Errorf("terminal summary lacks the unused waiver:\n%s", r.stdout)
	}
}

// Site flags without site facts exit 2 naming the flags and what is missing, instead of a
// silently compliant run.
func TestSiteFlagsWithoutSiteFactsAreRefused(t *testing.T) {
	r := runBin(t, nil, "run", "--install-account", `CONTOSO\cminstall`, "--scp-server", "scp01.contoso.com", "--smb-port", "4445", "--quiet")
	if r.code != 2 || !strings.Contains(r.stderr, "--scp-server, --install-account, --smb-port: the site checks need the site facts too: add --inventory DIR") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}
