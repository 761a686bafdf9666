package main

import (
	"net/url"
	"os"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/probers"
	"github.com/cmpreflight/cmpreflight/proxyconf"
	"github.com/cmpreflight/cmpreflight/site"
)

// selectProxy decides which proxy the checks go through and records why: --proxy/config,
// the proxy ConfigMgr configured for the server, WinHTTP, the environment, none.
func selectProxy(f *runFlags, env *probers.Env, siteFacts *facts.SiteFacts) (*facts.ProxyFacts, error) {
	if f.proxy != "" {
		if _, err := proxyURLFlag(f.proxy); err != nil {
			return nil, err
		}
	}
	pw, err := readSecret("proxy-password-file", f.proxyPasswordFile, "CMPREFLIGHT_PROXY_PASSWORD")
	if err != nil {
		return nil, err
	}
	o := proxyconf.Options{Flag: f.proxy, FlagSource: "flag", NoProxy: f.noProxy,
		WinHTTP: proxyconf.ReadWinHTTP, Env: os.Getenv, Auth: f.proxyAuth}
	if !f.proxyFromCLI {
		o.FlagSource = "config"
	}
	configUser := ""
	if siteFacts != nil && siteFacts.ConfiguredProxy != nil && siteFacts.ConfiguredProxy.UseProxy {
		o.ConfigMgr = site.ConfiguredProxyURL(siteFacts.ConfiguredProxy)
		if !siteFacts.ConfiguredProxy.Anonymous {
			configUser = siteFacts.ConfiguredProxy.User
		}
	}
	sel, err := proxyconf.Resolve(o)
	if err != nil {
		return nil, usagef("%v", err)
	}
	pf := sel.Facts()
	// The probes speak plain HTTP to the proxy (as WinHTTP does); a proxy URL with https://
	// would get credentials in clear text on a TLS port, so it is refused up front.
	for _, probe := range []struct {
		port   int
		scheme string
	}{{443, "https"}, {80, "http"}} {
		if p, _ := sel.For("cmpreflight.invalid", probe.port, probe.scheme); p != nil && p.Scheme == "https" {
			return nil, usagef("the proxy %s (from %s) is an https:// URL; cmpreflight talks to proxies in plain HTTP, as WinHTTP does: give its http:// address", redactURL(p), pf.Source)
		}
	}
	if f.proxyUser != "" {
		pf.User = f.proxyUser
	} else if pf.Source == proxyconf.SourceConfigMgr && configUser != "" {
		// The site system proxy server account: its password is the operator's to supply.
		pf.User = configUser
		pf.Notes = append(pf.Notes, "the site system proxy server account "+configUser+" is used; its password comes from CMPREFLIGHT_PROXY_PASSWORD or --proxy-password-file")
	}
	env.ProxyFor = func(host string, port int, scheme string) *probers.ProxyConfig {
		p, _ := sel.For(host, port, scheme)
		if p == nil {
			return nil
		}
		user, pass := f.proxyUser, pw
		if user == "" {
			if u, secret, ok := sel.Credentials(scheme); ok {
				user, pass = u, secret
			} else if pf.Source == proxyconf.SourceConfigMgr {
				user = configUser
			}
		}
		clean := &url.URL{Scheme: "http", Host: p.Host}
		return &probers.ProxyConfig{URL: clean, Auth: f.proxyAuth, User: user, Password: pass}
	}
	if pf.URL == "" {
		env.ProxyFor = nil
	}
	return pf, nil
}

func redactURL(u *url.URL) string {
	v := *u
	v.User = nil
	return v.String()
}
