package reports

import (
	"bytes"
	"io"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/cmpreflight/cmpreflight/catalog/sources"
	"github.com/cmpreflight/cmpreflight/facts"
)

// hostile are strings an intercepting proxy or a block page could send.
var hostile = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`</style><script>alert(2)</script>`,
	`<iframe src=//evil>`,
	`<svg onload=alert(5)>`,
	`<b>vendor</b>`,
}

// TestHTMLEscapesNetworkStrings pushes hostile strings through the whole pipeline (saved
// JSON report → ReadJSON → Render) and checks that none survives as markup: the parsed page
// has exactly the elements the template writes and shows the hostile strings as text.
func TestHTMLEscapesNetworkStrings(t *testing.T) {
	doc := loadFixture(t, "tls-intercepted")
	// Also through fields the fixture does not cover.
	doc.Checks[0].Evidence.HTTP = &facts.HTTPEvidence{Method: "HEAD", URL: "javascript:alert(6)",
		Headers: map[string]any{`"onmouseover="alert(7)`: `'><script>alert(8)</script>`}}
	doc.Site = &facts.SiteFacts{SCPServer: `<script>alert(9)</script>`, Site: &facts.SiteInfo{SiteName: `<img src=x onerror=alert(10)>`}}
	doc.Trust = &facts.TrustFacts{Gaps: []facts.AllowlistHop{{Name: `<script>alert(11)</script>.example`, Via: "cname", Check: "x"}}}
	// The DNS tries: a question carries the name as the catalog or a CNAME spelt it.
	doc.Checks[0].Evidence.DNS = &facts.DNSEvidence{Queries: 2, Tries: []facts.DNSTry{
		{Server: "10.0.0.53:53", Question: `A <script>alert(12)</script>.example`, Transport: "udp", Outcome: "no-answer"},
		{Server: "10.0.0.53:53", Question: `A <script>alert(12)</script>.example`, Transport: "udp", AtMs: 1000, Outcome: "NOERROR", Ms: 3}}}
	out := render(t, "html", doc)

	for _, h := range hostile {
		if bytes.Contains(out, []byte(h)) {
			t.Errorf("rendered HTML contains %q unescaped", h)
		}
	}
	for _, h := range []string{"alert(6)", "alert(7)", "alert(8)", "alert(9)", "alert(10)", "alert(11)", "alert(12)", "no-answer", "Queries sent"} {
		if !bytes.Contains(out, []byte(h)) {
			t.Errorf("%s not shown at all", h)
		}
	}

	z := html.NewTokenizer(bytes.NewReader(out))
	scripts, text := 0, &strings.Builder{}
	allowed := map[string]bool{}
	for _, tag := range strings.Fields(`html head meta title style body header h1 h2 h3 h4 div strong dl dt dd br span code
		ul li main section p a label input select option table thead tbody tr th td button details summary footer noscript script`) {
		allowed[tag] = true
	}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() != io.EOF {
				t.Fatal(z.Err())
			}
			break
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			if !allowed[tok.Data] {
				t.Errorf("unexpected element <%s> %v", tok.Data, tok.Attr)
			}
			if tok.Data == "script" {
				scripts++
			}
			for _, a := range tok.Attr {
				if strings.HasPrefix(a.Key, "on") {
					t.Errorf("event handler attribute %s=%q on <%s>", a.Key, a.Val, tok.Data)
				}
				if (a.Key == "href" || a.Key == "src") && !strings.HasPrefix(a.Val, "#") && !isSourceLink(tok.Data, a.Key, a.Val) {
					t.Errorf("<%s %s=%q>: only in-page links are allowed", tok.Data, a.Key, a.Val)
				}
			}
		case html.TextToken:
			text.WriteString(tok.Data)
		}
	}
	if scripts != 1 {
		t.Errorf("%d script elements, want only the template's own", scripts)
	}
	// As text, the hostile strings are there for the reader.
	for _, h := range []string{`CN=<script>alert(1)</script>,O=Contoso Inspection CA`, `"><img src=x onerror=alert(1)>`} {
		if !strings.Contains(text.String(), h) {
			t.Errorf("text of the page lacks %q", h)
		}
	}
}

var cssExternal = regexp.MustCompile(`(?i)url\(|@import`)

// externalRefs lists what in a page would make a browser fetch something: a link element,
// a src/href/action/... attribute that is not an in-page anchor, a CSS url() or @import.
func externalRefs(t *testing.T, page []byte) []string {
	t.Helper()
	var refs []string
	z := html.NewTokenizer(bytes.NewReader(page))
	inStyle := false
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return refs
		}
		tok := z.Token()
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			inStyle = tok.Data == "style"
			if tok.Data == "link" || tok.Data == "img" || tok.Data == "iframe" || tok.Data == "object" || tok.Data == "embed" {
				refs = append(refs, "<"+tok.Data+">")
			}
			for _, a := range tok.Attr {
				switch a.Key {
				case "src", "href", "action", "formaction", "srcset", "poster", "data", "background":
					if !strings.HasPrefix(a.Val, "#") && !isSourceLink(tok.Data, a.Key, a.Val) {
						refs = append(refs, a.Key+"="+a.Val)
					}
				case "style":
					if cssExternal.MatchString(a.Val) {
						refs = append(refs, "style="+a.Val)
					}
				}
			}
		case html.EndTagToken:
			inStyle = false
		case html.TextToken:
			if inStyle && cssExternal.MatchString(tok.Data) {
				refs = append(refs, "css: "+cssExternal.FindString(tok.Data))
			}
		}
	}
}

// TestHTMLSelfContained: nothing in any rendered report points off the page.
func TestHTMLSelfContained(t *testing.T) {
	for _, fx := range fixtures {
		out := render(t, "html", loadFixture(t, fx))
		if refs := externalRefs(t, out); len(refs) > 0 {
			t.Errorf("%s: external references %q", fx, refs)
		}
		for _, want := range []string{"<style>", "<script>", "@media print"} {
			if !bytes.Contains(out, []byte(want)) {
				t.Errorf("%s: missing %s", fx, want)
			}
		}
	}
}

func TestHTMLContent(t *testing.T) {
	out := string(render(t, "html", loadFixture(t, "proxy-denied")))
	for _, want := range []string{
		`<div class="verdict bad" id="verdict">`, "not compliant",
		"<strong>2</strong> deny", "<strong>2</strong> warn", "<strong>1</strong> waived",
		"CM02-SCP.corp.contoso.com", "http://proxy.corp.contoso.com:8080", "source: configmgr", "auth: ntlm",
		"2026-11-20 09:01:44 UTC", "16.9s",
		// findings first, with remediation and links to their checks
		"Ask the proxy team to allow CONNECT", `href="#check-download.microsoft.com-443"`,
		// grouped tables, waterfall, evidence
		`<section class="group" data-group="updates and servicing">`, `<section class="group" data-group="site">`,
		`class="p-proxy" style="width:`, "Access Denied - Content Gateway", "HTTP/1.1 403 Forbidden",
		"CN=DigiCert Global Root G2", "go.microsoft.com.edgekey.net",
		// optional sections
		`id="trust"`, "cmbitsstore.z13.web.core.windows.net", "never exercised", `id="firewall"`,
		`id="site"`, "Contoso Primary",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if i, j := strings.Index(out, `id="findings"`), strings.Index(out, `id="checks"`); i < 0 || j < i {
		t.Error("findings do not come before the checks")
	}
	direct := string(render(t, "html", loadFixture(t, "direct-pass")))
	for _, want := range []string{`<div class="verdict ok"`, "direct (no proxy facts recorded)", "tenant id not given"} {
		if !strings.Contains(direct, want) {
			t.Errorf("direct-pass HTML lacks %q", want)
		}
	}
	for _, absent := range []string{`id="trust"`, `id="site"`, `id="logs"`} {
		if strings.Contains(direct, absent) {
			t.Errorf("direct-pass HTML has section %s without facts", absent)
		}
	}
	if !strings.Contains(string(render(t, "html", loadFixture(t, "tls-intercepted"))), `id="logs"`) {
		t.Error("log findings section missing")
	}
}

// isSourceLink allows one kind of off-page reference: an <a href> to a page of the sources
// table (a link the reader may follow; the browser fetches nothing for it). Any other URL,
// and any src, stays refused.
func isSourceLink(tag, attr, val string) bool {
	if tag != "a" || attr != "href" {
		return false
	}
	all, err := sources.All()
	if err != nil {
		return false
	}
	for _, s := range all {
		if s.URL == val {
			return true
		}
	}
	return false
}
