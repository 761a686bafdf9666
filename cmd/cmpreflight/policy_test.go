package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/internal/lab"
)

// The policy issue's acceptance through the binary: a 5-line user policy fails the run with
// its message, a waiver before its date turns the deny into waived (exit 0) and after its date
// does not, and a syntax error exits 2 naming file and line.
func TestUserPolicyAndWaiversThroughTheBinary(t *testing.T) {
	l := startCatalogLab(t)
	l.web.Handle("slow.lab.test", lab.Route{Delay: 2200 * 1e6})
	l.dns.A("slow.lab.test", l.web.IP)
	eps := writeEndpoints(t, l.dir, "slow.lab.test")
	pol := filepath.Join(l.dir, "pol")
	os.Mkdir(pol, 0o755)
	os.WriteFile(filepath.Join(pol, "slow.rego"), []byte(`package cmpreflight.mine

deny contains msg if {
	some c in input.checks
	c.timings.total > 2000
	msg := sprintf("%s took %d ms", [c.id, c.timings.total])
}
`), 0o644)
	r := runBin(t, nil, l.args("--endpoints-only", "--endpoints", eps, "--policy", pol)...)
	if r.code != 1 || len(r.doc.Verdict.Deny) != 1 || !strings.Contains(r.doc.Verdict.Deny[0].Message, "slow.lab.test:443 took") {
		t.Fatalf("user policy: exit %d, deny %+v", r.code, r.doc.Verdict.Deny)
	}
	waivers := filepath.Join(l.dir, "waivers.yaml")
	os.WriteFile(waivers, []byte("waivers:\n  - rule: cmpreflight.mine\n    target: \"*\"\n    reason: \"CHG-1: slow link until the upgrade\"\n    owner: net@contoso.com\n    expires: 2027-01-31\n"), 0o644)
	before := runBin(t, []string{"CMPREFLIGHT_NOW=2027-01-15T00:00:00Z"}, l.args("--endpoints-only", "--endpoints", eps, "--policy", pol, "--waivers", waivers)...)
	if before.code != 0 || len(before.doc.Verdict.Waived) != 1 || before.doc.Verdict.Waived[0].Waiver.Owner != "net@contoso.com" {
		t.Errorf("before expiry: exit %d, verdict %+v", before.code, before.doc.Verdict)
	}
	after := runBin(t, []string{"CMPREFLIGHT_NOW=2027-02-01T00:00:00Z"}, l.args("--endpoints-only", "--endpoints", eps, "--policy", pol, "--waivers", waivers)...)
	expiredWarn := false
	for _, w := range after.doc.Verdict.Warn {
		expiredWarn = expiredWarn || w.Rule == "waiver.expired"
	}
	if after.code != 1 || len(after.doc.Verdict.Deny) != 1 || !expiredWarn {
		t.Errorf("after expiry: exit %d, verdict %+v", after.code, after.doc.Verdict)
	}
	// --fail-on warn turns the expired-waiver warning alone into a failing gate.
	os.WriteFile(filepath.Join(pol, "slow.rego"), []byte("package cmpreflight.mine\n\nwarn contains \"always\" if { true }\n"), 0o644)
	gate := runBin(t, nil, l.args("--endpoints-only", "--endpoints", eps, "--policy", pol, "--fail-on", "warn")...)
	if gate.code != 1 {
		t.Errorf("--fail-on warn with a warning: exit %d", gate.code)
	}
	os.WriteFile(filepath.Join(pol, "slow.rego"), []byte("package cmpreflight.mine\n\ndeny contains msg if {\n\tmsg := \n}\n"), 0o644)
	bad := runBin(t, nil, l.args("--endpoints-only", "--endpoints", eps, "--policy", pol)...)
	if bad.code != 2 || !strings.Contains(bad.stderr, "slow.rego:") {
		t.Errorf("syntax error: exit %d, stderr %s", bad.code, bad.stderr)
	}
	if bad.doc != nil {
		t.Errorf("a run whose policy does not compile wrote a report")
	}

	// policy test: built-ins pass; a failing user test exits 1.
	ok := runBin(t, nil, "policy", "test")
	if ok.code != 0 || !strings.Contains(ok.stdout, "passed") {
		t.Errorf("policy test: exit %d\n%s%s", ok.code, ok.stdout, ok.stderr)
	}
	tests := filepath.Join(l.dir, "tests")
	os.Mkdir(tests, 0o755)
	os.WriteFile(filepath.Join(tests, "mine.rego"), []byte("package cmpreflight.t\n\nx := 1\n"), 0o644)
	os.WriteFile(filepath.Join(tests, "mine_test.rego"), []byte("package cmpreflight.t_test\n\nimport data.cmpreflight.t\n\ntest_x if { t.x == 2 }\n"), 0o644)
	if f := runBin(t, nil, "policy", "test", tests); f.code != 1 {
		t.Errorf("a failing user test: exit %d\n%s%s", f.code, f.stdout, f.stderr)
	}
}

// A saved report renders again in every format, and the catalog prints as JSON and CSV.
func TestReportConvertAndEndpointsFormats(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("..", "..", "reports", "testdata")
	matches, _ := filepath.Glob(filepath.Join(src, "*.json"))
	if len(matches) == 0 {
		t.Fatal("no JSON report fixture in reports/testdata")
	}
	var in string
	for _, m := range matches {
		if b, _ := os.ReadFile(m); strings.Contains(string(b), `"schemaVersion"`) {
			in = m
			break
		}
	}
	r := runBin(t, nil, "report", "convert", "--in", in, "--output", "html="+filepath.Join(dir, "r.html"), "--output", "sarif="+filepath.Join(dir, "r.sarif"))
	if r.code != 0 {
		t.Fatalf("convert: exit %d %s", r.code, r.stderr)
	}
	for _, f := range []string{"r.html", "r.sarif"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	if bad := runBin(t, nil, "report", "convert", "--in", filepath.Join(dir, "r.html")); bad.code != 2 || !strings.Contains(bad.stderr, "r.html") {
		t.Errorf("converting a non-report: exit %d %s", bad.code, bad.stderr)
	}
	j := runBin(t, nil, "endpoints", "--format", "json", "--edition", "seed")
	var cat struct {
		Entries []struct{ Name string }
		Checks  []struct {
			ID       string
			Required bool
		}
	}
	if err := json.Unmarshal([]byte(j.stdout), &cat); err != nil || len(cat.Entries) < 50 {
		t.Fatalf("endpoints json: %v (%d entries)", err, len(cat.Entries))
	}
	req := 0
	for _, c := range cat.Checks {
		if c.ID == "sccmconnected-a01.cloudapp.net:80" && !c.Required {
			t.Error("the seed edition requires port 80 for every location")
		}
		if c.Required {
			req++
		}
	}
	c := runBin(t, nil, "endpoints", "--format", "csv")
	if lines := strings.Split(strings.TrimSpace(c.stdout), "\n"); len(lines) != len(cat.Entries)+1 || !strings.HasPrefix(lines[0], "name,kind,ports") {
		t.Errorf("csv: %d lines for %d entries", len(lines), len(cat.Entries))
	}
}
