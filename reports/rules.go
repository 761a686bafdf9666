package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/cmpreflight/cmpreflight/catalog/sources"
)

// RuleDoc is the documentation of a policy rule as reports show it. The CLI fills it from the
// rules' Rego # METADATA annotations (policies.BuiltinRules / Engine.Rules); reports never
// hold rule texts of their own.
type RuleDoc struct {
	ID          string
	Title       string
	Help        string // what the rule checks (the annotation's description)
	Remediation string
	Severity    string   // deny or warn
	Sources     []string // keys of the sources table
	Origin      string   // where the rule is defined (file:line), for rule lists
}

var (
	ruleDocsMu  sync.Mutex
	ruleDocsFor func() []RuleDoc
)

// RegisterRules gives reports the rule documentation to show. docs is called when a report
// needs it (not at registration), so reading the annotations stays off the start-up path;
// a later call replaces an earlier one (a run with --policy adds the user's rules).
func RegisterRules(docs func() []RuleDoc) {
	ruleDocsMu.Lock()
	defer ruleDocsMu.Unlock()
	ruleDocsFor = docs
}

// ruleDocs returns the registered documentation by rule id (empty when none is registered).
func ruleDocs() map[string]RuleDoc {
	ruleDocsMu.Lock()
	fn := ruleDocsFor
	ruleDocsMu.Unlock()
	out := map[string]RuleDoc{}
	if fn == nil {
		return out
	}
	for _, d := range fn() {
		out[d.ID] = d
	}
	return out
}

// sourceRefs resolves a finding's or a check's source keys against the sources table; a key
// the table does not know (a user policy's own) keeps only its key.
func sourceRefs(keys ...string) []sources.Source {
	var out []sources.Source
	seen := map[string]bool{}
	for _, field := range keys {
		for _, s := range sources.Resolve(field) {
			if !seen[s.Key] {
				seen[s.Key] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// sourceText is one source for a terminal or plain text: "KEY: title <url> (date)".
func sourceText(s sources.Source) string {
	if s.URL == "" {
		return s.Key
	}
	return s.Key + ": " + s.Title + " <" + s.URL + "> (" + s.Date + ")"
}

// sourcesText joins sourceText of each source with "; ".
func sourcesText(ss []sources.Source) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = sourceText(s)
	}
	return strings.Join(parts, "; ")
}

// RuleListFormats are the formats of RenderRuleList.
var RuleListFormats = []string{"table", "json", "markdown"}

// RenderRuleList writes the rules with their metadata and resolved sources: an aligned table
// for a terminal, JSON for tools, or Markdown for documentation.
func RenderRuleList(w io.Writer, format string, rules []RuleDoc) error {
	switch format {
	case "table":
		return ruleTable(w, rules)
	case "json":
		return ruleJSON(w, rules)
	case "markdown":
		return ruleMarkdown(w, rules)
	}
	return fmt.Errorf("unknown format %q (formats: %s)", format, strings.Join(RuleListFormats, ", "))
}

func ruleTable(w io.Writer, rules []RuleDoc) error {
	ew := &errWriter{w: w}
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tSEVERITY\tSOURCES\tTITLE")
	for _, r := range rules {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", plain(r.ID), nonEmpty(plain(r.Severity), "-"), nonEmpty(plain(strings.Join(r.Sources, ", ")), "-"), plain(r.Title))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var cited []sources.Source
	for _, s := range sourceRefs(citedKeys(rules)...) {
		if s.URL != "" {
			cited = append(cited, s)
		}
	}
	if len(cited) > 0 {
		fmt.Fprintln(ew, "\nSources:")
		for _, s := range cited {
			fmt.Fprintf(ew, "  %s\n", plain(sourceText(s)))
		}
	}
	return ew.err
}

func citedKeys(rules []RuleDoc) []string {
	var keys []string
	for _, r := range rules {
		keys = append(keys, r.Sources...)
	}
	return keys
}

func ruleJSON(w io.Writer, rules []RuleDoc) error {
	type rule struct {
		ID          string           `json:"id"`
		Title       string           `json:"title"`
		Description string           `json:"description"`
		Remediation string           `json:"remediation,omitempty"`
		Severity    string           `json:"severity,omitempty"`
		Sources     []sources.Source `json:"sources"`
		Origin      string           `json:"origin,omitempty"`
	}
	out := struct {
		Rules []rule `json:"rules"`
	}{Rules: []rule{}}
	for _, r := range rules {
		refs := sourceRefs(r.Sources...)
		if refs == nil {
			refs = []sources.Source{}
		}
		out.Rules = append(out.Rules, rule{r.ID, r.Title, r.Help, r.Remediation, r.Severity, refs, r.Origin})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func ruleMarkdown(w io.Writer, rules []RuleDoc) error {
	ew := &errWriter{w: w}
	fmt.Fprint(ew, "# cmpreflight policy rules\n\n")
	fmt.Fprintln(ew, "| Rule | Severity | Title |")
	fmt.Fprintln(ew, "|---|---|---|")
	for _, r := range rules {
		fmt.Fprintf(ew, "| [%s](#%s) | %s | %s |\n", md(r.ID), mdAnchor(r.ID), md(r.Severity), md(r.Title))
	}
	for _, r := range rules {
		fmt.Fprintf(ew, "\n## %s\n\n**%s**", md(r.ID), md(r.Title))
		if r.Severity != "" {
			fmt.Fprintf(ew, " (%s)", md(r.Severity))
		}
		fmt.Fprintf(ew, "\n\n%s\n", md(r.Help))
		if r.Remediation != "" {
			fmt.Fprintf(ew, "\n**Fix:** %s\n", md(r.Remediation))
		}
		if refs := sourceRefs(r.Sources...); len(refs) > 0 {
			fmt.Fprintf(ew, "\n**Sources:** %s\n", mdSourceLinks(refs))
		}
		if r.Origin != "" {
			fmt.Fprintf(ew, "\nDefined in `%s`.\n", strings.ReplaceAll(plain(r.Origin), "`", "'"))
		}
	}
	return ew.err
}

// mdAnchor is the heading id GitHub gives "## id": lower case, dots dropped.
func mdAnchor(id string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(id) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		}
	}
	return b.String()
}
