package reports

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cmpreflight/cmpreflight/facts"
)

// renderText writes the terminal summary: one aligned row per check, then the findings and
// the verdict. Network strings go through plain() so a hostile answer cannot drive the
// terminal.
func renderText(w io.Writer, doc *facts.Document) error {
	ew := &errWriter{w: w}
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSTATUS\tSTAGE/REASON\tROUTE\tTOTAL MS")
	for i := range doc.Checks {
		c := &doc.Checks[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\n",
			plain(checkLabel(c)), plain(c.Status), nonEmpty(plain(stageReason(c)), "-"),
			nonEmpty(plain(c.Route), "-"), c.Timings.Total)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	s := doc.Summary
	fmt.Fprintf(ew, "\nChecks: %d total, %d pass, %d fail, %d warn, %d skip, %d error (required: %d, %d failed)\n",
		s.Total, s.Pass, s.Fail, s.Warn, s.Skip, s.Error, s.Required, s.RequiredFailed)
	if doc.Interrupted {
		fmt.Fprintln(ew, "The run was interrupted: the results are incomplete.")
	}
	docs := ruleDocs()
	eachFinding(doc.Verdict, func(level string, f *facts.Finding) {
		rule := plain(f.Rule)
		if d, ok := docs[f.Rule]; ok && d.Title != "" {
			rule += " (" + plain(d.Title) + ")"
		}
		line := fmt.Sprintf("%-6s %s: %s", strings.ToUpper(level), rule, plain(f.Message))
		if level == "waived" && f.Waiver != nil {
			line += fmt.Sprintf(" (waived until %s: %s)", plain(f.Waiver.Expires), plain(f.Waiver.Reason))
		}
		fmt.Fprintln(ew, line)
		if level != "waived" && f.Remediation != "" {
			fmt.Fprintf(ew, "       fix: %s\n", plain(f.Remediation))
		}
		if refs := sourceRefs(f.Source); level != "waived" && len(refs) > 0 {
			fmt.Fprintf(ew, "       source: %s\n", plain(sourcesText(refs)))
		}
	})
	deny, warn, waived := verdictCounts(doc)
	fmt.Fprintf(ew, "Verdict: %s (%d deny, %d warn, %d waived)\n", strings.ToUpper(verdictWord(doc)), deny, warn, waived)
	return ew.err
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
