package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cmpreflight/cmpreflight/checks/origin"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

// A transparent squid (nftables redirects port 80 in a network namespace this test creates)
// refuses go.microsoft.com and hides its X-Squid-Error header: its 403 page on port 80 is
// never a pass, while HTTPS of the same host answers the fwlink URL with a 302 in a verified
// chain. An allowed name relayed unchanged by squid passes, proven by the HTTPS match.
func TestTransparentSquidHidingItsErrorHeaderIsNeverAPass(t *testing.T) {
	needRoot(t)
	ns := lab.NewNetns(t, "cmpf21a-")
	ca, err := lab.NewCA("cmpreflight lab root")
	if err != nil {
		t.Fatal(err)
	}
	const dnsIP, webIP = "127.21.0.53", "127.21.0.10"
	var d *lab.DNS
	var w *lab.Web
	if err := ns.Do(func() error {
		var err error
		if d, err = lab.StartDNS(dnsIP, 53); err != nil {
			return err
		}
		w, err = lab.StartWeb(webIP, 443, 80, ca, lab.ConnServe)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	t.Cleanup(w.Close)
	for _, n := range []string{"go.microsoft.com", "download.microsoft.com"} {
		d.A(n, webIP)
	}
	w.Handle("go.microsoft.com", lab.Route{Status: 302, Location: "https://download.microsoft.com/download/ConfigMgr.Update.Manifest.cab"})
	w.Handle("download.microsoft.com", lab.Route{Status: 200, Body: "download.microsoft.com's own answer"})
	lab.StartTransparentSquid(t, ns, lab.TransparentSquidOptions{Resolver: dnsIP, Block: []string{"go.microsoft.com"}, HideErrorHeader: true})

	dir := t.TempDir()
	caFile, _, err := ca.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	eps := filepath.Join(dir, "endpoints.yaml")
	if err := os.WriteFile(eps, []byte("entries:\n  - {name: \"https://go.microsoft.com/fwlink/?LinkID=619849\", kind: url, ports: [443, 80]}\n  - {name: download.microsoft.com, ports: [443, 80]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runBinIn(t, ns.Name, nil, "run", "--dns-server", dnsIP+":53", "--ca-file", caFile, "--expected-roots", caFile, "--quiet",
		"--endpoints-only", "--endpoints", eps)
	if r.doc == nil {
		t.Fatalf("no report: exit %d: %s", r.code, r.stderr)
	}
	got := byID(r.doc)
	type want struct{ status, stage, reason, by string }
	for id, w := range map[string]want{
		"go.microsoft.com:80":        {facts.StatusWarn, facts.StageHTTP, origin.ReasonUnverified, origin.ByHTTPSMismatch},
		"go.microsoft.com:443":       {facts.StatusPass, "", "", ""},
		"download.microsoft.com:80":  {facts.StatusPass, "", "", origin.ByHTTPSMatch},
		"download.microsoft.com:443": {facts.StatusPass, "", "", ""},
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
		t.Logf("%s: %s %s/%s by %s: %s", id, c.Status, c.Stage, c.Reason, by, c.Message)
		if c.Status != w.status || c.Stage != w.stage || c.Reason != w.reason || by != w.by {
			t.Errorf("%s: %s at %q (%s) by %q; want %s at %q (%s) by %q", id, c.Status, c.Stage, c.Reason, by, w.status, w.stage, w.reason, w.by)
		}
	}
	if r.code != 1 {
		t.Errorf("exit %d; a blocked required endpoint is not compliant", r.code)
	}
}
