package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/checks/origin"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

// An answer nobody can attribute is a warn with what to look at, never a pass: a redirect off
// the endpoint's domain that never comes back. A 404 relayed by privoxy with no Via stamp,
// which the canaries cannot attribute, passes only because the same request over verified
// HTTPS got the same 404 (https-match).
func TestAmbiguousAnswersWarnThroughPrivoxy(t *testing.T) {
	l := startCatalogLab(t)
	l.web.Handle("go.microsoft.com", lab.Route{Status: 404, Body: "not here"})
	l.web.Handle("download.microsoft.com", lab.Route{Status: 302, Location: "http://mirror.offsite-cdn.test/pkg"})
	hosts := l.filterHosts(t)
	hosts["mirror.offsite-cdn.test"] = l.web.IP
	p := lab.StartPrivoxy(t, lab.PrivoxyOptions{Hosts: hosts})
	eps := writeEndpoints(t, l.dir, "http://go.microsoft.com/", "http://download.microsoft.com/")
	r := runBin(t, nil, l.args("--proxy", p.URL, "--endpoints-only", "--endpoints", eps)...)
	if r.doc == nil {
		t.Fatalf("no report: %s", r.stderr)
	}
	for _, c := range r.doc.Checks {
		o := c.Evidence.Origin
		if c.Host == "go.microsoft.com" {
			if c.Status != facts.StatusPass || o == nil || o.By != origin.ByHTTPSMatch {
				t.Errorf("%s: %s at %s (%s) %q origin %+v; want a pass by https-match", c.ID, c.Status, c.Stage, c.Reason, c.Message, o)
			}
			continue
		}
		if c.Status != facts.StatusWarn || c.Reason != "unverified-origin" || o == nil || o.Origin || !strings.Contains(c.Message, "look at") {
			t.Errorf("%s: %s at %s (%s) %q origin %+v; want warn unverified-origin saying what to look at", c.ID, c.Status, c.Stage, c.Reason, c.Message, o)
		}
	}
	if r.code != 1 {
		t.Errorf("exit %d: a required endpoint whose origin is unverified is not compliant", r.code)
	}
	denied := false
	for _, d := range r.doc.Verdict.Deny {
		denied = denied || strings.Contains(d.Remediation, "cannot be verified")
	}
	if !denied {
		t.Errorf("no deny says the origin cannot be verified: %+v", r.doc.Verdict.Deny)
	}
}

// An export whose class holds null (or nothing) is refused naming the file: it once proved
// "no service connection point yet".
func TestSiteExportHoldingNullIsRefused(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join("..", "..", "checks", "site", "testdata", "standalone")
	for _, name := range []string{"SMS_Site.json", "SMS_SystemResourceList.json", "SMS_SCI_SysResUse.json"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, name), b, 0o644)
	}
	for _, body := range []string{"null", "", "[]"} {
		os.WriteFile(filepath.Join(dir, "SMS_SystemResourceList.json"), []byte(body), 0o644)
		r := runBin(t, nil, "run", "--checks", "site", "--inventory", dir, "--scp-server", "scp01.contoso.com", "--quiet")
		if r.code != 2 || !strings.Contains(r.stderr, filepath.Join(dir, "SMS_SystemResourceList.json")) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 naming the file", body, r.code, r.stderr)
		}
	}
}

// The rights checks resolve the SCP server through --dns-server, and every failed one says how.
func TestRightsResolveThroughTheDNSServer(t *testing.T) {
	d := startLabDNS(t)
	d.A("scp01.lab.test", "127.0.0.1")
	inv := filepath.Join("..", "..", "checks", "site", "testdata", "standalone")
	closed := lab.FreePort(t)
	for _, c := range []struct{ server, reason string }{{"scp01.lab.test", "closed"}, {"nowhere.lab.test", "dns"}} {
		r := runBin(t, []string{"CMPREFLIGHT_INSTALL_PASSWORD=x"}, "run", "--checks", "site", "--inventory", inv,
			"--scp-server", c.server, "--site-server", "CM01.contoso.com", "--dns-server", d.Addr,
			"--install-account", `LAB\inst`, "--smb-port", strconv.Itoa(closed), "--rpc-port", strconv.Itoa(closed), "--timeout", "2s", "--quiet")
		if r.doc == nil {
			t.Fatalf("%s: no report: %s", c.server, r.stderr)
		}
		n := 0
		for _, ch := range r.doc.Checks {
			if ch.ID != "site/smb-port" && ch.ID != "site/rpc-port" && ch.ID != "site/admin-share" {
				continue
			}
			n++
			if ch.Status == facts.StatusFail && ch.Reason == "" {
				t.Errorf("%s: %s failed with no reason: %s", c.server, ch.ID, ch.Message)
			}
			if ch.ID != "site/admin-share" && (ch.Reason != c.reason || strings.Contains(ch.Message, "lookup "+c.server+" on")) {
				t.Errorf("%s: %s %s (%s) %q; want reason %s from the lab DNS", c.server, ch.ID, ch.Status, ch.Reason, ch.Message, c.reason)
			}
		}
		if n != 3 {
			t.Errorf("%s: %d rights checks", c.server, n)
		}
	}
}
