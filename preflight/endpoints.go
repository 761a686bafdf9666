package preflight

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/checks/trust"
	"github.com/cmpreflight/cmpreflight/facts"
)

// Endpoints prints the catalog a run with o would check, in format (table, json, csv,
// firewall, firewall-csv): every entry with its profile, the templates left unchecked (as
// warnings naming the flag), each profile's machine, proxy rule and the page it was checked
// against. Errors name the flag.
func Endpoints(o *Options, format string, stdout, stderr io.Writer) error {
	profiles, _ := o.ProfileNames()
	loaded, err := o.LoadCatalog(profiles)
	if err != nil {
		return err
	}
	entries := loaded.Entries
	srcs := catalog.EntrySources(entries, o.Edition, o.Cloud, loaded.Unfilled...)
	targets, _ := catalog.Plan(entries, catalog.PlanOptions{Edition: o.Edition, Cloud: o.Cloud, TenantID: o.TenantID})
	// The unchecked templates are warnings for every format (on stderr but in the table), so
	// a firewall request never silently lacks them.
	if format != "table" {
		for _, n := range loaded.Notes() {
			fmt.Fprintln(stderr, "warning: "+n)
		}
	}
	switch format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"profile": strings.Join(profiles, ","), "profiles": loaded.Infos(nil), "checkedAgainst": loaded.Provenance(),
			"edition": o.Edition, "cloud": o.Cloud, "entries": srcs, "checks": targetRows(targets), "warnings": loaded.Notes()})
	case "csv":
		w := csv.NewWriter(stdout)
		w.Write([]string{"name", "kind", "ports", "group", "editions", "sources", "probes", "required", "profile", "not checked"})
		for _, e := range srcs {
			w.Write([]string{e.Name, e.Kind, ports(e.Ports), e.Group, strings.Join(e.Editions, " "), strings.Join(e.Sources, " "), strings.Join(e.ProbeHosts, " "), fmt.Sprint(e.Required), e.Profile, e.NotChecked})
		}
		w.Flush()
		return w.Error()
	case "firewall":
		return printFirewall(stdout, firewallRequest(&facts.Document{Catalog: srcs}), machines(loaded))
	case "firewall-csv":
		return printFirewallCSV(stdout, firewallRequest(&facts.Document{Catalog: srcs}))
	case "table":
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PROFILE\tNAME\tKIND\tPORTS\tGROUP\tEDITIONS\tSOURCES\tREQUIRED")
		for _, e := range srcs {
			req := fmt.Sprint(e.Required)
			if e.NotChecked != "" {
				req = "NOT CHECKED: " + e.NotChecked
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", orDash(e.Profile), e.Name, e.Kind, ports(e.Ports), e.Group, strings.Join(e.Editions, ","), strings.Join(e.Sources, ","), req)
		}
		tw.Flush()
		fmt.Fprintf(stdout, "\n%d entries, %d checks (host:port) for edition %s, cloud %s\n", len(srcs), len(targets), o.Edition, o.Cloud)
		for _, c := range loaded.Catalogs {
			fmt.Fprintf(stdout, "%s runs on %s; proxy: %s (%s)\n", c.Profile, c.Machine, c.Proxy, c.ProxyNote)
		}
		for _, line := range append(loaded.Provenance(), prefixed("warning: ", loaded.Notes())...) {
			fmt.Fprintln(stdout, line)
		}
		return nil
	}
	return fmt.Errorf("--format %q: want table, json, csv, firewall or firewall-csv", format)
}

// machines says where the listed names are opened from: each profile's machine.
func machines(l *catalog.Loaded) string {
	var out []string
	for _, c := range l.Catalogs {
		out = append(out, c.Machine+" ("+c.Profile+")")
	}
	if len(out) == 0 {
		return "the machine that runs the check"
	}
	return strings.Join(out, "; ")
}

func prefixed(p string, lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = p + l
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func targetRows(ts []catalog.Target) []map[string]any {
	out := make([]map[string]any, 0, len(ts))
	for _, t := range ts {
		out = append(out, map[string]any{"id": t.ID, "url": t.URL, "required": t.Required, "requiredIn": t.RequiredIn, "groups": t.Groups, "wildcards": t.Wildcards, "profiles": t.Profiles})
	}
	return out
}

func ports(ps []int) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = fmt.Sprint(p)
	}
	return strings.Join(s, ",")
}

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
