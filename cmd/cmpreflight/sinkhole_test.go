package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cmpreflight/cmpreflight/checks/origin"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

// A DNS filter (dnsmasq) sends a blocked name to a block-page server (nginx) whose page is in
// German, on the direct path: port 80 answers 200 text/html with no block word a word list
// knows, and port 443 presents the filter's own certificate. Nothing proves port 80's answer
// the origin's: warn unverified-origin, never a pass; the allowed name passes, proven.
func TestDNSSinkholeGermanBlockPageIsNeverAPass(t *testing.T) {
	l := startCatalogLab(t)
	sinkIP, err := lab.AllocIP(80, 443)
	if err != nil {
		t.Fatal(err)
	}
	filterCA, err := lab.NewCA("Contoso Webfilter CA")
	if err != nil {
		t.Fatal(err)
	}
	lab.StartNginxBlockPage(t, sinkIP, `<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Contoso Webfilter</title></head>
<body><h1>Diese Seite ist nicht erreichbar</h1><p>Der Zugriff auf diese Adresse wurde durch die Richtlinie Ihres Unternehmens unterbunden.</p></body></html>`,
		filterCA, []string{"download.microsoft.com"})
	dns := lab.StartDNSSinkhole(t, l.dns.Addr, []string{"download.microsoft.com"}, sinkIP)
	eps := filepath.Join(l.dir, "sinkhole.yaml")
	if err := os.WriteFile(eps, []byte("entries:\n  - {name: download.microsoft.com, ports: [443, 80]}\n  - {name: go.microsoft.com, ports: [443, 80]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runBin(t, nil, "run", "--dns-server", dns.Addr, "--ca-file", l.caFile, "--expected-roots", l.caFile, "--quiet",
		"--endpoints-only", "--endpoints", eps)
	if r.doc == nil {
		t.Fatalf("no report: exit %d: %s", r.code, r.stderr)
	}
	got := byID(r.doc)
	type want struct{ status, stage, reason, by string }
	for id, w := range map[string]want{
		"download.microsoft.com:80":  {facts.StatusWarn, facts.StageHTTP, origin.ReasonUnverified, origin.ByNoProof},
		"download.microsoft.com:443": {facts.StatusFail, facts.StageTLS, "untrusted", ""},
		"go.microsoft.com:80":        {facts.StatusPass, "", "", origin.ByHTTPSMatch},
		"go.microsoft.com:443":       {facts.StatusPass, "", "", ""},
	} {
		c, ok := got[id]
		if !ok {
			t.Errorf("%s missing", id)
			continue
		}
		by := ""
		if c.Evidence.Origin != nil {
			by = c.Evidence.Origin.By
		}
		if c.Status != w.status || c.Stage != w.stage || c.Reason != w.reason || by != w.by {
			t.Errorf("%s: %s at %q (%s) by %q: %s; want %s at %q (%s) by %q", id, c.Status, c.Stage, c.Reason, by, c.Message, w.status, w.stage, w.reason, w.by)
		}
		t.Logf("%s: %s %s/%s by %s: %s", id, c.Status, c.Stage, c.Reason, by, c.Message)
	}
	if r.code != 1 {
		t.Errorf("exit %d; a blocked required endpoint is not compliant", r.code)
	}
}
