package main

import (
	"bytes"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/internal/lab"
)

// summaryOf runs the binary and returns its stdout lines, checking the one-screen contract:
// at most 40 lines, the verdict within the first 15.
func summaryOf(t *testing.T, cmd *exec.Cmd) []string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit %v, want 1; stderr %s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n")
	if len(lines) > 40 {
		t.Errorf("the summary has %d lines, want at most 40:\n%s", len(lines), stdout.String())
	}
	v := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "Verdict: NOT COMPLIANT") })
	if v < 0 || v >= 15 {
		t.Errorf("verdict at line %d, want within the first 15:\n%s", v+1, stdout.String())
	}
	return lines
}

// With no network at all (a namespace without routes), the first cause names the DNS server
// (48 checks: the SCP catalog of the 2026-06-08 page, graph.windows.net included)
// and the unreachable network, for every check at once.
func TestNoNetworkSummaryNamesTheCause(t *testing.T) {
	needRoot(t)
	cmd := exec.Command("unshare", "-n", binPath, "run", "--dns-server", "10.0.0.53:53", "--timeout", "3s")
	lines := summaryOf(t, cmd)
	out := strings.Join(lines, "\n")
	first := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, " 1. ") })
	if first < 0 || !strings.Contains(lines[first], "48 of 48 checks failed at DNS") {
		t.Fatalf("first cause is not the DNS failure of every check:\n%s", out)
	}
	cause := lines[first+1]
	if !strings.Contains(cause, "the DNS server 10.0.0.53:53") || !strings.Contains(cause, "network is unreachable") {
		t.Errorf("cause does not name the server and the unreachable network: %q", cause)
	}
	if !strings.Contains(lines[first+2], "--dns-server") {
		t.Errorf("first action does not say what to do: %q", lines[first+2])
	}
	for _, noise := range []string{"scp.other_edition", "never exercised", "bad-response"} {
		if strings.Contains(out, noise) {
			t.Errorf("summary contains %q:\n%s", noise, out)
		}
	}
	if strings.Count(out, "fail    dns/") > 15 || !strings.Contains(out, "--verbose lists every check") {
		t.Errorf("the summary should list at most 15 failing checks and point at --verbose:\n%s", out)
	}
}

// A DNS server address where nothing listens: one cause, naming the server; --verbose lists
// every check.
func TestDeadDNSServerSummary(t *testing.T) {
	ip, err := lab.AllocIP(53)
	if err != nil {
		t.Fatal(err)
	}
	server := ip + ":53"
	lines := summaryOf(t, exec.Command(binPath, "run", "--dns-server", server, "--timeout", "3s"))
	out := strings.Join(lines, "\n")
	if !strings.Contains(out, " 1. DENY 48 of 48 checks failed at DNS") || !strings.Contains(out, "the DNS server "+server) {
		t.Errorf("summary does not lead with the DNS server's failure:\n%s", out)
	}
	var verbose bytes.Buffer
	cmd := exec.Command(binPath, "run", "--dns-server", server, "--timeout", "3s", "--verbose")
	cmd.Stdout = &verbose
	cmd.Run()
	if n := strings.Count(verbose.String(), "dns/"); n != 48 || !strings.HasPrefix(verbose.String(), "Verdict: ") {
		t.Errorf("--verbose lists %d checks at DNS, want 48, verdict first:\n%s", n, verbose.String())
	}
}
