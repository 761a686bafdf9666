package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/cmpreflight/cmpreflight/checks"
)

// analyzeTrust builds the trust section of a run (allowlist hops, wildcard coverage, roots,
// firewall request).
func analyzeTrust(doc *checks.Document, entries []checks.Entry, env *checks.Env) *checks.TrustFacts {
	return nil
}

// firewallRequest lists what a network team must open, from the catalog (and a run's gaps).
func firewallRequest(doc *checks.Document) []checks.FirewallRule {
	var out []checks.FirewallRule
	for _, e := range doc.Catalog {
		out = append(out, checks.FirewallRule{Name: e.Name, Ports: e.Ports, Protocol: "tcp", BypassInspect: e.NoInspection, Sources: e.Sources})
	}
	return out
}

func printFirewall(w io.Writer, rules []checks.FirewallRule) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPORTS\tPROTOCOL\tBYPASS TLS INSPECTION\tREASON")
	for _, r := range rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\n", r.Name, ports(r.Ports), r.Protocol, r.BypassInspect, r.Reason)
	}
	return tw.Flush()
}
