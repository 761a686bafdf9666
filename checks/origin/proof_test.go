package origin

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func shaped(raw string, status int, h map[string]string, body string) Answer {
	u, _ := url.Parse(raw)
	hh := http.Header{}
	for k, v := range h {
		hh.Set(k, v)
	}
	return Answer{Target: u, StatusCode: status, Header: hh, Body: []byte(body)}
}

// What the port-80 answer is compared on, and what it is not.
func TestShapeDifferences(t *testing.T) {
	page := "<html><title>Downloads</title>Served at 12:00:01 for download.microsoft.com, see https://download.microsoft.com/x</html>"
	cases := []struct {
		name        string
		plain, tls  Answer
		differences []string // substrings, one per expected difference; none = equal
	}{
		{"same redirect, scheme of the target ignored",
			shaped("http://go.microsoft.com/fwlink/?LinkID=1", 302, map[string]string{"Location": "http://download.microsoft.com/a.cab", "Server": "Kestrel"}, "Moved to http://download.microsoft.com/a.cab"),
			shaped("https://go.microsoft.com/fwlink/?LinkID=1", 302, map[string]string{"Location": "https://download.microsoft.com:443/a.cab", "Server": "Kestrel"}, "Moved to https://download.microsoft.com/a.cab"),
			nil},
		{"same page, other time and scheme in the text, server version differs",
			shaped("http://download.microsoft.com/", 200, map[string]string{"Content-Type": "text/html; charset=utf-8", "Server": "AkamaiGHost/1.2"}, page),
			shaped("https://download.microsoft.com/", 200, map[string]string{"Content-Type": "text/html", "Server": "AkamaiGHost/1.3", "Strict-Transport-Security": "max-age=1"}, strings.ReplaceAll(strings.ReplaceAll(page, "12:00:01", "12:00:07"), "https://", "http://")),
			nil},
		{"a block page where the origin redirects",
			shaped("http://go.microsoft.com/", 403, map[string]string{"Content-Type": "text/html", "Server": "squid/5.7"}, "<title>ERROR: The requested URL could not be retrieved</title>"),
			shaped("https://go.microsoft.com/", 302, map[string]string{"Location": "https://www.microsoft.com/", "Server": "Kestrel"}, ""),
			[]string{"status 403 vs 302", "redirect target", "media type", "server"}},
		{"a copied title and status, another server and body",
			shaped("http://download.microsoft.com/", 200, map[string]string{"Content-Type": "text/html", "Server": "nginx"}, "<title>Downloads</title>Seite gesperrt"),
			shaped("https://download.microsoft.com/", 200, map[string]string{"Content-Type": "text/html", "Server": "AkamaiGHost"}, page),
			[]string{"server", "body"}},
		{"same body by ETag although the text differs",
			shaped("http://x.example/", 200, map[string]string{"Content-Type": "application/octet-stream", "ETag": `W/"abc"`}, "one"),
			shaped("https://x.example/", 200, map[string]string{"Content-Type": "application/octet-stream", "ETag": `"abc"`}, "two"),
			nil},
		{"another redirect target",
			shaped("http://go.microsoft.com/", 302, map[string]string{"Location": "http://portal.contoso.com/?url=x"}, ""),
			shaped("https://go.microsoft.com/", 302, map[string]string{"Location": "https://www.microsoft.com/"}, ""),
			[]string{"redirect target"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := ShapeOf(c.plain).Differences(ShapeOf(c.tls))
			if len(d) != len(c.differences) {
				t.Fatalf("differences %q; want %d: %q", d, len(c.differences), c.differences)
			}
			for i, want := range c.differences {
				if !strings.Contains(d[i], want) {
					t.Errorf("difference %d is %q; want it to name %q", i, d[i], want)
				}
			}
		})
	}
}

func TestIsUpgrade(t *testing.T) {
	u, _ := url.Parse("http://crl.microsoft.com/pki/a.crl?x=1")
	for loc, want := range map[string]bool{
		"https://crl.microsoft.com/pki/a.crl?x=1":      true,
		"https://CRL.microsoft.com:443/pki/a.crl?x=1":  true,
		"https://crl.microsoft.com/pki/a.crl":          false, // the query dropped
		"https://crl.microsoft.com/":                   false, // another path
		"https://crl.microsoft.com:8443/pki/a.crl?x=1": false,
		"https://portal.contoso.com/pki/a.crl?x=1":     false,
		"http://crl.microsoft.com/pki/a.crl?x=1":       false,
		// Forged or odd targets: another host however it is spelt, never the asked one.
		"https://crl.microsoft.com@evil.test/pki/a.crl?x=1":    false,
		"https://crl.microsoft.com%2F@evil.test/pki/a.crl?x=1": false,
		"https://crl.microsoft.com\\@evil.test/pki/a.crl?x=1":  false,
		"https://crl.microsoft.com.evil.test/pki/a.crl?x=1":    false,
		"https://crl.microsoft.com./pki/a.crl?x=1":             false,
		"https://crl%2Emicrosoft.com/pki/a.crl?x=1":            false,
		"https://crl.microsoft.com:0443/pki/a.crl?x=1":         false,
		"https:crl.microsoft.com/pki/a.crl?x=1":                false,
		"https:///crl.microsoft.com/pki/a.crl?x=1":             false,
		"//crl.microsoft.com/pki/a.crl?x=1":                    false, // scheme-relative: http
		"https://crl.microsoft.com/pki/%61.crl?x=1":            false,
		"https://crl.microsoft.com/pki/a.crl?X=1":              false,
		"HTTPS://CRL.MICROSOFT.COM/pki/a.crl?x=1":              true,
		"https://crl.microsoft.com/pki/a.crl?x=1#top":          true,
	} {
		if got := IsUpgrade(u, 301, loc); got != want {
			t.Errorf("IsUpgrade(%s) = %v; want %v", loc, got, want)
		}
	}
	if IsUpgrade(u, 200, "https://crl.microsoft.com/pki/a.crl?x=1") {
		t.Error("a 200 with Location is no redirect")
	}
}
