package proxyconf

import (
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/redact"
)

// Choice is the run's proxy decision: the facts the report shows and, per target, the proxy
// and the credentials the probes present to it.
type Choice struct {
	// Facts is the report's proxy section.
	Facts *facts.ProxyFacts
	sel   *Selection
	// user and password are --proxy-user and its secret; configUser is the site system proxy
	// server account ConfigMgr names, used when no user was given.
	user, password, configUser string
}

// ChooseOptions are the run's proxy inputs.
type ChooseOptions struct {
	// Flag is --proxy (or the config key proxy); FromCLI says it came from the command line.
	Flag    string
	FromCLI bool
	NoProxy []string
	Auth    string
	// User and Password are --proxy-user and its secret (from the environment or a file).
	User, Password string
	// ConfigMgr is the proxy ConfigMgr configured for the SCP server (a URL) and ConfigMgrUser
	// its proxy account, when the site facts name one.
	ConfigMgr, ConfigMgrUser string
	// Rule is the role's proxy rule (catalog.ProxySiteSystem, ProxyWinINETSystem,
	// ProxyMachine; empty = site-system). Under wininet-system the proxy comes from Local
	// System's WinINET settings (WinINET, SystemWinINET() when nil), never from ConfigMgr,
	// WinHTTP or the environment; under machine, never from ConfigMgr.
	Rule    string
	WinINET WinINETReader
}

// Proxy rules, as the catalog's profiles name them.
const (
	RuleSiteSystem    = "site-system"
	RuleWinINETSystem = "wininet-system"
	RuleMachine       = "machine"
)

// Choose decides which proxy the checks go through and records why: --proxy or the config
// file, the proxy ConfigMgr configured for the server, WinHTTP, the environment, none.
func Choose(o ChooseOptions) (*Choice, error) {
	if o.Flag != "" {
		if _, err := FlagURL(o.Flag); err != nil {
			return nil, err
		}
	}
	ro := Options{Flag: o.Flag, FlagSource: SourceFlag, NoProxy: o.NoProxy, ConfigMgr: o.ConfigMgr,
		WinHTTP: ReadWinHTTP, Env: os.Getenv, Auth: o.Auth}
	// On Windows the role is a service running as SYSTEM: it reads WinHTTP and the site
	// system proxy, never an environment variable, so neither does the check there.
	ignoredEnv := ""
	if runtime.GOOS == "windows" {
		ro.Env = nil
		for _, n := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"} {
			if os.Getenv(n) != "" && ignoredEnv == "" {
				ignoredEnv = n
			}
		}
	}
	if !o.FromCLI {
		ro.FlagSource = SourceConfig
	}
	var wininet *WinINETSetting
	switch o.Rule {
	case RuleWinINETSystem:
		reader := o.WinINET
		if reader == nil {
			reader = SystemWinINET()
		}
		ro.ConfigMgr, ro.Env, ro.WinHTTPSource = "", nil, SourceWinINET
		ro.WinHTTP = func() (*facts.WinHTTPSetting, error) {
			s, err := reader.LocalSystemWinINET()
			if err != nil {
				return nil, err
			}
			wininet = s
			return s.AsWinHTTP(), nil
		}
	case RuleMachine:
		ro.ConfigMgr = ""
	}
	sel, err := Resolve(ro)
	if err != nil {
		return nil, err
	}
	pf := sel.Facts()
	if ignoredEnv != "" {
		pf.Notes = append(pf.Notes, ignoredEnv+" is set but ignored: on Windows the service connection point (a service running as SYSTEM) never reads the environment, only WinHTTP and the site system proxy")
	}
	pf.Rule = o.Rule
	if o.Rule == RuleWinINETSystem {
		// The report shows both settings so a policy can see the classic trap: WinHTTP
		// proxied, Local System's WinINET direct.
		pf.WinHTTP = nil
		if w, err := winHTTPReader(); err == nil {
			pf.WinHTTP = w
		}
		if wininet != nil {
			pf.WinINET = &facts.WinINETSetting{KeyFound: wininet.KeyFound, Enabled: wininet.Enabled, Server: wininet.Server,
				Override: wininet.Override, AutoConfigURL: wininet.AutoConfigURL}
		}
	}
	// The probes speak plain HTTP to the proxy (as WinHTTP does); a proxy URL with https://
	// would get credentials in clear text on a TLS port, so it is refused up front.
	for _, probe := range []struct {
		port   int
		scheme string
	}{{443, "https"}, {80, "http"}} {
		if p, _ := sel.For("cmpreflight.invalid", probe.port, probe.scheme); p != nil && p.Scheme == "https" {
			return nil, fmt.Errorf("the proxy %s (from %s) is an https:// URL; cmpreflight talks to proxies in plain HTTP, as WinHTTP does: give its http:// address", redact.URL(p), pf.Source)
		}
	}
	ch := &Choice{Facts: pf, sel: sel, user: o.User, password: o.Password}
	if pf.Source == SourceConfigMgr {
		ch.configUser = o.ConfigMgrUser
	}
	if o.User != "" {
		pf.User = o.User
	} else if ch.configUser != "" {
		// The site system proxy server account: its password is the operator's to supply.
		pf.User = ch.configUser
		pf.Notes = append(pf.Notes, "the site system proxy server account "+ch.configUser+" is used; its password comes from CMPREFLIGHT_PROXY_PASSWORD or --proxy-password-file")
	}
	return ch, nil
}

// winHTTPReader reads the machine's WinHTTP setting (a variable so tests can stand in).
var winHTTPReader = ReadWinHTTP

// Direct reports whether no proxy was selected at all.
func (c *Choice) Direct() bool { return c.Facts.URL == "" }

// For returns the proxy for a target (nil: direct) without credentials, and the user and
// password to authenticate with.
func (c *Choice) For(host string, port int, scheme string) (proxy *url.URL, user, password string) {
	p, _ := c.sel.For(host, port, scheme)
	if p == nil {
		return nil, "", ""
	}
	user, password = c.user, c.password
	if user == "" {
		if u, secret, ok := c.sel.Credentials(scheme); ok {
			user, password = u, secret
		} else if c.configUser != "" {
			user = c.configUser
		}
	}
	return &url.URL{Scheme: "http", Host: p.Host}, user, password
}

// FlagURL validates --proxy: a URL with a host, and never a password (argv is visible to
// every user of the machine).
func FlagURL(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("--proxy: not a URL (want http://host:port)")
	}
	if _, set := u.User.Password(); set {
		return nil, fmt.Errorf("--proxy: a password inside the proxy URL is refused (argv is visible to every user); use CMPREFLIGHT_PROXY_PASSWORD or --proxy-password-file")
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("--proxy: scheme %q is not supported (want http://)", u.Scheme)
	}
	return u, nil
}
