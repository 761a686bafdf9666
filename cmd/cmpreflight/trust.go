package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/trust"
)

// firewallRequest lists what a network team must open: the run's trust section when it has
// one (catalog names plus the gaps the run discovered), else the catalog alone.
func firewallRequest(doc *facts.Document) []facts.FirewallRule {
	if doc.Trust != nil && doc.Trust.Firewall != nil {
		return doc.Trust.Firewall
	}
	return trust.FirewallRequest(doc.Catalog, nil)
}

// printFirewall writes the request as a table a network team can act on, with a summary of
// what bypassing inspection means.
func printFirewall(w io.Writer, rules []facts.FirewallRule, from string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPORTS\tPROTOCOL\tBYPASS TLS INSPECTION\tREQUIRED\tREASON")
	bypass, found := 0, 0
	for _, r := range rules {
		name := r.Name
		if r.Discovered {
			name += " (discovered)"
			found++
		}
		if r.BypassInspect {
			bypass++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, ports(r.Ports), r.Protocol, yesNo(r.BypassInspect), yesNo(r.Required), r.Reason)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d names, outbound only, from %s", len(rules), from)
	if found > 0 {
		fmt.Fprintf(w, "; %d discovered on CNAME or redirect chains (a firewall that matches names must allow them too)", found)
	}
	fmt.Fprintln(w, ".")
	if bypass > 0 {
		fmt.Fprintf(w, "%d names must bypass TLS inspection: the role verifies Microsoft's certificates and signatures on what it downloads.\n", bypass)
	}
	fmt.Fprintln(w, `"*.x" allows the subdomains of x, not x itself; "*x" (no dot) allows x and its subdomains.`)
	return nil
}

// printFirewallCSV writes the same request as CSV for a change ticket or a firewall import.
func printFirewallCSV(w io.Writer, rules []facts.FirewallRule) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"name", "ports", "protocol", "bypass_tls_inspection", "required", "discovered", "check", "sources", "reason"})
	for _, r := range rules {
		cw.Write([]string{r.Name, ports(r.Ports), r.Protocol, fmt.Sprint(r.BypassInspect), fmt.Sprint(r.Required),
			fmt.Sprint(r.Discovered), r.Check, strings.Join(r.Sources, " "), r.Reason})
	}
	cw.Flush()
	return cw.Error()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
