package trust

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/facts"
)

// FirewallRequest is the request a network team acts on: one rule per name a firewall or
// proxy must allow (URL entries are folded into their host, wildcards stay patterns), with the
// ports, sources, groups and editions of every catalog entry of that name merged, then the
// gaps a run discovered, each marked Discovered with the check that saw it. Catalog rules come
// first, sorted by name; discovered rules follow, sorted by name.
func FirewallRequest(srcs []facts.EntrySource, gaps []facts.AllowlistHop) []facts.FirewallRule {
	type acc struct {
		rule      facts.FirewallRule
		portEds   map[int][]string // port -> editions that list it
		anyEntry  bool
		firstSeen int
	}
	byName := map[string]*acc{}
	for i, e := range srcs {
		name := ruleName(e)
		if name == "" {
			continue
		}
		a := byName[name]
		if a == nil {
			a = &acc{rule: facts.FirewallRule{Name: name, Protocol: "tcp"}, portEds: map[int][]string{}, firstSeen: i}
			byName[name] = a
		}
		r := &a.rule
		r.Ports = mergePorts(r.Ports, e.Ports...)
		r.Sources = mergeStrings(r.Sources, e.Sources...)
		r.Groups = mergeStrings(r.Groups, e.Group)
		r.Profiles = mergeStrings(r.Profiles, e.Profile)
		r.Editions = mergeStrings(r.Editions, e.Editions...)
		r.BypassInspect = r.BypassInspect || e.NoInspection
		r.Required = r.Required || e.Required
		if e.Kind == catalog.KindURL {
			r.URLs = mergeStrings(r.URLs, e.Name)
		}
		eds := e.Editions
		if len(eds) == 0 {
			eds = []string{"user"}
		}
		for _, p := range e.Ports {
			a.portEds[p] = mergeStrings(a.portEds[p], eds...)
		}
	}
	out := make([]facts.FirewallRule, 0, len(byName)+len(gaps))
	for _, a := range byName {
		for _, eds := range a.portEds {
			sort.Strings(eds) // "current, seed" whatever the catalog order
		}
		a.rule.Reason = catalogReason(a.rule.Groups, a.rule.Ports, a.portEds, a.rule.Required)
		var paths []string
		for _, u := range a.rule.URLs {
			if pu, err := url.Parse(u); err == nil && strings.Trim(pu.RequestURI(), "/") != "" {
				paths = append(paths, u)
			}
		}
		if len(paths) > 0 {
			// A proxy that filters by URL needs these; a firewall only the name.
			a.rule.Reason += "; URLs " + strings.Join(paths, " ")
		}
		out = append(out, a.rule)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })

	var found []facts.FirewallRule
	foundAt := map[string]int{}
	for _, g := range gaps {
		name := normName(g.Name)
		if name == "" || byName[name] != nil {
			continue
		}
		if i, ok := foundAt[name]; ok {
			found[i].Ports = mergePorts(found[i].Ports, g.Ports...)
			continue
		}
		r := facts.FirewallRule{
			Name: name, Ports: mergePorts(nil, g.Ports...), Protocol: "tcp", Discovered: true, Check: g.Check,
			BypassInspect: bypassFor(srcs, g.From),
		}
		if len(r.Ports) == 0 {
			r.Ports = []int{443}
		}
		what := "CNAME chain"
		if g.Via == ViaRedirect {
			what = "redirect chain"
		}
		r.Reason = fmt.Sprintf("discovered on the %s of %s (check %s): a firewall that matches names must allow every hop", what, orDash(g.From), g.Check)
		foundAt[name] = len(found)
		found = append(found, r)
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Name < found[j].Name })
	return append(out, found...)
}

// ruleName is the name a firewall matches for an entry: the host of a URL entry, the pattern
// of a wildcard, the host itself.
func ruleName(e facts.EntrySource) string {
	if e.Kind == catalog.KindURL {
		return entryHost(e.Name)
	}
	return normName(e.Name)
}

// bypassFor tells whether the host a gap was seen for must bypass inspection: then so must
// the names its traffic really goes to.
func bypassFor(srcs []facts.EntrySource, host string) bool {
	if host == "" {
		return false
	}
	for _, e := range srcs {
		if e.NoInspection && catalog.MatchPattern(ruleName(e), host) {
			return true
		}
	}
	return false
}

// catalogReason says which groups list a name and which editions require each port, e.g.
// "updates and servicing; Windows servicing; 443 required by current, seed; 80 by seed". A name
// no entry requires (graph.windows.net for endpoint analytics) is "optional in" its editions.
func catalogReason(groups []string, ports []int, portEds map[int][]string, required bool) string {
	var parts []string
	parts = append(parts, groups...)
	// Ports that share the same editions are written together.
	type span struct {
		ports []string
		eds   string
	}
	var spans []span
	for _, p := range ports {
		eds := strings.Join(portEds[p], ", ")
		found := false
		for i := range spans {
			if spans[i].eds == eds {
				spans[i].ports = append(spans[i].ports, fmt.Sprint(p))
				found = true
			}
		}
		if !found {
			spans = append(spans, span{ports: []string{fmt.Sprint(p)}, eds: eds})
		}
	}
	for i, s := range spans {
		verb := "required by "
		switch {
		case !required && i == 0:
			verb = "optional in "
		case !required:
			verb = "in "
		case i > 0:
			verb = "by "
		}
		if s.eds == "user" {
			parts = append(parts, strings.Join(s.ports, ",")+" listed by the user's endpoints file")
			continue
		}
		parts = append(parts, strings.Join(s.ports, ",")+" "+verb+"edition "+s.eds)
	}
	return strings.Join(parts, "; ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// mergePorts adds ports keeping the list sorted and free of duplicates.
func mergePorts(list []int, ps ...int) []int {
	for _, p := range ps {
		if p > 0 && !slices.Contains(list, p) {
			list = append(list, p)
		}
	}
	// 443 before 80 reads naturally in a request; otherwise ascending.
	sort.Slice(list, func(i, j int) bool { return portRank(list[i]) < portRank(list[j]) })
	return list
}

func portRank(p int) int {
	if p == 443 {
		return -1
	}
	return p
}

// mergeStrings adds values keeping first-seen order and no duplicates.
func mergeStrings(list []string, vs ...string) []string {
	for _, v := range vs {
		if v != "" && !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}
