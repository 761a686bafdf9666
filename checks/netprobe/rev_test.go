package netprobe

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/cmpreflight/cmpreflight/checks/origin"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

// A verified chain names a CRL on the revocation host, but on another port than the check's:
// the genuine CRL there says nothing of port 80, where a filter answers. The port-80 check
// must not pass on the other port's answer (and the check of that other port must not pass
// on port 80's).
func TestRevocationProofOnAnotherPortProvesNothing(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	ip, err := lab.AllocIP(80)
	if err != nil {
		t.Fatal(err)
	}
	// The genuine CRL server, on a port of its own.
	crl, err := lab.StartWeb(ip, -1, 0, h.ca, lab.ConnServe)
	if err != nil {
		t.Fatal(err)
	}
	h.closers = append(h.closers, crl.Close)
	// A filter's page on port 80 of the same address.
	filter, err := lab.StartWeb(ip, -1, 80, h.ca, lab.ConnServe)
	if err != nil {
		t.Fatal(err)
	}
	h.closers = append(h.closers, filter.Close)
	h.dns.A("crl.lab.test", ip)
	h.ca.Publish([]string{fmt.Sprintf("http://crl.lab.test:%d/lab.crl", crl.HTTPPort)}, nil)
	filter.Handle("", lab.Route{Status: 200, Body: "<title>Zugriff verweigert</title>Seite gesperrt", Headers: map[string]string{"Content-Type": "text/html"}})
	h.web("site.lab.test", lab.ConnServe, &lab.Route{Status: 200, Body: "site"})
	jobs := []Job{
		{Target: target("https", "site.lab.test", 443, "/", false)},
		{Target: target("http", "crl.lab.test", 80, "/", false)},
	}
	// Concurrency 1: the HTTPS check has verified its chain when the port-80 check plans.
	out := (&Runner{Env: h.env(nil), Concurrency: 1}).Run(context.Background(), jobs)
	c := out[1]
	if c.Status == facts.StatusPass {
		by := ""
		if c.Evidence.Origin != nil {
			by = c.Evidence.Origin.By + ": " + c.Evidence.Origin.Detail
		}
		t.Errorf("%s passed (%s) while port 80 served a filter's page", c.ID, by)
	}
	if c.Status == facts.StatusWarn && c.Reason != origin.ReasonUnverified {
		t.Errorf("%s: %s (%s): %s", c.ID, c.Status, c.Reason, c.Message)
	}
	t.Logf("%s: %s %s %s: %s", c.ID, c.Status, c.Stage, c.Reason, c.Message)
	h.close(ignore)
}

// A URL entry's port-80 answer is the origin's (the same redirect as over HTTPS), but the
// plain-HTTP hop it leads to is a DNS sinkhole's page: the role following the link on port 80
// ends at the filter. Proving the first answer does not prove where the chain ended.
func TestPort80RedirectChainEndingAtAFilterIsNotAPass(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	w := h.web("go.lab.test", lab.ConnServe, &lab.Route{Status: 302, Location: "http://dl.lab.test/file.cab"})
	ip, err := lab.AllocIP(80, 443)
	if err != nil {
		t.Fatal(err)
	}
	sink, err := lab.StartWeb(ip, -1, 80, h.ca, lab.ConnServe)
	if err != nil {
		t.Fatal(err)
	}
	h.closers = append(h.closers, sink.Close)
	sink.Handle("", lab.Route{Status: 200, Body: "<title>Zugriff verweigert</title>Seite gesperrt", Headers: map[string]string{"Content-Type": "text/html"}})
	h.dns.A("dl.lab.test", ip)
	// The same chain to a genuine host, which answers alike on both schemes: a pass.
	dl := h.web("dl.good.lab.test", lab.ConnServe, &lab.Route{Status: 200, Body: "the file", Headers: map[string]string{"Content-Type": "application/octet-stream"}})
	good := h.web("go.good.lab.test", lab.ConnServe, &lab.Route{Status: 302, Location: fmt.Sprintf("http://dl.good.lab.test:%d/file.cab", dl.HTTPPort)})
	jobs := []Job{
		{Target: target("https", "go.lab.test", 443, "/fwlink", true)},
		{Target: target("http", "go.lab.test", w.HTTPPort, "/fwlink", true)},
		{Target: target("http", "go.good.lab.test", good.HTTPPort, "/fwlink", true)},
	}
	out := (&Runner{Env: h.env(nil), Concurrency: 1}).Run(context.Background(), jobs)
	c := out[1]
	t.Logf("%s: %s %s %s: %s", c.ID, c.Status, c.Stage, c.Reason, c.Message)
	if c.Status != facts.StatusWarn || c.Reason != origin.ReasonUnverified || !strings.Contains(c.Message, "ended at http://dl.lab.test/file.cab") {
		t.Errorf("%s: %s (%s): %s; want warn unverified-origin naming where the chain ended", c.ID, c.Status, c.Reason, c.Message)
	}
	if g := out[2]; g.Status != facts.StatusPass || g.Evidence.Origin == nil || g.Evidence.Origin.By != origin.ByHTTPSMatch {
		t.Errorf("%s: %s (%s): %s; want a pass by https-match", g.ID, g.Status, g.Reason, g.Message)
	} else {
		t.Logf("%s: %s", g.ID, g.Evidence.Origin.Detail)
	}
	h.close(ignore)
}

// A URL entry on a revocation host (http://crl.lab.test/pkiops/) that a URL filter blocks,
// while the CRL a verified chain names elsewhere on that host (/pki/lab.crl) goes through:
// the CRL proves the host answers, not that the entry's URL does.
func TestRevocationProofOutsideTheEntrysPathProvesNothing(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	ip, err := lab.AllocIP(80)
	if err != nil {
		t.Fatal(err)
	}
	// The lab web answers the CA's CRL at its published path, and the filter's page on every
	// other path.
	web, err := lab.StartWeb(ip, -1, 80, h.ca, lab.ConnServe)
	if err != nil {
		t.Fatal(err)
	}
	h.closers = append(h.closers, web.Close)
	web.Handle("", lab.Route{Status: 200, Body: "<title>Zugriff verweigert</title>Seite gesperrt", Headers: map[string]string{"Content-Type": "text/html"}})
	h.dns.A("crl.lab.test", ip)
	h.ca.Publish([]string{"http://crl.lab.test/pki/lab.crl"}, nil)
	h.web("site.lab.test", lab.ConnServe, &lab.Route{Status: 200, Body: "site"})
	jobs := []Job{
		{Target: target("https", "site.lab.test", 443, "/", false)},
		{Target: target("http", "crl.lab.test", 80, "/pkiops/", false)},
		{Target: target("http", "crl.lab.test", 80, "/", false)},
	}
	out := (&Runner{Env: h.env(nil), Concurrency: 1}).Run(context.Background(), jobs)
	c := out[1]
	t.Logf("%s: %s %s %s: %s", c.ID, c.Status, c.Stage, c.Reason, c.Message)
	if c.Status == facts.StatusPass {
		t.Errorf("%s passed (%s) while its URL served a filter's page", c.URL, c.Evidence.Origin.Detail)
	}
	// The host entry is proven by the CRL.
	if g := out[2]; g.Status != facts.StatusPass || g.Evidence.Origin == nil || g.Evidence.Origin.By != origin.BySignedCRL {
		t.Errorf("%s: %s (%s): %s; want a pass by signed-crl", g.URL, g.Status, g.Reason, g.Message)
	}
	h.close(ignore)
}

// split serves host's HTTPS (443) from origin and its plain HTTP (a free port) from filter, on
// one address, as a transparent filter on port 80 does; it returns the plain port.
func (h *hostileLab) split(host string, origin, filter lab.Route) int {
	h.t.Helper()
	ip, err := lab.AllocIP(443)
	if err != nil {
		h.t.Fatal(err)
	}
	o, err := lab.StartWeb(ip, 443, -1, h.ca, lab.ConnServe)
	if err != nil {
		h.t.Fatal(err)
	}
	o.Handle("", origin)
	f, err := lab.StartWeb(ip, -1, 0, h.ca, lab.ConnServe)
	if err != nil {
		o.Close()
		h.t.Fatal(err)
	}
	f.Handle("", filter)
	h.closers = append(h.closers, o.Close, f.Close)
	h.dns.A(host, ip)
	return f.HTTPPort
}

// Filters that look like the origin on the fields a careless comparison reads: the same
// status and media type and server product, a portal redirect on the same host, a forged
// upgrade to another host or through userinfo. None may pass; each says what differed.
func TestPort80LookAlikesAreNotProven(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	html := map[string]string{"Content-Type": "text/html; charset=utf-8", "Server": "nginx/1.22.1"}
	cases := []struct {
		host           string
		origin, filter lab.Route
		want           string
	}{
		{"same-status.lab.test", lab.Route{Status: 200, Body: "<title>Download Center</title>the page", Headers: html},
			lab.Route{Status: 200, Body: "<title>Seite nicht verfügbar</title>gesperrt", Headers: map[string]string{"Content-Type": "text/html", "Server": "nginx"}}, "title"},
		{"same-title.lab.test", lab.Route{Status: 200, Body: "<title>Download Center</title>the page", Headers: html},
			lab.Route{Status: 200, Body: "<title>Download Center</title>Diese Seite ist gesperrt", Headers: html}, "body"},
		{"portal.lab.test", lab.Route{Status: 302, Location: "https://portal.lab.test/en-us/", Headers: html},
			lab.Route{Status: 302, Location: "http://portal.lab.test/login?url=/en-us/", Headers: html}, "redirect target"},
		{"forged.lab.test", lab.Route{Status: 200, Body: "origin", Headers: html},
			lab.Route{Status: 301, Location: "https://forged.lab.test.evil.test/", Headers: html}, "block-redirect"},
		{"userinfo.lab.test", lab.Route{Status: 200, Body: "origin", Headers: html},
			lab.Route{Status: 301, Location: "https://userinfo.lab.test@evil.test/", Headers: html}, "block-redirect"},
		{"empty.lab.test", lab.Route{Status: 200, Body: "<title>x</title>origin page", Headers: html},
			lab.Route{Status: 200, Body: "", Headers: html}, "body"},
	}
	var jobs []Job
	for _, tc := range cases {
		port := h.split(tc.host, tc.origin, tc.filter)
		jobs = append(jobs, Job{Target: target("https", tc.host, 443, "/", false)}, Job{Target: target("http", tc.host, port, "/", false)})
	}
	out := (&Runner{Env: h.env(nil), Concurrency: 2}).Run(context.Background(), jobs)
	for i, tc := range cases {
		c := out[2*i+1]
		t.Logf("%s: %s %s: %s", tc.host, c.Status, c.Reason, c.Message)
		// The forged upgrades leave the site: followed, they fail where they lead.
		if c.Status == facts.StatusPass || !strings.Contains(c.Reason+": "+c.Message, tc.want) {
			t.Errorf("%s: %s (%s): %s; want no pass, naming %q", c.ID, c.Status, c.Reason, c.Message, tc.want)
		}
	}
	h.close(ignore)
}

// An HTTPS link whose origin redirects to plain HTTP on another host (fwlinks to
// http://download.microsoft.com/… do): where a sinkhole answers that host, the chain ends at
// its page. The first answer is proven by TLS; the last one is not.
func TestHTTPSRedirectChainEndingAtAPlainHTTPFilterIsNotAPass(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	h.web("go.lab.test", lab.ConnServe, &lab.Route{Status: 302, Location: "http://dl.lab.test/file.cab"})
	ip, err := lab.AllocIP(80, 443)
	if err != nil {
		t.Fatal(err)
	}
	sink, err := lab.StartWeb(ip, -1, 80, h.ca, lab.ConnServe)
	if err != nil {
		t.Fatal(err)
	}
	h.closers = append(h.closers, sink.Close)
	sink.Handle("", lab.Route{Status: 200, Body: "<title>Zugriff verweigert</title>Seite gesperrt", Headers: map[string]string{"Content-Type": "text/html"}})
	h.dns.A("dl.lab.test", ip)
	// The same link to a genuine host that answers alike on both schemes: a pass.
	dl := h.web("dl.good.lab.test", lab.ConnServe, &lab.Route{Status: 200, Body: "the file", Headers: map[string]string{"Content-Type": "application/octet-stream"}})
	h.web("go.good.lab.test", lab.ConnServe, &lab.Route{Status: 302, Location: fmt.Sprintf("http://dl.good.lab.test:%d/file.cab", dl.HTTPPort)})
	out := (&Runner{Env: h.env(nil), Concurrency: 1}).Run(context.Background(), []Job{
		{Target: target("https", "go.lab.test", 443, "/fwlink", true)},
		{Target: target("https", "go.good.lab.test", 443, "/fwlink", true)},
	})
	c := out[0]
	t.Logf("%s: %s %s %s: %s", c.ID, c.Status, c.Stage, c.Reason, c.Message)
	if c.Status != facts.StatusWarn || c.Reason != origin.ReasonUnverified || !strings.Contains(c.Message, "ended at http://dl.lab.test/file.cab") {
		t.Errorf("%s: %s (%s): %s; want warn unverified-origin naming where the chain ended", c.ID, c.Status, c.Reason, c.Message)
	}
	if g := out[1]; g.Status != facts.StatusPass {
		t.Errorf("%s: %s (%s): %s; want a pass", g.ID, g.Status, g.Reason, g.Message)
	}
	h.close(ignore)
}

// A filter that answers both ports of a host itself, its 443 with a CA this machine was told
// to trust (--ca-file, TLS inspection) but that is not an expected root, and its port 80 with
// the very same page: the two answers match, but the HTTPS one proves nothing. Neither the
// port-80 check paired with the HTTPS check nor one asking HTTPS on its own may pass.
func TestPort80MatchingAnInspectedHTTPSAnswerIsNotAPass(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	filterCA, err := lab.NewCA("Contoso Inspection CA")
	if err != nil {
		t.Fatal(err)
	}
	page := lab.Route{Status: 200, Body: "<title>Zugriff verweigert</title>Seite gesperrt", Headers: map[string]string{"Content-Type": "text/html"}}
	var ports []int
	for _, host := range []string{"paired.lab.test", "alone.lab.test"} {
		ip, err := lab.AllocIP(443)
		if err != nil {
			t.Fatal(err)
		}
		w, err := lab.StartWeb(ip, 443, 0, filterCA, lab.ConnServe)
		if err != nil {
			t.Fatal(err)
		}
		w.Handle("", page)
		h.closers = append(h.closers, w.Close)
		h.dns.A(host, ip)
		ports = append(ports, w.HTTPPort)
	}
	env := h.env(nil)
	machine := h.ca.Pool()
	machine.AddCert(filterCA.Cert)
	env.Trust.Machine = machine
	jobs := []Job{
		{Target: target("https", "paired.lab.test", 443, "/", false)},
		{Target: target("http", "paired.lab.test", ports[0], "/", false)},
		{Target: target("http", "alone.lab.test", ports[1], "/", false)},
	}
	out := (&Runner{Env: env, Concurrency: 2}).Run(context.Background(), jobs)
	if c := out[0]; c.Stage != facts.StageTLSIntercepted {
		t.Errorf("%s: %s at %s (%s): %s; want tls-intercepted", c.ID, c.Status, c.Stage, c.Reason, c.Message)
	}
	for _, c := range out[1:] {
		t.Logf("%s: %s %s: %s", c.ID, c.Status, c.Reason, c.Message)
		if c.Status != facts.StatusWarn || c.Reason != origin.ReasonUnverified {
			t.Errorf("%s: %s at %s (%s): %s; want warn unverified-origin", c.ID, c.Status, c.Stage, c.Reason, c.Message)
		}
	}
	h.close(ignore)
}

// An Env without expected roots verifies chains against the machine's trust only (system
// roots, --ca-file): nothing there says the chain is the origin's rather than an inspecting
// filter's, so it anchors no port-80 proof, neither https-match nor a revocation object.
func TestNoExpectedRootsAnchorNoPort80Proof(t *testing.T) {
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
	w := h.web("same.lab.test", lab.ConnServe, &lab.Route{Status: 200, Body: "<title>Page</title>the page", Headers: map[string]string{"Content-Type": "text/html"}})
	env := h.env(nil)
	env.Trust.Expected = nil
	jobs := []Job{
		{Target: target("https", "same.lab.test", 443, "/", false)},
		{Target: target("http", "same.lab.test", w.HTTPPort, "/", false)},
		{Target: target("http", "crl.lab.test", 80, "/", false)},
	}
	out := (&Runner{Env: env, Concurrency: 1}).Run(context.Background(), jobs)
	for _, c := range out[1:] {
		t.Logf("%s: %s %s: %s", c.ID, c.Status, c.Reason, c.Message)
		if c.Status == facts.StatusPass {
			t.Errorf("%s passed (%s) on a chain no expected root verified", c.ID, c.Evidence.Origin.Detail)
		}
	}
	h.close(ignore)
}

// A proxy for plain HTTP only (443 bypassed, direct) whose own page answers port 80: the
// port-80 check on the proxy route is paired with the direct HTTPS check of the host, whose
// verified answer differs. Not a pass, whether or not the canaries tell the page apart.
func TestProxiedPort80PairedWithDirectHTTPSIsNotProvenByIt(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	h.web("dl.lab.test", lab.ConnServe, &lab.Route{Status: 302, Location: "https://dl.lab.test/file.cab"})
	pip, err := lab.AllocIP()
	if err != nil {
		t.Fatal(err)
	}
	px, err := lab.StartWeb(pip, -1, 0, h.ca, lab.ConnServe)
	if err != nil {
		t.Fatal(err)
	}
	h.closers = append(h.closers, px.Close)
	// A relay for the canaries' names (a page of their own), its block page for dl.lab.test
	// only: the canaries cannot name it, the proof must refuse it.
	px.Handle("", lab.Route{Status: 404, Body: "<title>Example Domain</title>no such page", Headers: map[string]string{"Content-Type": "text/html", "Via": "1.1 relay"}})
	px.Handle("dl.lab.test", lab.Route{Status: 200, Body: "<title>Seite gesperrt</title>Zugriff verweigert", Headers: map[string]string{"Content-Type": "text/html"}})
	pu, _ := url.Parse(fmt.Sprintf("http://%s:%d", pip, px.HTTPPort))
	env := h.env(nil)
	env.ProxyFor = func(host string, port int, scheme string) *ProxyConfig {
		if scheme == "https" {
			return nil
		}
		return &ProxyConfig{URL: pu, Auth: AuthNone}
	}
	jobs := []Job{
		{Target: target("https", "dl.lab.test", 443, "/", false)},
		{Target: target("http", "dl.lab.test", 80, "/", false)},
	}
	out := (&Runner{Env: env, Concurrency: 2}).Run(context.Background(), jobs)
	if c := out[0]; c.Status != facts.StatusPass {
		t.Errorf("%s: %s (%s): %s", c.ID, c.Status, c.Reason, c.Message)
	}
	c := out[1]
	t.Logf("%s: %s %s %s: %s", c.ID, c.Status, c.Stage, c.Reason, c.Message)
	if c.Status != facts.StatusWarn || c.Reason != origin.ReasonUnverified || c.Route != facts.RouteProxy || !strings.Contains(c.Message, "where HTTPS (chain verified) answered 302") {
		t.Errorf("%s: %s (%s) on route %s: %s; want warn unverified-origin through the proxy, compared with the direct HTTPS answer", c.ID, c.Status, c.Reason, c.Route, c.Message)
	}
	h.close(ignore)
}
