// Package trust turns a run's results into the trust section of the facts document: every
// CNAME and redirect hop classified against the catalog used as an allowlist, the wildcard
// entries and the hosts that exercised them, the firewall request, the roots the role needs
// and the machine's TLS configuration (KB4561945).
package trust

import (
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/facts"
)

// Hop kinds of AllowlistHop.Via.
const (
	ViaCNAME    = "cname"
	ViaRedirect = "redirect"
)

// Options are the inputs Analyze reads from the machine; tests inject them.
type Options struct {
	// Store is the machine's root store; nil leaves Roots empty.
	Store Store
	// TLSConfig reads the machine's TLS configuration; nil leaves TLSConfig nil.
	TLSConfig func() *facts.TLSConfigFacts
}

// Analyze builds the trust section from the checks of doc and the catalog entries the run
// used, looking for the required roots in store (the run's Machine.Store) and reading this
// machine's TLS configuration.
func Analyze(doc *facts.Document, entries []catalog.Entry, store Store) *facts.TrustFacts {
	return AnalyzeWith(doc, entries, Options{Store: store, TLSConfig: ReadTLSConfig})
}

// AnalyzeWith is Analyze with the machine's inputs given.
func AnalyzeWith(doc *facts.Document, entries []catalog.Entry, o Options) *facts.TrustFacts {
	allow := newAllowlist(entries, doc.Cloud)
	tf := &facts.TrustFacts{
		Roots:     []facts.RootPresence{},
		Gaps:      []facts.AllowlistHop{},
		Hops:      []facts.AllowlistHop{},
		Wildcards: []facts.WildcardCoverage{},
		Firewall:  []facts.FirewallRule{},
	}
	gapAt := map[string]int{}
	seen := map[string]bool{}
	for i := range doc.Checks {
		for _, h := range hopsOf(&doc.Checks[i]) {
			key := h.Name + "\x00" + h.Via + "\x00" + h.Check
			if seen[key] {
				continue
			}
			seen[key] = true
			h.CoveredBy = allow.coveredBy(h.Name)
			tf.Hops = append(tf.Hops, h)
			if h.CoveredBy != "" {
				continue
			}
			if i, ok := gapAt[h.Name]; ok {
				tf.Gaps[i].Ports = mergePorts(tf.Gaps[i].Ports, h.Ports...)
				continue
			}
			gapAt[h.Name] = len(tf.Gaps)
			g := h
			g.Ports = slices.Clone(h.Ports)
			tf.Gaps = append(tf.Gaps, g)
		}
	}
	tf.Wildcards = wildcardCoverage(allow.wildcards, doc.Checks, tf.Hops)

	srcs := doc.Catalog
	if srcs == nil {
		srcs = catalog.EntrySources(entries, doc.Edition, doc.Cloud)
	}
	tf.Firewall = FirewallRequest(srcs, tf.Gaps)
	markRequiredGaps(tf.Firewall, doc.Checks)

	if o.Store != nil {
		tf.Roots = CheckRoots(o.Store)
	}
	if o.TLSConfig != nil {
		tf.TLSConfig = o.TLSConfig()
	}
	return tf
}

// hopsOf lists the names a check's traffic went through besides its own host: the CNAME
// chain of its resolution and the hosts of its redirect chain.
func hopsOf(c *facts.Check) []facts.AllowlistHop {
	var out []facts.AllowlistHop
	own := normName(c.Host)
	if c.Evidence.DNS != nil {
		for _, n := range c.Evidence.DNS.CNAMEs {
			name := normName(n)
			if name == "" || name == own {
				continue
			}
			out = append(out, facts.AllowlistHop{Name: name, Via: ViaCNAME, Check: c.ID, From: own, Ports: portList(c.Port)})
		}
	}
	if c.Evidence.HTTP != nil {
		for _, r := range c.Evidence.HTTP.Redirects {
			name := normName(r.Host)
			port := 0
			if u, err := url.Parse(r.URL); err == nil {
				if name == "" {
					name = normName(u.Hostname())
				}
				port = urlPort(u)
			}
			if name == "" || name == own {
				continue
			}
			out = append(out, facts.AllowlistHop{Name: name, Via: ViaRedirect, Check: c.ID, From: own, Ports: portList(port)})
		}
	}
	return out
}

func portList(p int) []int {
	if p <= 0 {
		return nil
	}
	return []int{p}
}

func urlPort(u *url.URL) int {
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return p
	}
	switch u.Scheme {
	case "http":
		return 80
	case "https":
		return 443
	}
	return 0
}

func normName(n string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(n), "."))
}

// allowlist is the catalog read as the names a firewall or proxy allows.
type allowlist struct {
	names     []allowName
	wildcards []string // patterns, deduplicated, catalog order
}

type allowName struct {
	pattern string // exact host or wildcard pattern
	entry   string // the catalog entry's name, as CoveredBy reports it
}

func newAllowlist(entries []catalog.Entry, cloud string) *allowlist {
	a := &allowlist{}
	for _, e := range entries {
		if e.Cloud != "" && cloud != "" && e.Cloud != cloud {
			continue
		}
		switch e.Kind {
		case catalog.KindWildcard:
			a.names = append(a.names, allowName{pattern: normName(e.Name), entry: e.Name})
			if !slices.Contains(a.wildcards, normName(e.Name)) {
				a.wildcards = append(a.wildcards, normName(e.Name))
			}
		case catalog.KindURL:
			if h := entryHost(e.Name); h != "" {
				a.names = append(a.names, allowName{pattern: h, entry: e.Name})
			}
		default:
			a.names = append(a.names, allowName{pattern: normName(e.Name), entry: e.Name})
		}
	}
	return a
}

// entryHost is the host of a URL entry ({TenantID} and other templates do not touch it).
func entryHost(raw string) string {
	raw = strings.NewReplacer("{", "", "}", "").Replace(raw)
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return normName(u.Hostname())
}

// coveredBy names the first catalog entry that allows host, or "" for a gap.
func (a *allowlist) coveredBy(host string) string {
	for _, n := range a.names {
		if catalog.MatchPattern(n.pattern, host) {
			return n.entry
		}
	}
	return ""
}

// wildcardCoverage lists, per wildcard pattern, the hosts of checks that passed and the hop
// names seen on passing checks that match it. A failed check exercised nothing: through a
// proxy its CNAME chain is only this machine's own lookup of a name the proxy refused.
func wildcardCoverage(patterns []string, cs []facts.Check, hops []facts.AllowlistHop) []facts.WildcardCoverage {
	// The passing checks and their normalised hosts, found once rather than per pattern.
	type passing struct {
		host      string
		wildcards []string
	}
	passed := map[string]bool{}
	var ok []passing
	for i := range cs {
		c := &cs[i]
		if c.Status != facts.StatusPass {
			continue
		}
		passed[c.ID] = true
		if c.Host != "" {
			ok = append(ok, passing{normName(c.Host), c.Wildcards})
		}
	}
	out := make([]facts.WildcardCoverage, 0, len(patterns))
	for _, p := range patterns {
		hosts := []string{}
		for _, c := range ok {
			if (slices.Contains(c.wildcards, p) || catalog.MatchPattern(p, c.host)) && !slices.Contains(hosts, c.host) {
				hosts = append(hosts, c.host)
			}
		}
		for _, h := range hops {
			if passed[h.Check] && catalog.MatchPattern(p, h.Name) && !slices.Contains(hosts, h.Name) {
				hosts = append(hosts, h.Name)
			}
		}
		sort.Strings(hosts)
		out = append(out, facts.WildcardCoverage{Pattern: p, Hosts: hosts, Exercised: len(hosts) > 0})
	}
	return out
}

// markRequiredGaps sets Required on discovered rules whose check was required.
func markRequiredGaps(rules []facts.FirewallRule, cs []facts.Check) {
	required := map[string]bool{}
	for _, c := range cs {
		required[c.ID] = c.Required
	}
	for i := range rules {
		if rules[i].Discovered && required[rules[i].Check] {
			rules[i].Required = true
		}
	}
}
