package main

import (
	"strings"
	"testing"
)

// Help goes to stdout, grouped by topic, with value names, examples and exit codes.
func TestHelpOnStdoutGrouped(t *testing.T) {
	r := runBin(t, nil, "run", "--help")
	code, out, errOut := r.code, r.stdout, r.stderr
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	last := -1
	for _, want := range []string{"Targets:", "Proxy:", "DNS and TLS:", "Site:", "Policies:", "Output:", "Examples:", "Exit codes:"} {
		i := strings.Index(out, "\n"+want+"\n")
		if i <= last {
			t.Errorf("section %q missing or out of order", want)
		}
		last = i
	}
	for _, want := range []string{"--config FILE", "--timeout DURATION", "--dns-server HOST:PORT", "--output FORMAT=PATH", "--concurrency N", "2  could not run"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	for _, goType := range []string{"stringArray", "stringSlice", " string ", " int ", " duration "} {
		if strings.Contains(out, goType) {
			t.Errorf("help shows the Go type %q", goType)
		}
	}
	if r := runBin(t, nil, "--help"); r.code != 0 || !strings.Contains(r.stdout, "run ") || !strings.Contains(r.stdout, "Exit codes:") {
		t.Errorf("cmpreflight --help: exit %d, stdout %q", r.code, r.stdout)
	}
}

func TestMistypedFlagSuggestsTheFlag(t *testing.T) {
	for typed, want := range map[string]string{"--proxi": "did you mean --proxy?", "--dns-sever": "did you mean --dns-server?", "--outptu": "did you mean --output?"} {
		r := runBin(t, nil, "run", typed, "x")
		if r.code != 2 || !strings.Contains(r.stderr, want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", typed, r.code, r.stderr, want)
		}
	}
}
