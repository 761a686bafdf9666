package netprobe

import (
	"context"
	"crypto/x509"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/checks/origin"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

// A port-80 answer equal to the HTTPS check's answer passes by https-match, asked on the HTTPS
// check's own connection: the origin sees one TLS connection and one plain one, no more.
func TestPort80ProvenOnTheHTTPSChecksConnection(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	w := h.web("same.lab.test", lab.ConnServe, &lab.Route{Status: 404, Body: "<title>Not here</title>nothing at /", Headers: map[string]string{"Content-Type": "text/html"}})
	up := h.web("upgrade.lab.test", lab.ConnServe, &lab.Route{Status: 301, Location: "https://upgrade.lab.test/"})
	// Another path than the HTTPS check asked: one more request on its connection.
	other := h.web("path.lab.test", lab.ConnServe, &lab.Route{Status: 200, Body: "any path"})
	jobs := []Job{
		{Target: target("http", "same.lab.test", w.HTTPPort, "/", false)},
		{Target: target("http", "upgrade.lab.test", up.HTTPPort, "/", false)},
		{Target: target("https", "same.lab.test", 443, "/", false)},
		{Target: target("http", "path.lab.test", other.HTTPPort, "/some/file.cab?x=1", false)},
		{Target: target("https", "path.lab.test", 443, "/", false)},
	}
	out := (&Runner{Env: h.env(nil), Concurrency: 1}).Run(context.Background(), jobs)
	want := []string{origin.ByHTTPSMatch, origin.ByHTTPSUpgrade, "", origin.ByHTTPSMatch, ""}
	for i, c := range out {
		by := ""
		if c.Evidence.Origin != nil {
			by = c.Evidence.Origin.By
		}
		if c.Status != facts.StatusPass || by != want[i] {
			t.Errorf("%s: %s at %s (%s) by %q: %s; want a pass by %q", c.ID, c.Status, c.Stage, c.Reason, by, c.Message, want[i])
		}
	}
	if !strings.Contains(out[0].Evidence.Origin.Detail, "404") {
		t.Errorf("detail %q; want what was compared", out[0].Evidence.Origin.Detail)
	}
	h.close(ignore)
	for _, web := range []*lab.Web{w, other} {
		if web.Requests != 2 {
			t.Errorf("%s accepted %d connections; want 2 (the 443 check's, reused, and port 80's)", web.IP, web.Requests)
		}
	}
}

// A filter's page on port 80 of a host whose HTTPS answers otherwise, and a host whose HTTPS
// chain comes from another CA: warn unverified-origin, saying what was compared.
func TestPort80WithoutProofIsAWarn(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	ip, err := lab.AllocIP(443, 80)
	if err != nil {
		t.Fatal(err)
	}
	origin443, err := lab.StartWeb(ip, 443, -1, h.ca, lab.ConnServe)
	if err != nil {
		t.Fatal(err)
	}
	origin443.Handle("", lab.Route{Status: 302, Location: "https://dl.lab.test/file.cab"})
	filter80, err := lab.StartWeb(ip, -1, 80, h.ca, lab.ConnServe)
	if err != nil {
		t.Fatal(err)
	}
	filter80.Handle("", lab.Route{Status: 200, Body: "<title>Zugriff verweigert</title>Seite gesperrt", Headers: map[string]string{"Content-Type": "text/html"}})
	h.closers = append(h.closers, origin443.Close, filter80.Close)
	h.dns.A("fw.lab.test", ip)

	other, err := lab.NewCA("a filter's own CA")
	if err != nil {
		t.Fatal(err)
	}
	oip, err := lab.AllocIP(443, 80)
	if err != nil {
		t.Fatal(err)
	}
	sink, err := lab.StartWeb(oip, 443, 80, other, lab.ConnServe)
	if err != nil {
		t.Fatal(err)
	}
	h.closers = append(h.closers, sink.Close)
	h.dns.A("sunk.lab.test", oip)

	jobs := []Job{
		{Target: target("http", "fw.lab.test", 80, "/", false)},
		{Target: target("https", "fw.lab.test", 443, "/", false)},
		{Target: target("http", "sunk.lab.test", 80, "/", false)},
	}
	out := (&Runner{Env: h.env(nil), Concurrency: 2}).Run(context.Background(), jobs)
	for i, wantIn := range map[int]string{0: "where HTTPS (chain verified) answered 302 to https://dl.lab.test/file.cab", 2: "failed at tls (untrusted)"} {
		c := out[i]
		if c.Status != facts.StatusWarn || c.Stage != facts.StageHTTP || c.Reason != origin.ReasonUnverified || !strings.Contains(c.Message, wantIn) {
			t.Errorf("%s: %s at %s (%s): %s; want warn unverified-origin saying %q", c.ID, c.Status, c.Stage, c.Reason, c.Message, wantIn)
		}
	}
	if !strings.Contains(out[0].Message, `port 80 answered 200 text/html "Zugriff verweigert"`) {
		t.Errorf("message %q; want what port 80 answered", out[0].Message)
	}
	h.close(ignore)
}

// A revocation check with a catalog proof waits for the run's HTTPS checks; handed out first
// at concurrency 1 it would hold the only worker the HTTPS check needs. It goes last, and
// the lab CA's CRL that the verified chain names proves it.
func TestRevocationCheckNeverHoldsTheWorkerItWaitsFor(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	ip, err := lab.AllocIP(80)
	if err != nil {
		t.Fatal(err)
	}
	crl, err := lab.StartWeb(ip, -1, 80, h.ca, lab.ConnServe)
	if err != nil {
		t.Fatal(err)
	}
	h.closers = append(h.closers, crl.Close)
	h.dns.A("crl.lab.test", ip)
	h.ca.Publish([]string{"http://crl.lab.test/lab.crl"}, nil)
	h.web("site.lab.test", lab.ConnServe, &lab.Route{Status: 200, Body: "site"})
	rev := target("http", "crl.lab.test", 80, "/", false)
	// A catalog object the run could ask (its signer is an expected root), which the lab does
	// not serve: the check must wait for the chain, which names the lab CA's CRL.
	rev.Proof = &catalog.Proof{CRL: "http://crl.lab.test/other.crl", Root: h.ca.Cert.Subject.CommonName}
	jobs := []Job{{Target: rev}, {Target: target("https", "site.lab.test", 443, "/", false)}}
	env := h.env(nil)
	env.Trust.ExpectedList = func() []*x509.Certificate { return []*x509.Certificate{h.ca.Cert} }
	out := (&Runner{Env: env, Concurrency: 1}).Run(context.Background(), jobs)
	c := out[0]
	if c.Status != facts.StatusPass || c.Evidence.Origin == nil || c.Evidence.Origin.By != origin.BySignedCRL {
		t.Errorf("%s: %s at %s (%s): %s; want a pass by signed-crl", c.ID, c.Status, c.Stage, c.Reason, c.Message)
	}
	if out[1].Status != facts.StatusPass {
		t.Errorf("%s: %s: %s", out[1].ID, out[1].Status, out[1].Message)
	}
	h.close(ignore)
}
