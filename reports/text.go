package reports

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/reports/diagnosis"
)

// summaryRows is how many checks that did not pass the terminal summary lists before it
// points at --verbose: the summary must fit one screen.
const summaryRows = 15

// RenderSummary writes the terminal summary: the verdict, then the causes with their first
// action, then the checks that did not pass (at most summaryRows of them). verbose adds every
// check and every finding with its fix and sources, as the text report does.
func RenderSummary(w io.Writer, doc *facts.Document, verbose bool) (err error) {
	cw := &ciSafe{w: w}
	defer func() {
		if ferr := cw.flush(); err == nil {
			err = ferr
		}
	}()
	ew := &errWriter{w: cw}
	deny, warn, waived := verdictCounts(doc)
	fmt.Fprintf(ew, "Verdict: %s (%d deny, %d warn, %d waived)\n", strings.ToUpper(verdictWord(doc)), deny, warn, waived)
	s := doc.Summary
	fmt.Fprintf(ew, "Checks: %d total, %d pass, %d fail, %d warn, %d skip, %d error (required: %d, %d failed)\n",
		s.Total, s.Pass, s.Fail, s.Warn, s.Skip, s.Error, s.Required, s.RequiredFailed)
	if line := profilesLine(doc); line != "" {
		fmt.Fprintln(ew, line)
	}
	if e := doc.Evaluation; e != nil && e.Command != "run" {
		// Saved facts judged again: when, and by which policies, beside the facts' own time.
		fmt.Fprintln(ew, "Judged: "+plain(judgedLine(doc)))
	}
	if doc.Interrupted {
		fmt.Fprintln(ew, "The run was interrupted: the results are incomplete.")
	}
	causes := diagnosis.Diagnose(doc)
	docs := ruleDocs()
	if len(causes) > 0 {
		fmt.Fprintln(ew, "\nWhat to fix first:")
	}
	for i := range causes {
		textCause(ew, i+1, &causes[i], docs, verbose)
	}
	if verbose {
		textChecks(ew, doc.Checks, len(doc.Checks))
		textFindings(ew, doc, docs)
	} else {
		var notPassed []facts.Check
		for _, c := range attentionOrder(doc.Checks) {
			if c.Status != facts.StatusPass {
				notPassed = append(notPassed, c)
			}
		}
		textChecks(ew, notPassed, summaryRows)
		if waived > 0 {
			fmt.Fprintf(ew, "%d waived finding(s): --verbose lists them.\n", waived)
		}
	}
	return ew.err
}

// renderText is the text report: the summary with every check and finding.
// profilesLine names the run's profiles when there are several or --profile auto chose them,
// with the role that chose each.
func profilesLine(doc *facts.Document) string {
	var parts []string
	why := false
	for _, p := range doc.Profiles {
		if p.Why != "" {
			parts = append(parts, p.Name+" ("+p.Why+")")
			why = true
		} else {
			parts = append(parts, p.Name)
		}
	}
	if len(parts) < 2 && !why {
		return ""
	}
	return "Profiles: " + plain(strings.Join(parts, "; "))
}

func renderText(w io.Writer, doc *facts.Document) error { return RenderSummary(w, doc, true) }

// textCause writes one cause: its headline, the problem, the first action, the rules behind
// it by title, and a few of its checks.
func textCause(w io.Writer, n int, c *diagnosis.Cause, docs map[string]RuleDoc, verbose bool) {
	fmt.Fprintf(w, "%2d. %-4s %s\n", n, strings.ToUpper(c.Level), plain(c.Headline))
	if c.Problem != "" {
		fmt.Fprintf(w, "    cause: %s\n", plain(c.Problem))
	}
	if action := causeAction(c, docs); action != "" {
		fmt.Fprintf(w, "    do:    %s\n", plain(action))
	}
	if len(c.Rules) > 0 && len(c.Checks) > 0 {
		var rs []string
		for _, r := range c.Rules {
			rs = append(rs, fmt.Sprintf("%s %s ×%d", strings.ToUpper(r.Level), ruleTitle(r.Rule, docs), r.Count))
		}
		fmt.Fprintf(w, "    rules: %s\n", plain(strings.Join(rs, "; ")))
	} else if len(c.Rules) > 0 {
		fmt.Fprintf(w, "    rule:  %s\n", plain(ruleTitle(c.Rules[0].Rule, docs)))
	}
	if len(c.Checks) > 1 && !verbose {
		fmt.Fprintf(w, "    checks: %s\n", plain(firstNames(c.Checks, 3, func(s string) string { return s })))
	}
}

// causeAction is a cause's first action, else the remediation its first rule documents.
func causeAction(c *diagnosis.Cause, docs map[string]RuleDoc) string {
	if c.Action == "" && len(c.Rules) > 0 {
		return docs[c.Rules[0].Rule].Remediation
	}
	return c.Action
}

// ruleTitle is "Title (id)", or the id of a rule without documentation.
func ruleTitle(id string, docs map[string]RuleDoc) string {
	if d, ok := docs[id]; ok && d.Title != "" {
		return d.Title + " (" + id + ")"
	}
	return id
}

// textChecks writes up to limit checks as an aligned table, then says how many it left out.
func textChecks(w io.Writer, cs []facts.Check, limit int) {
	if len(cs) == 0 {
		return
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSTATUS\tSTAGE/REASON\tROUTE\tTOTAL MS")
	for i := range cs[:min(limit, len(cs))] {
		c := &cs[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n",
			plain(checkLabel(c)), plain(c.Status), nonEmpty(plain(stageReason(c)), "-"),
			nonEmpty(plain(c.Route), "-"), c.Timings.Total)
	}
	tw.Flush()
	if len(cs) > limit {
		fmt.Fprintf(w, "… and %d more that did not pass (--verbose lists every check)\n", len(cs)-limit)
	}
}

// textFindings writes every finding with its fix and sources.
func textFindings(w io.Writer, doc *facts.Document, docs map[string]RuleDoc) {
	first := true
	eachFinding(doc.Verdict, func(level string, f *facts.Finding) {
		if first {
			fmt.Fprintln(w, "\nFindings:")
			first = false
		}
		rule := plain(f.Rule)
		if d, ok := docs[f.Rule]; ok && d.Title != "" {
			rule += " (" + plain(d.Title) + ")"
		}
		line := fmt.Sprintf("%-6s %s: %s", strings.ToUpper(level), rule, plain(f.Message))
		if level == "waived" && f.Waiver != nil {
			line += fmt.Sprintf(" (waived until %s: %s)", plain(f.Waiver.Expires), plain(f.Waiver.Reason))
		}
		fmt.Fprintln(w, line)
		if level != "waived" && f.Remediation != "" {
			fmt.Fprintf(w, "       fix: %s\n", plain(f.Remediation))
		}
		if refs := sourceRefs(f.Source); level != "waived" && len(refs) > 0 {
			fmt.Fprintf(w, "       source: %s\n", plain(sourcesText(refs)))
		}
	})
}

// errWriter keeps the first write error so that a renderer can write freely and check once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// ciSafe writes text meant for a terminal that may be a CI log (the summary printed by a
// pipeline step) so that no network string in it reads as a command to the CI agent: Azure
// Pipelines takes "##vso[" anywhere in a line, GitHub Actions takes a line starting with "::"
// and Azure a line starting with "##[". Such text gets a backslash ("##vso\[", "\::"),
// visible and inert; the tool's own lines never look like that.
type ciSafe struct {
	w   io.Writer
	buf []byte
}

func (c *ciSafe) Write(p []byte) (int, error) {
	c.buf = append(c.buf, p...)
	for {
		i := bytes.IndexByte(c.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if _, err := io.WriteString(c.w, ciSafeLine(string(c.buf[:i+1]))); err != nil {
			return 0, err
		}
		c.buf = c.buf[i+1:]
	}
}

func (c *ciSafe) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := io.WriteString(c.w, ciSafeLine(string(c.buf)))
	c.buf = nil
	return err
}

// ciSafeLine neutralises one line (see ciSafe).
func ciSafeLine(l string) string {
	l = strings.ReplaceAll(l, "##vso[", `##vso\[`)
	if t := strings.TrimLeft(l, " \t"); strings.HasPrefix(t, "::") || strings.HasPrefix(t, "##[") {
		l = l[:len(l)-len(t)] + `\` + t
	}
	return l
}
