package main

import (
	"net"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpproxy"

	"github.com/cmpreflight/cmpreflight/checks"
)

// selectProxy decides which proxy the checks go through and records why.
func selectProxy(f *runFlags, env *checks.Env) (*checks.ProxyFacts, error) {
	pw, err := readSecret("proxy-password-file", f.proxyPasswordFile, "CMPREFLIGHT_PROXY_PASSWORD")
	if err != nil {
		return nil, err
	}
	facts := &checks.ProxyFacts{Source: "none", Auth: f.proxyAuth, User: f.proxyUser, Bypass: f.noProxy}
	var fixed *url.URL
	var fromEnv func(*url.URL) (*url.URL, error)
	switch {
	case f.proxy != "":
		u, err := proxyURLFlag(f.proxy)
		if err != nil {
			return nil, err
		}
		fixed = u
		facts.Source = "flag"
		if !f.proxyFromCLI {
			facts.Source = "config"
		}
	default:
		cfg := httpproxy.FromEnvironment()
		if cfg.HTTPSProxy != "" || cfg.HTTPProxy != "" {
			facts.Source = "env"
			fromEnv = cfg.ProxyFunc()
			if u, err := url.Parse(cfg.HTTPSProxy); err == nil && cfg.HTTPSProxy != "" {
				facts.URL = redactURL(u)
				if u.User != nil && f.proxyUser == "" {
					facts.User = u.User.Username()
					if p, ok := u.User.Password(); ok && pw == "" {
						pw = p
					}
				}
			}
			if cfg.NoProxy != "" {
				facts.Bypass = append(facts.Bypass, strings.Split(cfg.NoProxy, ",")...)
			}
		}
	}
	if fixed != nil {
		facts.URL = redactURL(fixed)
	}
	user := facts.User
	if fixed == nil && fromEnv == nil {
		facts.Auth = ""
		return facts, nil
	}
	env.ProxyFor = func(host string, port int, scheme string) *checks.ProxyConfig {
		if bypassed(host, f.noProxy) {
			return nil
		}
		u := fixed
		if fromEnv != nil {
			target := &url.URL{Scheme: scheme, Host: net.JoinHostPort(host, strconv.Itoa(port))}
			p, err := fromEnv(target)
			if err != nil || p == nil {
				return nil
			}
			v := *p
			v.User = nil
			u = &v
		}
		return &checks.ProxyConfig{URL: u, Auth: f.proxyAuth, User: user, Password: pw}
	}
	return facts, nil
}

// bypassed applies --no-proxy: exact names, ".domain" or "*.domain" suffixes, and <local>
// (names without a dot) as WinHTTP writes it.
func bypassed(host string, list []string) bool {
	host = strings.ToLower(host)
	for _, b := range list {
		b = strings.ToLower(strings.TrimSpace(b))
		switch {
		case b == "":
		case b == "<local>":
			if !strings.Contains(host, ".") {
				return true
			}
		case strings.HasPrefix(b, "*."):
			if strings.HasSuffix(host, b[1:]) {
				return true
			}
		case strings.HasPrefix(b, "."):
			if strings.HasSuffix(host, b) || host == b[1:] {
				return true
			}
		case b == host:
			return true
		}
	}
	return false
}

func redactURL(u *url.URL) string {
	v := *u
	v.User = nil
	return v.String()
}
