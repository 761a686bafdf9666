package preflight

import (
	"slices"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/checks/netprobe"
	"github.com/cmpreflight/cmpreflight/facts"
)

// roleProxy is the proxy one proxy rule gives the profiles that follow it (the SCP's site
// system proxy, the management point's Local System WinINET, a client's own settings).
type roleProxy struct {
	rule     string
	profiles []string
	facts    *facts.ProxyFacts
	proxyFor func(host string, port int, scheme string) *netprobe.ProxyConfig // nil: direct
}

// chooseRoleProxies resolves the proxy of every rule among the run's profiles, in profile
// order, the primary first: the first rule that is not the management point's (so the
// report's proxy section stays the site system's when an SCP and an MP are checked at once).
func chooseRoleProxies(o *Options, sf *facts.SiteFacts, loaded *catalog.Loaded) ([]*roleProxy, error) {
	var roles []*roleProxy
	byRule := map[string]*roleProxy{}
	add := func(rule, profile string) error {
		if rule == "" {
			rule = catalog.ProxySiteSystem
		}
		r := byRule[rule]
		if r == nil {
			pf, fn, err := chooseProxy(o, rule, sf)
			if err != nil {
				return err
			}
			r = &roleProxy{rule: rule, facts: pf, proxyFor: fn}
			byRule[rule] = r
			roles = append(roles, r)
		}
		if profile != "" && !slices.Contains(r.profiles, profile) {
			r.profiles = append(r.profiles, profile)
			r.facts.Profiles = r.profiles
		}
		r.facts.Rule = rule
		return nil
	}
	for _, c := range loaded.Catalogs {
		if err := add(c.Proxy, c.Profile); err != nil {
			return nil, err
		}
	}
	if len(roles) == 0 { // --endpoints-only: the site system rule, as before profiles had rules
		if err := add("", ""); err != nil {
			return nil, err
		}
	}
	for i, r := range roles {
		if r.rule != catalog.ProxyWinINETSystem {
			roles[0], roles[i] = roles[i], roles[0]
			break
		}
	}
	return roles, nil
}

// routedTarget is a target with the proxy of its role when that is not the primary's.
type routedTarget struct {
	catalog.Target
	proxyFor func(host string, port int, scheme string) *netprobe.ProxyConfig
	override bool
}

// routeByRole gives each target the proxy of the profiles that need it. A target whose
// profiles all reach it the same way stays one check naming them all; when their proxies
// differ for it (an SCP through the site system proxy, an MP direct because its WinINET has
// none), it is checked once per way, the extra ones with ids "host:port@profile".
func routeByRole(targets []catalog.Target, roles []*roleProxy) []routedTarget {
	primary := roles[0]
	ruleOf := map[string]*roleProxy{}
	for _, r := range roles {
		for _, p := range r.profiles {
			ruleOf[p] = r
		}
	}
	out := make([]routedTarget, 0, len(targets))
	for _, t := range targets {
		type group struct {
			role     *roleProxy
			profiles []string
		}
		var groups []*group
		byWay := map[string]*group{}
		for _, p := range append(slices.Clone(t.Profiles), "") {
			r := ruleOf[p]
			if p == "" {
				if len(t.Profiles) > 0 {
					continue // only entries of --endpoints files have no profile
				}
				r = primary
			}
			if r == nil {
				r = primary
			}
			way := wayOf(r, t)
			g := byWay[way]
			if g == nil {
				g = &group{role: r}
				byWay[way] = g
				groups = append(groups, g)
			}
			if r == primary {
				g.role = primary
			}
			if p != "" {
				g.profiles = append(g.profiles, p)
			}
		}
		for _, g := range groups {
			rt := routedTarget{Target: t}
			if len(groups) > 1 {
				rt.Profiles = g.profiles
				if g.role != primary {
					rt.ID = t.ID + "@" + g.profiles[0]
				}
			}
			if g.role != primary {
				rt.proxyFor, rt.override = g.role.proxyFor, true
			}
			out = append(out, rt)
		}
	}
	return out
}

func direct(string, int, string) *netprobe.ProxyConfig { return nil }

// wayOf names how a role reaches a target: the proxy's address, or direct.
func wayOf(r *roleProxy, t catalog.Target) string {
	if r.proxyFor == nil {
		return "direct"
	}
	if p := r.proxyFor(t.Host, t.Port, t.Scheme()); p != nil && p.URL != nil {
		return p.URL.String()
	}
	return "direct"
}
