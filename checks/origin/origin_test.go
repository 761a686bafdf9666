package origin

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func answer(target, status string, h map[string]string, body string) Answer {
	u, _ := url.Parse(target)
	hdr := http.Header{}
	for k, v := range h {
		hdr.Set(k, v)
	}
	code := 0
	for _, c := range status[:3] {
		code = code*10 + int(c-'0')
	}
	return Answer{Target: u, StatusCode: code, Status: status, Header: hdr, Body: []byte(body)}
}

func TestSignaturesAllHaveASourceAndCompile(t *testing.T) {
	if len(Builtin()) < 20 {
		t.Fatalf("%d signatures", len(Builtin()))
	}
	products := map[string]bool{}
	for _, s := range Builtin() {
		products[s.Product] = true
	}
	for _, p := range []string{"squid", "privoxy", "apache-mod_proxy", "tinyproxy", "squidguard", "e2guardian",
		"zscaler", "symantec-bluecoat", "forcepoint-websense", "palo-alto-pan-os", "fortinet-fortigate", "sophos",
		"cisco-umbrella", "cisco-wsa", "skyhigh-mcafee-web-gateway", "netskope", "checkpoint-usercheck", "barracuda"} {
		if !products[p] {
			t.Errorf("no signature for %s", p)
		}
	}
	for _, bad := range []string{
		"signatures: [{product: x, means: block, status: '^403'}]",               // no source
		"signatures: [{product: x, source: y, means: maybe, status: '^403'}]",    // bad means
		"signatures: [{product: x, source: y, means: block}]",                    // no condition
		"signatures: [{product: x, source: y, means: block, body: '(unclosed'}]", // bad regexp
	} {
		if _, err := LoadSignatures([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestJudgeRecognisesProxyPages(t *testing.T) {
	origin := map[string]string{"Server": "cmpreflight-lab", "Date": "x", "Content-Type": "text/plain"}
	learnt := &Learnt{
		Invalid:  ptr(Fingerprint(answer("http://c.invalid/", "503 Service Unavailable", map[string]string{"Server": "px", "Content-Type": "text/html"}, "<title>no such host c.invalid</title>"))),
		Unlisted: ptr(Fingerprint(answer("http://example.com/", "200 OK", origin, ""))),
		Server:   "px",
	}
	cases := []struct {
		name    string
		a       Answer
		proxied bool
		means   string
		reason  string
		by      string
	}{
		{"privoxy block", answer("http://a.test/", "403 Request blocked by Privoxy", nil, ""), true, MeansBlock, ReasonBlockPage, "signature"},
		{"privoxy redirect", answer("http://a.test/", "302 Local Redirect from Privoxy", map[string]string{"Location": "http://blk/"}, ""), true, MeansBlock, ReasonBlockRedirect, "signature"},
		{"squid dns", answer("http://a.test/", "503 Service Unavailable", map[string]string{"X-Squid-Error": "ERR_DNS_FAIL 0"}, ""), true, MeansDNS, ReasonDNS, "signature"},
		{"apache block", answer("http://a.test/", "403 Proxy Error", map[string]string{"Server": "Apache/2.4"}, ""), true, MeansBlock, ReasonBlockPage, "signature"},
		{"the proxy's page for a name that cannot exist", answer("http://a.test/", "503 Service Unavailable", map[string]string{"Server": "px", "Content-Type": "text/html"}, "<title>no such host a.test</title>"), true, MeansDNS, ReasonDNS, "canary-invalid"},
		{"the proxy's own server on a 403", answer("http://a.test/", "403 Forbidden", map[string]string{"Server": "px"}, "nope"), true, MeansBlock, ReasonBlockPage, "proxy-identity"},
		{"redirect carrying the asked URL", answer("http://a.test/", "302 Found", map[string]string{"Location": "http://portal.corp/warn?u=http%3A%2F%2Fa.test%2F"}, ""), true, MeansBlock, ReasonBlockRedirect, "redirect-carries-target"},
		{"direct filter redirect", answer("http://a.test/", "302 Found", map[string]string{"Location": "http://portal.corp/?dest=a.test"}, ""), false, MeansBlock, ReasonBlockRedirect, "redirect-carries-target"},
		{"unstamped 404", answer("http://a.test/", "404 Not Found", map[string]string{"Server": "IIS"}, "x"), true, "", ReasonUnverified, "error-unstamped"},
		{"origin answer", answer("http://a.test/", "200 OK", origin, "hello"), true, "", "", "differs-from-canaries"},
		{"relayed with Via", answer("http://a.test/", "404 Not Found", map[string]string{"Via": "1.1 px"}, ""), true, "", "", "relayed"},
		{"no canary", answer("http://a.test/", "200 OK", origin, "hello"), true, "", ReasonUnverified, "no-canary"},
	}
	for _, c := range cases {
		l := learnt
		if c.by == "no-canary" {
			l = nil
		}
		v := Judge(c.a, c.proxied, l)
		if v.Means != c.means || v.Reason != c.reason || v.By != c.by {
			t.Errorf("%s: %+v; want means %q reason %q by %q", c.name, v, c.means, c.reason, c.by)
		}
		if v.Origin != (c.means == "" && c.reason == "") {
			t.Errorf("%s: origin %v", c.name, v.Origin)
		}
	}
}

// An allow list refuses .invalid and the unlisted name alike: its page means refused.
func TestJudgeAllowListIsABlockNotDNS(t *testing.T) {
	page := func(host string) Answer {
		return answer("http://"+host+"/", "403 Forbidden", map[string]string{"Content-Type": "text/html"}, "<title>Denied</title>"+host)
	}
	inv, unl := Fingerprint(page("c.invalid")), Fingerprint(page("example.com"))
	v := Judge(page("a.test"), true, &Learnt{Invalid: &inv, Unlisted: &unl, UnlistedRefused: true})
	if v.Means != MeansBlock || v.By != "canary-unlisted" {
		t.Errorf("%+v; want a block learnt from the unlisted canary", v)
	}
}

// A page with the proxy's own header set and server, but not a canary's page: never a pass.
func TestJudgeProxyHeadersWarn(t *testing.T) {
	own := Fingerprint(answer("http://c.invalid/", "200 OK", map[string]string{"Content-Type": "text/html"}, "<title>cannot load</title>"))
	unl := Fingerprint(answer("http://example.com/", "200 OK", map[string]string{"Content-Type": "text/html", "Server": "o", "Date": "d"}, "x"))
	v := Judge(answer("http://a.test/", "200 OK", map[string]string{"Content-Type": "text/html"}, "<title>Zugriff verweigert</title>"), true, &Learnt{Invalid: &own, Unlisted: &unl})
	if v.Origin || v.Reason != ReasonUnverified || v.By != "proxy-headers" || v.LookAt == "" {
		t.Errorf("%+v", v)
	}
}

func TestSamePageAcrossHosts(t *testing.T) {
	blockPage := func(host string) Page {
		return Fingerprint(answer("http://"+host+"/", "200 OK", map[string]string{"Content-Type": "text/html"},
			"<title>Seite gesperrt</title><a href=\"http://"+host+"/\">"+host+"</a> wurde gesperrt"))
	}
	generic := Fingerprint(answer("http://x/", "200 OK", map[string]string{"Content-Type": "text/html"}, "<title>Welcome</title>same"))
	empty := Fingerprint(answer("http://x/", "200 OK", map[string]string{"Content-Type": "text/plain"}, ""))
	seen := []Seen{
		{"a.microsoft.com", blockPage("a.microsoft.com")},
		{"b.windows.net", blockPage("b.windows.net")},
		{"c.digicert.com", generic},
		{"d.microsoft.com", generic},
		{"e.microsoft.com", empty},
		{"f.digicert.com", empty},
		{"g.digicert.com", Fingerprint(answer("http://g/", "200 OK", map[string]string{"Content-Type": "text/html"}, "<title>CRL</title>own"))},
	}
	got := SamePage(seen)
	if v := got[0]; v.Means != MeansBlock || v.By != "same-page" || !strings.Contains(v.Detail, "b.windows.net") {
		t.Errorf("block template: %+v", v)
	}
	if v := got[1]; v.Means != MeansBlock {
		t.Errorf("block template: %+v", v)
	}
	if v := got[2]; v.Means != "" || v.Reason != ReasonUnverified {
		t.Errorf("one generic page for two domains: %+v", v)
	}
	for _, i := range []int{4, 5, 6} {
		if v, ok := got[i]; ok {
			t.Errorf("%s: %+v; empty or distinct pages are never judged", seen[i].Host, v)
		}
	}
}

func TestCarriesTargetAndSameSite(t *testing.T) {
	tgt, _ := url.Parse("http://crl.microsoft.com/")
	for loc, want := range map[string]bool{
		"http://block.corp/?url=http%3A%2F%2Fcrl.microsoft.com%2F": true,
		"http://block.corp/blocked/crl.microsoft.com":              true,
		"https://crl.microsoft.com/":                               false,
		"http://block.corp/blocked.html":                           false,
	} {
		u, _ := url.Parse(loc)
		if got := CarriesTarget(u, tgt); got != want {
			t.Errorf("%s: %v", loc, got)
		}
	}
	if !SameSite("go.microsoft.com", "www.microsoft.com") || SameSite("a.microsoft.com", "microsoft.com.evil.test") || !SameSite("a.b.co.uk", "c.b.co.uk") {
		t.Error("SameSite")
	}
}

func ptr(p Page) *Page { return &p }

// Only the unlisted name answered (a plain relayed success) and the name that cannot exist
// did not: none of the proxy's own pages is known, so "differs from the canaries" proves
// nothing. A page that matches nothing known is never a pass then.
func TestJudgeWithoutAnyOwnPageOfTheProxyIsUnverified(t *testing.T) {
	unl := Fingerprint(answer("http://example.com/", "200 OK", map[string]string{"Content-Type": "text/html", "Server": "o", "Date": "d"}, "<title>Example Domain</title>"))
	l := &Learnt{Unlisted: &unl, Error: "cmpreflight-canary-x.invalid: timeout"}
	v := Judge(answer("http://a.test/", "200 OK", map[string]string{"Content-Type": "text/html"}, "<title>Contoso Internetzugang</title>Seite gesperrt"), true, l)
	if v.Origin || v.Reason != ReasonUnverified || v.By != "no-canary" || !strings.Contains(v.Detail, "timeout") {
		t.Errorf("%+v; want unverified-origin: no page of the proxy's own was learnt", v)
	}
	// An allow list's refusal is one of its own pages: that is enough to compare with.
	ref := Fingerprint(answer("http://example.com/", "403 Forbidden", map[string]string{"Content-Type": "text/html", "Server": "px"}, "<title>Denied</title>"))
	l = &Learnt{Unlisted: &ref, UnlistedRefused: true, Server: "px", Error: "cmpreflight-canary-x.invalid: timeout"}
	if v := Judge(answer("http://a.test/", "200 OK", map[string]string{"Content-Type": "text/plain", "Server": "o", "Date": "d"}, "hello"), true, l); !v.Origin {
		t.Errorf("%+v; want the origin: it differs from the proxy's refusal", v)
	}
}
