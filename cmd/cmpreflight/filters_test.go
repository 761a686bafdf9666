package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

// The names every real proxy or filter below is tried with: three catalog names it blocks,
// two it allows, and (where the product has one) a name nobody can resolve, on 443 and 80.
var (
	filterBlocked = []string{"download.windowsupdate.com", "configmgrbits.azureedge.net", "management.azure.com"}
	filterAllowed = []string{"go.microsoft.com", "download.microsoft.com"}
	filterGone    = "gone.cmpreflight-lab.test"
	// blockHost serves the block page that redirecting filters send refused requests to.
	blockHost = "block.filter.test"
)

// filterLab is the catalog lab plus what filters need: the block host and the unlisted
// canary name (example.com) on the lab web server.
func (l *catalogLab) filterHosts(t *testing.T) map[string]string {
	hosts := l.hostsFor(t)
	hosts["example.com"] = l.web.IP
	hosts[blockHost] = l.web.IP
	return hosts
}

// filterEndpoints writes the small catalog: every name on 443 and 80.
func filterEndpoints(t *testing.T, dir string, gone bool) string {
	t.Helper()
	names := append(append([]string{}, filterBlocked...), filterAllowed...)
	if gone {
		names = append(names, filterGone)
	}
	var b strings.Builder
	b.WriteString("entries:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  - {name: %q, ports: [443, 80]}\n", n)
	}
	path := filepath.Join(dir, "filter-endpoints.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// want is what one check through a filter must show.
type want struct {
	status, stage, reason string // reason "" = any
}

// assertFilter runs the binary once through the proxy and checks every name on both ports.
func assertFilter(t *testing.T, l *catalogLab, p *lab.Proxy, gone bool, expect func(host string, port int) want, extra ...string) *facts.Document {
	t.Helper()
	eps := filterEndpoints(t, l.dir, gone)
	r := runBin(t, nil, l.args(append([]string{"--proxy", p.URL, "--endpoints-only", "--endpoints", eps}, extra...)...)...)
	if r.doc == nil {
		t.Fatalf("no report: exit %d: %s", r.code, r.stderr)
	}
	n := 0
	for _, c := range r.doc.Checks {
		w := expect(c.Host, c.Port)
		n++
		ok := c.Status == w.status && (w.stage == "" || c.Stage == w.stage) && (w.reason == "" || c.Reason == w.reason)
		verdict := "ok"
		if !ok {
			verdict = "WRONG"
			t.Errorf("%s: %s at %q (%s): %s; want %s at %q (%s)", c.ID, c.Status, c.Stage, c.Reason, c.Message, w.status, w.stage, w.reason)
		}
		by := ""
		if c.Evidence.Origin != nil {
			by = c.Evidence.Origin.By
		}
		t.Logf("matrix %-28s %-36s %-4d %-5s %-15s %-18s %-24s %s", t.Name(), c.Host, c.Port, c.Status, c.Stage, c.Reason, by, verdict)
	}
	if want := 2 * (len(filterBlocked) + len(filterAllowed)); gone && n != want+2 || !gone && n != want {
		t.Errorf("%d checks; want every name on 443 and 80", n)
	}
	if r.code != 1 {
		t.Errorf("exit %d; blocked required endpoints are not compliant", r.code)
	}
	return r.doc
}

func isBlocked(host string) bool {
	for _, b := range filterBlocked {
		if b == host {
			return true
		}
	}
	return false
}

// expectation builds the usual matrix: blocked names fail at proxy-denied (reason given
// per port), allowed names pass, the unknown name fails at proxy-upstream/dns.
func expectation(blocked443, blocked80 want) func(string, int) want {
	return func(host string, port int) want {
		switch {
		case host == filterGone:
			return want{facts.StatusFail, facts.StageProxyUpstream, "dns"}
		case isBlocked(host) && port == 443:
			return blocked443
		case isBlocked(host):
			return blocked80
		}
		return want{facts.StatusPass, "", ""}
	}
}

var denied = want{facts.StatusFail, facts.StageProxyDenied, ""}

// privoxy: +block, +block +handle-as-empty-document, +redirect, and its "No such domain".
func TestPrivoxyBlocksFailAndAllowedPass(t *testing.T) {
	l := startCatalogLab(t)
	p := lab.StartPrivoxy(t, lab.PrivoxyOptions{Hosts: l.filterHosts(t),
		Block: filterBlocked[:1], Empty: filterBlocked[1:2], Redirect: filterBlocked[2:],
		RedirectTo: "http://" + blockHost + "/blocked.html"})
	assertFilter(t, l, p, true, func(host string, port int) want {
		if host == filterBlocked[2] && port == 80 {
			return want{facts.StatusFail, facts.StageProxyDenied, "block-redirect"}
		}
		return expectation(denied, denied)(host, port)
	})
}

// Apache mod_proxy with ProxyBlock ("403 Proxy Error") and its DNS failure page.
func TestApacheProxyBlockFailsAndAllowedPass(t *testing.T) {
	l := startCatalogLab(t)
	hosts := l.filterHosts(t)
	for _, b := range filterBlocked {
		// ProxyBlock also blocks the blocked names' addresses: give them their own.
		hosts[b] = "127.255.255.253"
	}
	p := lab.StartApache(t, lab.ApacheOptions{Hosts: hosts, Block: filterBlocked})
	assertFilter(t, l, p, true, expectation(denied, denied))
}

// squid + squidGuard: blocked names are redirected to the block host, carrying the URL.
func TestSquidGuardRedirectFailsAndAllowedPass(t *testing.T) {
	l := startCatalogLab(t)
	p := lab.StartSquidGuard(t, lab.SquidGuardOptions{Hosts: l.filterHosts(t), Block: filterBlocked,
		RedirectTo: "http://" + blockHost + "/blocked.html?clientaddr=%a&targetgroup=%t&url=%u"})
	assertFilter(t, l, p, true, expectation(denied, want{facts.StatusFail, facts.StageProxyDenied, "block-redirect"}))
}

// e2guardian's stock block page (200, HTML).
func TestE2guardianStockPageFailsAndAllowedPass(t *testing.T) {
	l := startCatalogLab(t)
	p := lab.StartE2guardian(t, lab.E2guardianOptions{Hosts: l.filterHosts(t), Block: filterBlocked})
	assertFilter(t, l, p, false, expectation(denied, denied))
}

// A company's own e2guardian page: the German template copied, with its own title and no
// product name left in it. Neither English words nor "e2guardian" can recognise it.
func TestE2guardianCompanyTemplateInGermanFails(t *testing.T) {
	l := startCatalogLab(t)
	tpl := lab.E2guardianTemplate(t, "german")
	tpl = regexp.MustCompile(`(?is)<title>.*?</title>`).ReplaceAllString(tpl, "<title>Contoso Internetzugang - Seite gesperrt</title>")
	tpl = regexp.MustCompile(`(?is)<!--.*?-->`).ReplaceAllString(tpl, "")
	tpl = regexp.MustCompile(`(?i)[^\n]*e2guardian[^\n]*\n`).ReplaceAllString(tpl, "")
	tpl = strings.ReplaceAll(tpl, "IHRE FIRMA", "Contoso GmbH")
	if strings.Contains(strings.ToLower(tpl), "guardian") {
		t.Fatal("the company template still names the product")
	}
	p := lab.StartE2guardian(t, lab.E2guardianOptions{Hosts: l.filterHosts(t), Block: filterBlocked, Template: tpl, Language: "german"})
	doc := assertFilter(t, l, p, false, expectation(denied, denied))
	for _, c := range doc.Checks {
		// No word of the page can have recognised it: one page for several hosts did.
		if isBlocked(c.Host) && c.Port == 80 && (c.Evidence.Origin == nil || c.Evidence.Origin.By != "same-page") {
			t.Errorf("%s: recognised by %+v; want the same page served for several hosts", c.ID, c.Evidence.Origin)
		}
	}
}

// tinyproxy with a deny list, then with an allow list (FilterDefaultDeny).
func TestTinyproxyDenyAndAllowLists(t *testing.T) {
	l := startCatalogLab(t)
	t.Run("deny-list", func(t *testing.T) {
		p := lab.StartTinyproxy(t, lab.TinyproxyOptions{Hosts: l.filterHosts(t), Filter: filterBlocked})
		assertFilter(t, l, p, false, expectation(denied, denied))
	})
	t.Run("allow-list", func(t *testing.T) {
		p := lab.StartTinyproxy(t, lab.TinyproxyOptions{Hosts: l.filterHosts(t), Filter: filterAllowed, FilterDefaultDeny: true})
		assertFilter(t, l, p, false, expectation(denied, denied))
	})
}

// mitmproxy intercepts TLS: with its CA untrusted the handshake fails; trusted, the re-signed
// chain is named as interception (not one of --expected-roots). Port 80 passes either way.
func TestMitmproxyInterceptionTrustedAndNot(t *testing.T) {
	l := startCatalogLab(t)
	p := lab.StartMitmproxy(t, lab.MitmproxyOptions{Hosts: l.filterHosts(t), UpstreamCA: l.ca.PEM()})
	expect := func(stage string) func(string, int) want {
		return func(host string, port int) want {
			if port == 443 {
				return want{facts.StatusFail, stage, ""}
			}
			// mitmproxy relays port 80 unchanged, but the only HTTPS answer the run has is
			// the interceptor's: nothing verified to the expected roots proves port 80's.
			return want{facts.StatusWarn, facts.StageHTTP, "unverified-origin"}
		}
	}
	t.Run("ca-not-trusted", func(t *testing.T) {
		assertFilter(t, l, p, false, expect(facts.StageTLS))
	})
	t.Run("ca-trusted", func(t *testing.T) {
		doc := assertFilter(t, l, p, false, expect(facts.StageTLSIntercepted), "--ca-file", p.CAFile)
		for _, c := range doc.Checks {
			if c.Port == 443 && !strings.Contains(c.Message, "not one of the expected roots") {
				t.Errorf("%s: %s; want it to say the issuer is not one of the expected roots", c.ID, c.Message)
			}
		}
	})
}

// squidGuard rewriting instead of redirecting (a redirect rule without "302:"): squid
// fetches the company's block page itself and relays it, Via-stamped, as the answer for the
// blocked URL. A relay's stamp proves a relay, not that the endpoint wrote the page.
func TestSquidGuardRewrittenBlockPageNeverPasses(t *testing.T) {
	l := startCatalogLab(t)
	blocked443 := want{facts.StatusFail, "", ""}
	t.Run("german-page-three-names", func(t *testing.T) {
		// No word of the page is known: one page answered hosts of three domains.
		l.web.Handle(blockHost, lab.Route{Status: 200, Headers: map[string]string{"Content-Type": "text/html; charset=utf-8"},
			Body: "<html><head><title>Contoso Internetzugang</title></head><body><h1>Diese Seite ist gesperrt</h1></body></html>"})
		p := lab.StartSquidGuard(t, lab.SquidGuardOptions{Hosts: l.filterHosts(t), Block: filterBlocked, Rewrite: true,
			RedirectTo: "http://" + blockHost + "/blocked.html?clientaddr=%a&targetgroup=%t&url=%u"})
		assertFilter(t, l, p, false, expectation(blocked443, want{facts.StatusWarn, facts.StageHTTP, "unverified-origin"}))
	})
	t.Run("one-name", func(t *testing.T) {
		// One blocked name: no second host to compare with; the page's title says it.
		l.web.Handle(blockHost, lab.Route{Status: 200, Headers: map[string]string{"Content-Type": "text/html"},
			Body: "<html><head><title>Contoso: access blocked by policy</title></head><body>Ask the service desk.</body></html>"})
		p := lab.StartSquidGuard(t, lab.SquidGuardOptions{Hosts: l.filterHosts(t), Block: filterBlocked[:1], Rewrite: true,
			RedirectTo: "http://" + blockHost + "/blocked.html?url=%u"})
		assertFilter(t, l, p, false, func(host string, port int) want {
			switch {
			case host == filterBlocked[0] && port == 443:
				return blocked443
			case host == filterBlocked[0]:
				return want{facts.StatusFail, facts.StageProxyDenied, "block-page"}
			}
			return want{facts.StatusPass, "", ""}
		})
	})
}

// e2guardian with a company's branded page and a single blocked name: no second host shows
// the same page and no word or product name gives it away. Its HTTPS side is refused, so
// nothing proves port 80's page the origin's: warn unverified-origin, never a pass.
func TestE2guardianBrandedPageSingleBlockedNameIsNeverAPass(t *testing.T) {
	l := startCatalogLab(t)
	tpl := lab.E2guardianTemplate(t, "german")
	tpl = regexp.MustCompile(`(?is)<title>.*?</title>`).ReplaceAllString(tpl, "<title>Contoso Internetzugang</title>")
	tpl = regexp.MustCompile(`(?is)<!--.*?-->`).ReplaceAllString(tpl, "")
	tpl = regexp.MustCompile(`(?i)[^\n]*e2guardian[^\n]*\n`).ReplaceAllString(tpl, "")
	tpl = strings.ReplaceAll(tpl, "IHRE FIRMA", "Contoso GmbH")
	one := filterBlocked[0]
	p := lab.StartE2guardian(t, lab.E2guardianOptions{Hosts: l.filterHosts(t), Block: []string{one}, Template: tpl, Language: "german"})
	assertFilter(t, l, p, false, func(host string, port int) want {
		switch {
		case host == one && port == 443:
			return denied
		case host == one:
			return want{facts.StatusWarn, facts.StageHTTP, "unverified-origin"}
		}
		return want{facts.StatusPass, "", ""}
	})
}
