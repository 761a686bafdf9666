package preflight

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/checks/netprobe"
	"github.com/cmpreflight/cmpreflight/facts"
)

func baseOptions() Options {
	return Options{
		Profiles: []string{"scp"}, Edition: catalog.EditionCurrent, Cloud: "public", ProxyAuth: netprobe.AuthAuto,
		Timeout: time.Second, RunTimeout: time.Minute, Concurrency: 4, FailOn: "deny", Quiet: true,
		DNSServers: []string{"127.0.0.1:1"}, // never asked: the network family is off
		Now:        time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
	}
}

// Site and log facts are read at once (under -race this proves they share nothing) and both
// reach the verdict; the families keep their documented order.
func TestRunReadsSiteAndLogsTogether(t *testing.T) {
	o := baseOptions()
	o.Families = []string{"site", "logs"}
	o.Site = SiteOptions{Inventory: filepath.Join("..", "checks", "site", "testdata", "standalone"), SCPServer: "CM01.contoso.com", SMBPort: 445, RPCPort: 135}
	o.Logs = []string{filepath.Join("..", "checks", "cmlogs", "testdata", "logs")}
	doc, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Site == nil || !doc.Site.TopLevel || len(doc.LogFindings) == 0 || doc.Verdict == nil {
		t.Fatalf("site %+v, %d log findings, verdict %+v", doc.Site, len(doc.LogFindings), doc.Verdict)
	}
	if strings.Join(doc.Families, ",") != "site,logs" {
		t.Errorf("families %v", doc.Families)
	}
}

// A policy that does not compile stops the run with an error naming the file, even though
// it compiles beside the stages, and no report is written.
func TestRunBadPolicyStopsTheRun(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.rego")
	if err := os.WriteFile(bad, []byte("package cmpreflight.bad\n\ndeny contains msg if {\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o := baseOptions()
	o.Families = []string{"logs"}
	o.Logs = []string{filepath.Join("..", "checks", "cmlogs", "testdata", "logs")}
	o.PolicyPaths = []string{dir}
	out := filepath.Join(dir, "r.json")
	o.Outputs = []string{"json=" + out}
	doc, err := Run(context.Background(), o)
	if err == nil || doc != nil || !strings.Contains(err.Error(), "bad.rego") {
		t.Fatalf("doc %v, err %v; want an error naming bad.rego", doc != nil, err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a report was written: %v", err)
	}
}

func TestExitCode(t *testing.T) {
	warn := []facts.Finding{{Rule: "scp.x"}}
	for _, tc := range []struct {
		v      *facts.Verdict
		failOn string
		want   int
	}{
		{nil, "deny", 1},
		{&facts.Verdict{Compliant: true}, "deny", 0},
		{&facts.Verdict{Compliant: false}, "deny", 1},
		{&facts.Verdict{Compliant: true, Warn: warn}, "deny", 0},
		{&facts.Verdict{Compliant: true, Warn: warn}, "warn", 1},
		{&facts.Verdict{Compliant: true, Deny: warn}, "deny", 1},
	} {
		if got := ExitCode(tc.v, tc.failOn); got != tc.want {
			t.Errorf("ExitCode(%+v, %s) = %d, want %d", tc.v, tc.failOn, got, tc.want)
		}
	}
}
