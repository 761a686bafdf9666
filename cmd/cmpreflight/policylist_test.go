package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `policy list` through the binary: every built-in rule with its metadata in each format,
// a user's annotated rule with --policy, and exit 2 naming the flag or file on bad input.
func TestPolicyListThroughTheBinary(t *testing.T) {
	table := runBin(t, nil, "policy", "list")
	if table.code != 0 || !strings.Contains(table.stdout, "scp.tls12") || !strings.Contains(table.stdout, "TLS 1.2 or later") ||
		!strings.Contains(table.stdout, "waiver.expired") || !strings.Contains(table.stdout, "https://learn.microsoft.com/") {
		t.Fatalf("table: exit %d\n%s%s", table.code, table.stdout, table.stderr)
	}

	js := runBin(t, nil, "policy", "list", "--format", "json")
	var out struct {
		Rules []struct {
			ID, Title, Description, Remediation, Severity, Origin string
			Sources                                               []struct{ Key, URL, Date string }
		}
	}
	if js.code != 0 || json.Unmarshal([]byte(js.stdout), &out) != nil || len(out.Rules) < 25 {
		t.Fatalf("json: exit %d, %d rules\n%s", js.code, len(out.Rules), js.stderr)
	}
	for _, r := range out.Rules {
		if r.Title == "" || r.Description == "" || r.Severity == "" || !strings.HasPrefix(r.Origin, "policies/builtin/") {
			t.Errorf("rule without metadata: %+v", r)
		}
		for _, s := range r.Sources {
			if s.URL == "" || s.Date == "" {
				t.Errorf("%s: source %s not resolved", r.ID, s.Key)
			}
		}
	}

	md := runBin(t, nil, "policy", "list", "--format", "markdown")
	if md.code != 0 || !strings.Contains(md.stdout, "## scp.tls12") || !strings.Contains(md.stdout, "**Sources:** [KB4561945: ") {
		t.Errorf("markdown: exit %d\n%s", md.code, md.stdout)
	}

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "mine.rego"), []byte(`package cmpreflight.mine

# METADATA
# title: Slow endpoint
# description: A check that took more than 2 s.
# custom:
#   id: mine.slow
#   severity: warn
warn contains {"rule": "mine.slow", "message": c.id} if {
	some c in input.checks
	c.timings.total > 2000
}
`), 0o644)
	user := runBin(t, nil, "policy", "list", "--policy", dir)
	if user.code != 0 || !strings.Contains(user.stdout, "mine.slow") || !strings.Contains(user.stdout, "Slow endpoint") {
		t.Errorf("--policy: exit %d\n%s%s", user.code, user.stdout, user.stderr)
	}

	os.WriteFile(filepath.Join(dir, "bad.rego"), []byte("package cmpreflight.bad\n\n# METADATA\n# custom:\n#   id: bad.one\ndeny contains \"x\" if false\n"), 0o644)
	for name, args := range map[string][]string{
		"--format": {"policy", "list", "--format", "html"},
		"bad.rego": {"policy", "list", "--policy", dir},
		"missing":  {"policy", "list", "--policy", filepath.Join(dir, "missing")},
	} {
		r := runBin(t, nil, args...)
		if r.code != 2 || !strings.Contains(r.stderr, name) || r.stdout != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want 2 naming %s and nothing written", args, r.code, r.stderr, r.stdout, name)
		}
	}
}
