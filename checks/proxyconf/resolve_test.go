package proxyconf

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/facts"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func winhttp(s *facts.WinHTTPSetting, err error) func() (*facts.WinHTTPSetting, error) {
	return func() (*facts.WinHTTPSetting, error) { return s, err }
}

var (
	winProxy  = &facts.WinHTTPSetting{Proxy: "winproxy.contoso.com:8080", Bypass: []string{"<local>", "*.contoso.com", "10.*", "*.fabrikam.com:80"}}
	winDirect = &facts.WinHTTPSetting{Direct: true}
	notWin    = winhttp(nil, ErrNotWindows)
)

type route struct {
	host   string
	port   int
	scheme string
	proxy  string // "" = direct
	by     string
}

func TestResolveSources(t *testing.T) {
	tests := []struct {
		name   string
		o      Options
		source string
		url    string // Facts().URL
		user   string
		routes []route
		note   string // a substring of one of the notes
	}{
		{
			name: "flag wins over everything", source: "flag", url: "http://proxy.contoso.com:8080",
			o: Options{Flag: "proxy.contoso.com:8080", ConfigMgr: "cm:80", WinHTTP: winhttp(winProxy, nil), Env: env("HTTPS_PROXY", "http://envproxy:3128")},
			routes: []route{
				{"sccm.manage.microsoft.com", 443, "https", "http://proxy.contoso.com:8080", ""},
				{"crl3.digicert.com", 80, "http", "http://proxy.contoso.com:8080", ""},
				// WinHTTP's bypass list does not apply when the flag is the source.
				{"intranet", 80, "", "http://proxy.contoso.com:8080", ""},
			},
		},
		{
			name: "config", source: "config", url: "http://proxy.contoso.com:80",
			o:      Options{Flag: "http://proxy.contoso.com", FlagSource: "config"},
			routes: []route{{"go.microsoft.com", 443, "https", "http://proxy.contoso.com:80", ""}},
		},
		{
			name: "flag with a user only", source: "flag", url: "https://proxy.contoso.com:443", user: "alice",
			o:      Options{Flag: "HTTPS://alice@proxy.contoso.com"},
			routes: []route{{"go.microsoft.com", 443, "https", "https://alice@proxy.contoso.com:443", ""}},
		},
		{
			name: "configmgr before winhttp", source: "configmgr", url: "http://cmproxy.contoso.com:80",
			o:      Options{ConfigMgr: "cmproxy.contoso.com:80", WinHTTP: winhttp(winProxy, nil)},
			routes: []route{{"download.microsoft.com", 443, "https", "http://cmproxy.contoso.com:80", ""}},
		},
		{
			name: "winhttp proxy with bypass", source: "winhttp", url: "http://winproxy.contoso.com:8080",
			o: Options{WinHTTP: winhttp(winProxy, nil), Env: env("HTTPS_PROXY", "http://envproxy:3128")},
			routes: []route{
				{"go.microsoft.com", 443, "https", "http://winproxy.contoso.com:8080", ""},
				{"intranet", 443, "https", "", "winhttp:<local>"},
				{"sccm01.contoso.com", 443, "https", "", "winhttp:*.contoso.com"},
				{"contoso.com", 443, "https", "http://winproxy.contoso.com:8080", ""},
				{"10.1.2.3", 80, "http", "", "winhttp:10.*"},
				{"www.fabrikam.com", 80, "http", "", "winhttp:*.fabrikam.com:80"},
				{"www.fabrikam.com", 443, "https", "http://winproxy.contoso.com:8080", ""},
			},
		},
		{
			name: "winhttp direct is an answer", source: "winhttp", url: "",
			o:      Options{WinHTTP: winhttp(winDirect, nil), Env: env("HTTPS_PROXY", "http://envproxy:3128")},
			routes: []route{{"go.microsoft.com", 443, "https", "", ""}},
			note:   "direct access",
		},
		{
			name: "winhttp per scheme", source: "winhttp", url: "http://b:443",
			o: Options{WinHTTP: winhttp(&facts.WinHTTPSetting{Proxy: "http=a:80;https=b:443;socks=s:1080"}, nil)},
			routes: []route{
				{"go.microsoft.com", 443, "https", "http://b:443", ""},
				{"crl3.digicert.com", 80, "http", "http://a:80", ""},
				{"crl3.digicert.com", 80, "", "http://a:80", ""},
			},
			note: "http=a:80;https=b:443",
		},
		{
			name: "winhttp http only sends https direct", source: "winhttp", url: "http://a:8080",
			o: Options{WinHTTP: winhttp(&facts.WinHTTPSetting{Proxy: "http=http://a:8080"}, nil)},
			routes: []route{
				{"go.microsoft.com", 443, "https", "", ""},
				{"crl3.digicert.com", 80, "http", "http://a:8080", ""},
			},
		},
		{
			name: "winhttp unreadable falls through to env", source: "env", url: "http://envproxy:3128",
			o:      Options{WinHTTP: winhttp(nil, errors.New("access denied")), Env: env("HTTPS_PROXY", "http://envproxy:3128")},
			routes: []route{{"go.microsoft.com", 443, "https", "http://envproxy:3128", ""}},
			note:   "access denied; run `netsh winhttp show proxy` in an elevated prompt",
		},
		{
			name: "winhttp with only socks falls through", source: "none",
			o:    Options{WinHTTP: winhttp(&facts.WinHTTPSetting{Proxy: "socks=s:1080"}, nil)},
			note: "socks entries, which are not supported; WinHTTP setting ignored; run `netsh winhttp show proxy` to see it, then name an HTTP proxy the role can use with `netsh winhttp set proxy",
		},
		{
			name: "env off windows", source: "env", url: "http://envproxy:3128",
			o: Options{WinHTTP: notWin, Env: env("HTTPS_PROXY", "envproxy:3128", "HTTP_PROXY", "http://plain:8080", "NO_PROXY", "contoso.com, .fabrikam.com,10.0.0.0/8")},
			routes: []route{
				{"go.microsoft.com", 443, "https", "http://envproxy:3128", ""},
				{"crl3.digicert.com", 80, "http", "http://plain:8080", ""},
				{"www.contoso.com", 443, "https", "", "NO_PROXY:contoso.com"},
				{"contoso.com", 443, "https", "", "NO_PROXY:contoso.com"},
				{"www.fabrikam.com", 443, "https", "", "NO_PROXY:.fabrikam.com"},
				{"10.2.3.4", 80, "http", "", "NO_PROXY:10.0.0.0/8"},
				{"localhost", 443, "https", "", "loopback"},
			},
			note: "http=plain:8080;https=envproxy:3128",
		},
		{
			name: "env lower case", source: "env", url: "http://lower:3128",
			o:      Options{Env: env("https_proxy", "http://lower:3128", "no_proxy", "*.contoso.com")},
			routes: []route{{"go.microsoft.com", 443, "https", "http://lower:3128", ""}},
		},
		{
			name: "env http only", source: "env", url: "http://plain:8080",
			o: Options{Env: env("HTTP_PROXY", "http://plain:8080")},
			routes: []route{
				{"go.microsoft.com", 443, "https", "", ""},
				{"crl3.digicert.com", 80, "http", "http://plain:8080", ""},
			},
			note: "HTTPS_PROXY is not set",
		},
		{
			name: "env http proxy ignored under CGI", source: "none",
			o:    Options{Env: env("HTTP_PROXY", "http://plain:8080", "REQUEST_METHOD", "GET")},
			note: "CGI",
		},
		{
			name: "none", source: "none",
			o:      Options{WinHTTP: notWin, Env: env()},
			routes: []route{{"go.microsoft.com", 443, "https", "", ""}},
		},
		{
			name: "nil funcs", source: "none",
			routes: []route{{"go.microsoft.com", 443, "https", "", ""}},
		},
		{
			name: "--no-proxy over the flag", source: "flag", url: "http://p:3128",
			o: Options{Flag: "p:3128", NoProxy: []string{"download.microsoft.com", ".manage.microsoft.com", "<local>", "*.blob.core.windows.net", "192.168.0.0/16", "crl.microsoft.com:80"}},
			routes: []route{
				{"download.microsoft.com", 443, "https", "", "--no-proxy:download.microsoft.com"},
				{"a.download.microsoft.com", 443, "https", "", "--no-proxy:download.microsoft.com"},
				{"microsoft.com", 443, "https", "http://p:3128", ""},
				{"sccm.manage.microsoft.com", 443, "https", "", "--no-proxy:.manage.microsoft.com"},
				{"manage.microsoft.com", 443, "https", "http://p:3128", ""},
				{"server01", 443, "https", "", "--no-proxy:<local>"},
				{"ceuswatcab01.blob.core.windows.net", 443, "https", "", "--no-proxy:*.blob.core.windows.net"},
				{"192.168.1.1", 443, "https", "", "--no-proxy:192.168.0.0/16"},
				{"CRL.Microsoft.com.", 80, "http", "", "--no-proxy:crl.microsoft.com:80"},
				{"crl.microsoft.com", 443, "https", "http://p:3128", ""},
			},
		},
		{
			name: "--no-proxy * over winhttp", source: "winhttp",
			o:      Options{WinHTTP: winhttp(winProxy, nil), NoProxy: []string{"*"}},
			url:    "http://winproxy.contoso.com:8080",
			routes: []route{{"go.microsoft.com", 443, "https", "", "--no-proxy:*"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sel, err := Resolve(tc.o)
			if err != nil {
				t.Fatal(err)
			}
			f := sel.Facts()
			if f.Source != tc.source || sel.Source() != tc.source || f.URL != tc.url || f.User != tc.user {
				t.Errorf("facts source %q url %q user %q, want %q %q %q", f.Source, f.URL, f.User, tc.source, tc.url, tc.user)
			}
			for _, r := range tc.routes {
				p, by := sel.For(r.host, r.port, r.scheme)
				got := ""
				if p != nil {
					got = p.String()
				}
				if got != r.proxy || by != r.by {
					t.Errorf("For(%s, %d, %q) = %q, %q; want %q, %q", r.host, r.port, r.scheme, got, by, r.proxy, r.by)
				}
			}
			if tc.note != "" && !strings.Contains(strings.Join(f.Notes, "\n"), tc.note) {
				t.Errorf("notes %q lack %q", f.Notes, tc.note)
			}
		})
	}
}

func TestFactsWinHTTPAndBypass(t *testing.T) {
	// The WinHTTP setting is reported even when another source wins.
	sel, err := Resolve(Options{Flag: "p:3128", NoProxy: []string{"a.example"}, WinHTTP: winhttp(winProxy, nil)})
	if err != nil {
		t.Fatal(err)
	}
	f := sel.Facts()
	if f.WinHTTP != winProxy || !reflect.DeepEqual(f.Bypass, []string{"a.example"}) || f.Auth != "auto" {
		t.Errorf("facts %+v", f)
	}
	sel, err = Resolve(Options{NoProxy: []string{"a.example", " "}, WinHTTP: winhttp(winProxy, nil), Auth: "ntlm"})
	if err != nil {
		t.Fatal(err)
	}
	f = sel.Facts()
	want := []string{"a.example", "<local>", "*.contoso.com", "10.*", "*.fabrikam.com:80"}
	if !reflect.DeepEqual(f.Bypass, want) || f.Auth != "ntlm" {
		t.Errorf("bypass %q auth %q", f.Bypass, f.Auth)
	}
	sel, _ = Resolve(Options{})
	if f := sel.Facts(); f.Auth != "none" || f.WinHTTP != nil || f.URL != "" {
		t.Errorf("facts %+v", f)
	}
}

func TestResolveErrors(t *testing.T) {
	const secret = "Tr0ub4dor&3"
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"password in --proxy", Options{Flag: "http://alice:" + secret + "@proxy:8080"}, "--proxy"},
		{"password in --proxy without scheme", Options{Flag: "alice:" + secret + "@proxy:8080"}, "CMPREFLIGHT_PROXY_PASSWORD"},
		{"password in config", Options{Flag: "http://alice:" + secret + "@proxy:8080", FlagSource: "config"}, "config key proxy"},
		{"bad flag source", Options{Flag: "p:1", FlagSource: "argv"}, "flag source"},
		{"bad flag port", Options{Flag: "http://proxy:99999"}, "port"},
		{"socks flag", Options{Flag: "socks5://proxy:1080"}, "not supported"},
		{"flag with path", Options{Flag: "http://proxy:8080/x"}, "path"},
		{"bad configmgr", Options{ConfigMgr: "http://[::1"}, "ConfigMgr proxy"},
		{"bad env url with password", Options{Env: env("HTTPS_PROXY", "http://svc:"+secret+"@[bad")}, "HTTPS_PROXY"},
		{"bad env port with password", Options{Env: env("https_proxy", "http://svc:"+secret+"@proxy:0")}, "https_proxy"},
		{"bad env scheme with password", Options{Env: env("HTTP_PROXY", "ftp://svc:"+secret+"@proxy:21")}, "HTTP_PROXY"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Resolve(tc.o)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error shows the password: %q", err)
			}
		})
	}
}

func TestEnvPasswordNeverShown(t *testing.T) {
	const secret = "S3cr3t-P@ss"
	sel, err := Resolve(Options{
		WinHTTP: notWin,
		Env:     env("HTTPS_PROXY", "http://svc:S3cr3t-P%40ss@proxy.contoso.com:8080", "HTTP_PROXY", "http://svc:S3cr3t-P%40ss@proxy.contoso.com:8080"),
	})
	if err != nil {
		t.Fatal(err)
	}
	user, pw, ok := sel.Credentials("https")
	if !ok || user != "svc" || pw != secret {
		t.Errorf("Credentials = %q, %q, %v", user, pw, ok)
	}
	if _, _, ok := sel.Credentials("ftp"); ok {
		t.Error("credentials for a scheme without a proxy")
	}
	p, _ := sel.For("go.microsoft.com", 443, "https")
	if p == nil || p.User.Username() != "svc" {
		t.Fatalf("proxy %v", p)
	}
	js, err := json.Marshal(sel.Facts())
	if err != nil {
		t.Fatal(err)
	}
	selJSON, err := json.Marshal(sel)
	if err != nil {
		t.Fatal(err)
	}
	var outputs []string
	outputs = append(outputs, string(js), string(selJSON), p.String(), p.Redacted(), sel.String())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%q"} {
		outputs = append(outputs, fmt.Sprintf(verb, sel), fmt.Sprintf(verb, *sel))
	}
	for _, o := range outputs {
		for _, form := range []string{secret, "S3cr3t-P%40ss", "S3cr3t"} {
			if strings.Contains(o, form) {
				t.Errorf("password shown in %q", o)
			}
		}
	}
	var f facts.ProxyFacts
	if err := json.Unmarshal(js, &f); err != nil {
		t.Fatal(err)
	}
	if f.Source != "env" || f.URL != "http://proxy.contoso.com:8080" || f.User != "svc" {
		t.Errorf("facts %+v", f)
	}
	// A user without a password is not "credentials".
	sel, _ = Resolve(Options{Env: env("HTTPS_PROXY", "http://svc@proxy:8080")})
	if _, _, ok := sel.Credentials("https"); ok {
		t.Error("credentials without a password")
	}
}

func TestForReturnsCopies(t *testing.T) {
	sel, _ := Resolve(Options{Flag: "p:3128"})
	p, _ := sel.For("a", 443, "https")
	p.Host = "changed:1"
	if q, _ := sel.For("a", 443, "https"); q.Host != "p:3128" {
		t.Errorf("For shares its URL: %v", q)
	}
}
