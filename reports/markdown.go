package reports

import (
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/cmpreflight/cmpreflight/catalog/sources"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/reports/diagnosis"
)

// renderMarkdown writes GitHub-flavoured Markdown for a pull-request comment or
// $GITHUB_STEP_SUMMARY: the verdict, the findings, the checks (failures first) and the
// passing checks collapsed.
func renderMarkdown(w io.Writer, doc *facts.Document) error {
	ew := &errWriter{w: w}
	deny, warn, waived := verdictCounts(doc)
	icon := map[string]string{"compliant": "✅", "not compliant": "❌", "no verdict": "❔"}[verdictWord(doc)]
	fmt.Fprintf(ew, "## %s cmpreflight: %s\n\n", icon, verdictWord(doc))
	fmt.Fprintf(ew, "**%d** deny, **%d** warn, **%d** waived · checks: %d total, %d pass, %d fail, %d warn, %d skip, %d error\n\n",
		deny, warn, waived, doc.Summary.Total, doc.Summary.Pass, doc.Summary.Fail, doc.Summary.Warn, doc.Summary.Skip, doc.Summary.Error)
	if doc.Interrupted {
		fmt.Fprint(ew, "> **The run was interrupted:** the results are incomplete.\n\n")
	}
	fmt.Fprintln(ew, "| | |")
	fmt.Fprintln(ew, "|---|---|")
	fmt.Fprintf(ew, "| Machine | %s (%s/%s) |\n", md(doc.Machine.NameOrHost()), md(doc.Machine.OS), md(doc.Machine.Arch))
	fmt.Fprintf(ew, "| Proxy | %s |\n", md(proxyLine(doc)))
	fmt.Fprintf(ew, "| Profile / edition | %s / %s |\n", md(doc.Profile), md(doc.Edition))
	fmt.Fprintf(ew, "| Started | %s, took %s |\n", formatTime(doc.StartedAt), formatDuration(doc.DurationMs))
	fmt.Fprintf(ew, "| Tool | %s %s |\n", md(doc.Tool.Name), md(doc.Tool.Version))
	if line := judgedLine(doc); line != "" {
		fmt.Fprintf(ew, "| Judged | %s |\n", md(line))
	}
	fmt.Fprintln(ew)
	for _, n := range doc.Notes {
		fmt.Fprintf(ew, "- %s\n", md(n))
	}
	if len(doc.Notes) > 0 {
		fmt.Fprintln(ew)
	}

	mdCauses(ew, doc)
	if v := doc.Verdict; v != nil {
		docs := ruleDocs()
		mdFindings(ew, "Denies", v.Deny, false, docs)
		mdFindings(ew, "Warnings", v.Warn, false, docs)
		mdFindings(ew, "Waived", v.Waived, true, docs)
	}

	var attention, passed []facts.Check
	for _, c := range attentionOrder(doc.Checks) {
		if c.Status == facts.StatusPass {
			passed = append(passed, c)
		} else {
			attention = append(attention, c)
		}
	}
	if len(attention) > 0 {
		fmt.Fprint(ew, "### Checks that did not pass\n\n")
		mdChecks(ew, attention, true)
	}
	if len(passed) > 0 {
		fmt.Fprintf(ew, "<details><summary>%d passing checks</summary>\n\n", len(passed))
		mdChecks(ew, passed, false)
		fmt.Fprint(ew, "</details>\n")
	}
	return ew.err
}

func mdFindings(w io.Writer, title string, fs []facts.Finding, waived bool, docs map[string]RuleDoc) {
	if len(fs) == 0 {
		return
	}
	fmt.Fprintf(w, "### %s (%d)\n\n", title, len(fs))
	if waived {
		fmt.Fprintln(w, "| Rule | Message | Checks | Waiver | Sources |")
	} else {
		fmt.Fprintln(w, "| Rule | Message | Checks | Remediation | Sources |")
	}
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, f := range fs {
		last := md(f.Remediation)
		if waived && f.Waiver != nil {
			last = md(fmt.Sprintf("%s (owner %s, expires %s)", f.Waiver.Reason, f.Waiver.Owner, f.Waiver.Expires))
		}
		rule := md(f.Rule)
		if d, ok := docs[f.Rule]; ok && d.Title != "" {
			rule += " (" + md(d.Title) + ")"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", rule, md(f.Message), md(strings.Join(f.Checks, ", ")), last, mdSourceLinks(sourceRefs(f.Source)))
	}
	fmt.Fprintln(w)
}

func mdChecks(w io.Writer, cs []facts.Check, withMessage bool) {
	if withMessage {
		fmt.Fprintln(w, "| Check | Status | Stage / reason | Route | Total ms | Message |")
		fmt.Fprintln(w, "|---|---|---|---|--:|---|")
	} else {
		fmt.Fprintln(w, "| Check | Status | Stage / reason | Route | Total ms |")
		fmt.Fprintln(w, "|---|---|---|---|--:|")
	}
	for i := range cs {
		c := &cs[i]
		fmt.Fprintf(w, "| %s | %s | %s | %s | %d |", md(checkLabel(c)), md(c.Status), md(stageReason(c)), md(c.Route), c.Timings.Total)
		if withMessage {
			fmt.Fprintf(w, " %s |", md(c.Message))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

// mdEscaper neutralises Markdown and HTML markup and table separators in a cell.
var mdEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	"|", `\|`, `\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`,
	"[", `\[`, "]", `\]`, "~", `\~`, "#", `\#`, "!", `\!`,
)

// md makes a string safe for one Markdown table cell or list item.
func md(s string) string {
	return mdEscaper.Replace(plain(s))
}

// mdSourceLinks renders sources as Markdown links ("[IE: title](url) (date)"); a source the
// table does not know is its key, escaped. The URLs come from the embedded sources table.
func mdSourceLinks(ss []sources.Source) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		if s.URL == "" {
			parts[i] = md(s.Key)
			continue
		}
		parts[i] = fmt.Sprintf("[%s](%s) (%s)", md(s.Key+": "+s.Title), s.URL, md(s.Date))
	}
	return strings.Join(parts, ", ")
}

// mdCauses writes the causes, each a fold that opens on its checks and findings: the headline
// and first action visible, rule titles rather than ids, sources as links.
func mdCauses(w io.Writer, doc *facts.Document) {
	causes := diagnosis.Diagnose(doc)
	if len(causes) == 0 {
		return
	}
	docs := ruleDocs()
	fmt.Fprint(w, "### What to fix first\n\n")
	for i := range causes {
		c := &causes[i]
		fmt.Fprintf(w, "<details><summary><strong>%s</strong> %s</summary>\n\n", strings.ToUpper(c.Level), mdHTML(c.Headline))
		if c.Problem != "" {
			fmt.Fprintf(w, "- **Cause:** %s\n", md(c.Problem))
		}
		if a := causeAction(c, docs); a != "" {
			fmt.Fprintf(w, "- **First action:** %s\n", md(a))
		}
		for _, r := range c.Rules {
			d := docs[r.Rule]
			fmt.Fprintf(w, "- %s **%s** ×%d", strings.ToUpper(r.Level), md(nonEmpty(d.Title, r.Rule)), r.Count)
			if refs := sourceRefs(d.Sources...); len(refs) > 0 {
				fmt.Fprintf(w, " · %s", mdSourceLinks(refs))
			}
			fmt.Fprintln(w)
		}
		if len(c.Checks) > 0 {
			fmt.Fprintf(w, "- Checks: %s\n", md(strings.Join(c.Checks, ", ")))
		}
		fmt.Fprint(w, "\n</details>\n\n")
	}
}

// mdHTML escapes text that sits inside an HTML element of the Markdown (a summary).
func mdHTML(s string) string { return template.HTMLEscapeString(plain(s)) }
