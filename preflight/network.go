package preflight

import (
	"github.com/cmpreflight/cmpreflight/checks/netprobe"
	"github.com/cmpreflight/cmpreflight/checks/proxyconf"
	"github.com/cmpreflight/cmpreflight/checks/site"
	"github.com/cmpreflight/cmpreflight/facts"
)

// chooseProxy asks proxyconf which proxy the checks go through (with the proxy ConfigMgr
// configured for the server among the sources) and points the probes at it.
func chooseProxy(o *Options, rule string, sf *facts.SiteFacts) (*facts.ProxyFacts, func(string, int, string) *netprobe.ProxyConfig, error) {
	pw, err := readSecret("proxy-password-file", o.ProxyPasswordFile, "CMPREFLIGHT_PROXY_PASSWORD")
	if err != nil {
		return nil, nil, err
	}
	co := proxyconf.ChooseOptions{Flag: o.Proxy, FromCLI: o.ProxyFromCLI, NoProxy: o.NoProxy, Auth: o.ProxyAuth,
		User: o.ProxyUser, Password: pw, Rule: rule, WinINET: o.WinINET}
	if sf != nil && sf.ConfiguredProxy != nil && sf.ConfiguredProxy.UseProxy {
		co.ConfigMgr = site.ConfiguredProxyURL(sf.ConfiguredProxy)
		if !sf.ConfiguredProxy.Anonymous {
			co.ConfigMgrUser = sf.ConfiguredProxy.User
		}
	}
	choice, err := proxyconf.Choose(co)
	if err != nil {
		return nil, nil, err
	}
	if choice.Direct() {
		return choice.Facts, nil, nil
	}
	return choice.Facts, func(host string, port int, scheme string) *netprobe.ProxyConfig {
		u, user, pass := choice.For(host, port, scheme)
		if u == nil {
			return nil
		}
		return &netprobe.ProxyConfig{URL: u, Auth: o.ProxyAuth, User: user, Password: pass}
	}, nil
}

// planJobs turns targets into jobs; under --compare-direct every target is probed both ways.
func planJobs(targets []routedTarget, compare bool, env *netprobe.Env) []netprobe.Job {
	jobs := make([]netprobe.Job, 0, len(targets))
	for _, rt := range targets {
		t, proxyFor, jobProxy := rt.Target, env.ProxyFor, rt.proxyFor
		if rt.override {
			proxyFor = rt.proxyFor
			if jobProxy == nil {
				jobProxy = direct // the role goes direct even where the others use a proxy
			}
		}
		if compare && proxyFor != nil {
			// The role goes the way the proxy selection says; the other way is information
			// for the network team, never a requirement.
			directT := t
			if proxyFor(t.Host, t.Port, t.Scheme()) == nil {
				// Bypassed (--no-proxy, NO_PROXY): the role goes direct and no proxied
				// route exists; a skipped @proxy check would deny a reachable endpoint.
				jobs = append(jobs, netprobe.Job{Target: t, Route: facts.RouteDirect, ProxyFor: jobProxy})
				continue
			}
			directT.Required = false
			jobs = append(jobs, netprobe.Job{Target: directT, Route: facts.RouteDirect}, netprobe.Job{Target: t, Route: facts.RouteProxy, ProxyFor: jobProxy})
			continue
		}
		jobs = append(jobs, netprobe.Job{Target: t, ProxyFor: jobProxy})
	}
	return jobs
}
