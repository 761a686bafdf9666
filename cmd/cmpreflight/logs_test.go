package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/facts"
)

// The role's logs feed the run's facts, and a built-in policy warns on their error findings.
func TestRunWithRoleLogsReportsFindingsAndWarns(t *testing.T) {
	logs := filepath.Join("..", "..", "checks", "cmlogs", "testdata", "logs")
	html := filepath.Join(t.TempDir(), "r.html")
	r := runBin(t, []string{"CMPREFLIGHT_NOW=2023-07-20T00:00:00Z"}, "run", "--checks", "logs", "--cm-logs", logs, "--quiet", "--output", "html="+html)
	if r.doc == nil {
		t.Fatalf("no report: exit %d %s", r.code, r.stderr)
	}
	found := map[string]facts.LogFinding{}
	for _, f := range r.doc.LogFindings {
		found[f.Signature] = f
	}
	for _, sig := range []string{"tls.trust", "proxy.auth"} {
		f, ok := found[sig]
		if !ok || f.Count == 0 || f.FirstSeen.IsZero() || f.LastSeen.Before(f.FirstSeen) || f.Remediation == "" {
			t.Errorf("%s: %+v", sig, f)
		}
	}
	warned := map[string]bool{}
	for _, w := range r.doc.Verdict.Warn {
		if w.Rule == "scp.log_finding" {
			for _, c := range w.Checks {
				warned[c] = true
			}
		}
	}
	if !warned["log/tls.trust"] || !warned["log/proxy.auth"] {
		t.Errorf("no scp.log_finding warning for the TLS trust failure and the 407: %+v", r.doc.Verdict.Warn)
	}
	if len(r.doc.Checks) != 0 || r.doc.Families[0] != "logs" {
		t.Errorf("a logs-only run probed the network: %d checks, families %v", len(r.doc.Checks), r.doc.Families)
	}

	a := runBin(t, nil, "logs", "analyze", logs)
	if a.code != 1 || !strings.Contains(a.stdout, "tls.trust") || !strings.Contains(a.stdout, "(reference: KB3187516)") {
		t.Errorf("logs analyze: exit %d\n%s%s", a.code, a.stdout, a.stderr)
	}
}
