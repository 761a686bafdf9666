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
