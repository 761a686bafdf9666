// Package proxyconf decides which proxy each target is reached through, and why: the --proxy
// flag or config, the proxy ConfigMgr set for the server, the machine's WinHTTP setting, the
// environment, or none.
package proxyconf

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpproxy"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/redact"
)

// Sources of the proxy setting, as reported in the facts document (proxy.source).
const (
	SourceFlag      = "flag"
	SourceConfig    = "config"
	SourceConfigMgr = "configmgr"
	SourceWinHTTP   = "winhttp"
	SourceEnv       = "env"
	// SourceWinINET is Local System's WinINET setting, the management point's proxy.
	SourceWinINET = "wininet-system"
	SourceNone    = "none"
)

// Options are the inputs Resolve weighs.
type Options struct {
	// Flag is the --proxy URL (or the config key proxy); FlagSource says which ("flag" when
	// empty, or "config").
	Flag       string
	FlagSource string
	// ConfigMgr is the proxy ConfigMgr configured for the server (host:port or URL); may be empty.
	ConfigMgr string
	// NoProxy is --no-proxy: hosts reached directly whatever the source.
	NoProxy []string
	// WinHTTP reads the machine's WinHTTP setting (ReadWinHTTP in production); nil skips it.
	WinHTTP func() (*facts.WinHTTPSetting, error)
	// WinHTTPSource names what WinHTTP reads when it is not WinHTTP itself (SourceWinINET
	// for a role that takes its proxy from Local System's WinINET settings).
	WinHTTPSource string
	// Env is getenv (os.Getenv in production); nil means an empty environment.
	Env func(string) string
	// Auth is --proxy-auth, copied into Facts; empty reports "auto" when a proxy is
	// selected and "none" otherwise.
	Auth string
}

// Selection is the outcome of Resolve: where the proxy setting came from and how each target
// is routed. Its String, GoString and JSON forms never contain a password.
type Selection struct {
	source string
	// all serves every scheme; byScheme holds WinHTTP's per-scheme proxies and the
	// environment's HTTP_PROXY/HTTPS_PROXY. URLs carry at most a user name.
	all      *url.URL
	byScheme map[string]*url.URL
	// passwords from userinfo in HTTP(S)_PROXY, by target scheme, for the dialer only.
	passwords map[string]string

	noProxy     []string // --no-proxy
	winBypass   []string // WinHTTP's bypass list when it is the source
	envNoProxy  []string // NO_PROXY entries when the environment is the source
	envProxy    func(*url.URL) (*url.URL, error)
	envEntryFns map[string]func(*url.URL) (*url.URL, error)

	winhttp *facts.WinHTTPSetting
	auth    string
	notes   []string
}

// Resolve picks the proxy source: the first of flag/config, ConfigMgr, WinHTTP (where
// "direct" is an answer too), the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, also in
// lower case) that answers, else none. A password inside the --proxy URL is refused; userinfo
// in HTTPS_PROXY/HTTP_PROXY is accepted and kept away from every printed form.
func Resolve(o Options) (*Selection, error) {
	s := &Selection{source: SourceNone, noProxy: cleanList(o.NoProxy)}
	getenv := o.Env
	if getenv == nil {
		getenv = func(string) string { return "" }
	}

	// The WinHTTP setting is read even when an earlier source wins, so that reports can show
	// where the machine's setting differs from the proxy in use.
	var winErr error
	if o.WinHTTP != nil {
		s.winhttp, winErr = o.WinHTTP()
		if winErr != nil {
			s.winhttp = nil
			if !errors.Is(winErr, ErrNotWindows) {
				if o.WinHTTPSource == SourceWinINET {
					s.notes = append(s.notes, "Local System's WinINET proxy setting could not be read: "+winErr.Error()+"; "+winINETNextStep)
				} else {
					s.notes = append(s.notes, "WinHTTP proxy setting could not be read: "+winErr.Error()+"; "+winHTTPUnreadableNextStep)
				}
			}
		}
	}

	if strings.TrimSpace(o.Flag) != "" {
		src, name := SourceFlag, "--proxy"
		if o.FlagSource == SourceConfig {
			src, name = SourceConfig, "config key proxy"
		} else if o.FlagSource != "" && o.FlagSource != SourceFlag {
			return nil, fmt.Errorf("proxyconf: flag source %q is not flag or config", o.FlagSource)
		}
		u, pw, err := parseProxyURL(o.Flag, name)
		if err != nil {
			return nil, err
		}
		if pw {
			return nil, fmt.Errorf("%s: the proxy URL contains a password, which other users can read (process list, config files); "+
				"give the user with --proxy-user and the password in the CMPREFLIGHT_PROXY_PASSWORD environment variable or --proxy-password-file", name)
		}
		s.source, s.all = src, u
		return s.finish(o), nil
	}

	if strings.TrimSpace(o.ConfigMgr) != "" {
		// ConfigMgr stores a name and a port; a password there would be a data error, and it
		// is dropped rather than carried.
		u, _, err := parseProxyURL(o.ConfigMgr, "ConfigMgr proxy")
		if err != nil {
			return nil, err
		}
		s.source, s.all = SourceConfigMgr, u
		return s.finish(o), nil
	}

	if s.winhttp != nil {
		if err := s.fromWinHTTP(); err != nil {
			s.notes = append(s.notes, err.Error()+"; WinHTTP setting ignored; "+winHTTPUnusableNextStep)
		} else {
			s.source = SourceWinHTTP
			if o.WinHTTPSource != "" {
				s.source = o.WinHTTPSource
			}
			return s.finish(o), nil
		}
	}

	if answered, err := s.fromEnv(getenv); err != nil {
		return nil, err
	} else if answered {
		s.source = SourceEnv
	}
	return s.finish(o), nil
}

func (s *Selection) finish(o Options) *Selection {
	s.auth = o.Auth
	if s.auth == "" {
		s.auth = "auto"
		if s.all == nil && len(s.byScheme) == 0 {
			s.auth = "none"
		}
	}
	return s
}

// What to run when the machine's proxy setting cannot be used, by cause (Microsoft's netsh
// winhttp commands: show proxy, set proxy, import proxy source=ie, reset proxy).
const (
	winHTTPUnreadableNextStep = "run `netsh winhttp show proxy` in an elevated prompt to see it; " +
		"if it is damaged, write it again with `netsh winhttp set proxy proxy-server=\"HOST:PORT\" bypass-list=\"<local>\"` " +
		"(or `netsh winhttp import proxy source=ie` to copy the Internet Options proxy, or `netsh winhttp reset proxy` for direct access), " +
		"then run cmpreflight again as an administrator or SYSTEM"
	winHTTPUnusableNextStep = "run `netsh winhttp show proxy` to see it, then name an HTTP proxy the role can use with " +
		"`netsh winhttp set proxy proxy-server=\"HOST:PORT\"` (or per scheme: proxy-server=\"http=HOST:PORT;https=HOST:PORT\"), " +
		"or `netsh winhttp reset proxy` if the role goes direct"
	winINETNextStep = "run cmpreflight as SYSTEM (PsExec -s) so the account's setting can be read, and compare it with `netsh winhttp show proxy`; " +
		"`netsh winhttp import proxy source=ie` run as SYSTEM copies it to WinHTTP"
)

// fromWinHTTP takes the proxy and bypass list from the WinHTTP setting.
func (s *Selection) fromWinHTTP() error {
	w := s.winhttp
	if w.AutoConfigURL != "" {
		s.notes = append(s.notes, "WinHTTP names an auto-config (PAC) URL, which is not evaluated: "+w.AutoConfigURL)
	}
	if w.AutoDetect {
		s.notes = append(s.notes, "WinHTTP has proxy auto-detection (WPAD) on, which is not evaluated")
	}
	if w.Direct || strings.TrimSpace(w.Proxy) == "" {
		return nil
	}
	all, per, err := parseWinHTTPProxy(w.Proxy)
	if err != nil {
		return err
	}
	s.all, s.byScheme = all, per
	s.winBypass = cleanList(w.Bypass)
	return nil
}

// parseWinHTTPProxy reads `host:port` (every scheme) or `http=a:80;https=b:443` (per scheme).
func parseWinHTTPProxy(v string) (*url.URL, map[string]*url.URL, error) {
	var all *url.URL
	per := map[string]*url.URL{}
	var ignored []string
	for _, item := range splitList(v, ";") {
		scheme, addr, perScheme := strings.Cut(item, "=")
		if !perScheme {
			addr = item
		}
		scheme = strings.ToLower(strings.TrimSpace(scheme))
		if perScheme && scheme != "http" && scheme != "https" {
			ignored = append(ignored, scheme)
			continue
		}
		// The proxy is spoken to in plain HTTP whatever the target scheme (CONNECT for https).
		if i := strings.Index(addr, "://"); i >= 0 {
			addr = addr[i+3:]
		}
		u, _, err := parseProxyURL("http://"+addr, "WinHTTP proxy")
		if err != nil {
			return nil, nil, err
		}
		switch {
		case !perScheme && all == nil:
			all = u
		case perScheme && per[scheme] == nil:
			per[scheme] = u
		}
	}
	if all == nil && len(per) == 0 {
		if len(ignored) > 0 {
			return nil, nil, fmt.Errorf("WinHTTP proxy: only %s entries, which are not supported", strings.Join(ignored, ", "))
		}
		return nil, nil, errors.New("WinHTTP proxy: no proxy in the setting")
	}
	if all != nil {
		per = nil
	}
	return all, per, nil
}

// fromEnv reads HTTPS_PROXY, HTTP_PROXY and NO_PROXY (upper case first, as
// golang.org/x/net/http/httpproxy does). It answers when a proxy variable is set.
func (s *Selection) fromEnv(getenv func(string) string) (bool, error) {
	get := func(names ...string) (string, string) {
		for _, n := range names {
			if v := strings.TrimSpace(getenv(n)); v != "" {
				return v, n
			}
		}
		return "", ""
	}
	httpsV, httpsName := get("HTTPS_PROXY", "https_proxy")
	httpV, httpName := get("HTTP_PROXY", "http_proxy")
	noProxy, _ := get("NO_PROXY", "no_proxy")
	cgi := getenv("REQUEST_METHOD") != ""
	if cgi && httpV != "" {
		// httpproxy ignores HTTP_PROXY under CGI (httpoxy); say so rather than surprise.
		s.notes = append(s.notes, "HTTP_PROXY is ignored because REQUEST_METHOD is set (CGI)")
		httpV = ""
	}
	if httpsV == "" && httpV == "" {
		return false, nil
	}
	if httpsV == "" {
		s.notes = append(s.notes, "HTTPS_PROXY is not set: https targets are reached directly")
	}
	s.byScheme = map[string]*url.URL{}
	s.passwords = map[string]string{}
	cfg := &httpproxy.Config{CGI: cgi, NoProxy: noProxy}
	for _, v := range []struct{ scheme, val, name string }{{"https", httpsV, httpsName}, {"http", httpV, httpName}} {
		if v.val == "" {
			continue
		}
		u, pw, err := parseProxyURL(v.val, v.name)
		if err != nil {
			return false, err
		}
		if pw {
			if p, ok := userPassword(v.val); ok {
				s.passwords[v.scheme] = p
			}
		}
		s.byScheme[v.scheme] = u
		// httpproxy only sees the URL without a password, so nothing it returns or reports
		// can carry one.
		if v.scheme == "https" {
			cfg.HTTPSProxy = u.String()
		} else {
			cfg.HTTPProxy = u.String()
		}
	}
	s.envProxy = cfg.ProxyFunc()
	s.envNoProxy = cleanList(strings.Split(noProxy, ","))
	// One matcher per NO_PROXY entry, plus "" for httpproxy's built-in loopback exemption, so
	// For can name the entry that sent a target direct with httpproxy's exact semantics.
	s.envEntryFns = map[string]func(*url.URL) (*url.URL, error){}
	for _, e := range append([]string{""}, s.envNoProxy...) {
		one := &httpproxy.Config{HTTPProxy: "http://probe.invalid", HTTPSProxy: "http://probe.invalid", NoProxy: e}
		s.envEntryFns[e] = one.ProxyFunc()
	}
	return true, nil
}

// userPassword extracts the password of a proxy URL already validated by parseProxyURL.
func userPassword(raw string) (string, bool) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return "", false
	}
	return u.User.Password()
}

// parseProxyURL reads a proxy given as `host:port` or `http(s)://[user[:password]@]host[:port]`
// and returns it without its password (the user is kept) and with an explicit port (80 for
// http, as ConfigMgr defaults, 443 for https). Errors name the input by what, never by value:
// the value may hold a password.
func parseProxyURL(raw, what string) (u *url.URL, hadPassword bool, err error) {
	raw = strings.TrimSpace(raw)
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err = url.Parse(raw)
	if err != nil {
		return nil, false, fmt.Errorf("%s: not a valid proxy URL (expected host:port or http://host:port)", what)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, false, fmt.Errorf("%s: proxy scheme %q is not supported (http or https)", what, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, false, fmt.Errorf("%s: the proxy URL has no host", what)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, false, fmt.Errorf("%s: a proxy URL has no path, query or fragment", what)
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, false, fmt.Errorf("%s: proxy port %q is not a port number", what, port)
	}
	clean := &url.URL{Scheme: u.Scheme, Host: net.JoinHostPort(u.Hostname(), port)}
	if u.User != nil {
		_, hadPassword = u.User.Password()
		if name := u.User.Username(); name != "" {
			clean.User = url.User(name)
		}
	}
	return clean, hadPassword, nil
}

// For says how to reach host:port for scheme ("http" or "https"; empty picks by port): the
// proxy (nil for a direct connection, with at most a user name, never a password) and, when a
// bypass list sent the target direct, the entry that did, as `list:entry` (`--no-proxy:...`,
// `winhttp:...`, `NO_PROXY:...`, or `loopback` for httpproxy's built-in exemption of localhost and loopback
// addresses).
func (s *Selection) For(host string, port int, scheme string) (proxy *url.URL, bypassedBy string) {
	scheme = strings.ToLower(scheme)
	if scheme == "" {
		scheme = "http"
		if port == 443 {
			scheme = "https"
		}
	}
	if s.all == nil && len(s.byScheme) == 0 {
		return nil, ""
	}
	for _, e := range s.noProxy {
		if matchNoProxy(e, host, port) {
			return nil, "--no-proxy:" + e
		}
	}
	switch s.source {
	case SourceWinHTTP:
		for _, e := range s.winBypass {
			if matchWinHTTP(e, host, port) {
				return nil, "winhttp:" + e
			}
		}
	case SourceEnv:
		p := s.byScheme[scheme]
		if p == nil {
			return nil, ""
		}
		target := &url.URL{Scheme: scheme, Host: net.JoinHostPort(normHost(host), strconv.Itoa(port))}
		if got, err := s.envProxy(target); err == nil && got == nil {
			return nil, s.envBypassEntry(target)
		}
		return copyURL(p), ""
	}
	if s.all != nil {
		return copyURL(s.all), ""
	}
	return copyURL(s.byScheme[scheme]), ""
}

// envBypassEntry names the NO_PROXY entry that exempted target.
func (s *Selection) envBypassEntry(target *url.URL) string {
	if got, err := s.envEntryFns[""](target); err == nil && got == nil {
		return "loopback"
	}
	for _, e := range s.envNoProxy {
		if got, err := s.envEntryFns[e](target); err == nil && got == nil {
			return "NO_PROXY:" + e
		}
	}
	return "NO_PROXY"
}

// Credentials returns the user and password for the proxy used for targets of scheme, when
// the environment's proxy URL carried them. Only a dialer should call it.
func (s *Selection) Credentials(scheme string) (user, password string, ok bool) {
	p := s.byScheme[strings.ToLower(scheme)]
	pw, has := s.passwords[strings.ToLower(scheme)]
	if p == nil || !has {
		return "", "", false
	}
	return p.User.Username(), pw, true
}

// Source is where the proxy setting came from.
func (s *Selection) Source() string { return s.source }

// Facts is the proxy section of the facts document.
func (s *Selection) Facts() *facts.ProxyFacts {
	f := &facts.ProxyFacts{Source: s.source, Auth: s.auth, WinHTTP: s.winhttp}
	main := s.all
	if main == nil {
		main = s.byScheme["https"]
		if main == nil {
			main = s.byScheme["http"]
		}
	}
	if main != nil {
		f.URL = redact.URL(main)
		if main.User != nil {
			f.User = main.User.Username()
		}
	}
	if s.all == nil && len(s.byScheme) > 0 {
		var parts []string
		for _, sc := range []string{"http", "https"} {
			if u := s.byScheme[sc]; u != nil {
				parts = append(parts, sc+"="+u.Host)
			}
		}
		if len(parts) > 1 || s.source == SourceWinHTTP {
			f.Notes = append(f.Notes, "proxy per target scheme: "+strings.Join(parts, ";"))
		}
	}
	seen := map[string]bool{}
	for _, list := range [][]string{s.noProxy, s.winBypass, s.envNoProxy} {
		for _, e := range list {
			if !seen[e] {
				seen[e] = true
				f.Bypass = append(f.Bypass, e)
			}
		}
	}
	if s.source == SourceWinHTTP && main == nil {
		f.Notes = append(f.Notes, "WinHTTP says direct access (no proxy)")
	}
	f.Notes = append(f.Notes, s.notes...)
	return f
}

// String describes the selection without any password.
func (s Selection) String() string {
	f := s.Facts()
	if f.URL == "" {
		return "proxy: none (source " + f.Source + ")"
	}
	return "proxy: " + f.URL + " (source " + f.Source + ")"
}

// GoString keeps %#v from printing the fields, which hold the environment's password.
func (s Selection) GoString() string { return "proxyconf.Selection{" + s.String() + "}" }

// Format prints String for every verb, so no verb (%d, %x, ...) can walk the fields.
func (s Selection) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		_, _ = f.Write([]byte(s.GoString()))
		return
	}
	_, _ = f.Write([]byte(s.String()))
}

// MarshalJSON writes Facts.
func (s *Selection) MarshalJSON() ([]byte, error) { return json.Marshal(s.Facts()) }

func copyURL(u *url.URL) *url.URL {
	if u == nil {
		return nil
	}
	c := *u
	return &c
}

func cleanList(in []string) []string {
	var out []string
	for _, e := range in {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}
