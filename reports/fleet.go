package reports

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/fleet"
)

// fleetRenderer writes one format of a fleet document.
type fleetRenderer func(w io.Writer, doc *fleet.Document) error

var fleetFormats = map[string]fleetRenderer{
	"json":     renderFleetJSON,
	"html":     renderFleetHTML,
	"markdown": renderFleetMarkdown,
	"junit":    renderFleetJUnit,
	"text":     renderFleetText,
	// The CI annotations (annotations.go): every deny and warn of every machine.
	"github":       func(w io.Writer, doc *fleet.Document) error { return writeGitHub(w, fleetAsDocuments(doc)) },
	"azure-devops": func(w io.Writer, doc *fleet.Document) error { return writeAzureDevOps(w, fleetAsDocuments(doc)) },
}

// FleetFormats lists the formats of `report merge`, in the documented order.
func FleetFormats() []string {
	return []string{"json", "html", "markdown", "junit", "text", "github", "azure-devops"}
}

// fleetAsDocuments gives each machine of the fleet the shape the annotations read: its name,
// findings and verdict (a machine without a verdict, or interrupted, fails the gate).
func fleetAsDocuments(doc *fleet.Document) []*facts.Document {
	out := make([]*facts.Document, 0, len(doc.Machines))
	for _, m := range doc.Machines {
		d := &facts.Document{Machine: facts.Machine{Name: m.Name, Hostname: m.Hostname}, Interrupted: m.Verdict == fleet.VerdictInterrupted,
			Options: facts.Options{FailOn: "deny"}}
		if m.Verdict != fleet.VerdictNone {
			d.Verdict = &facts.Verdict{Compliant: m.Verdict == fleet.VerdictCompliant, Deny: m.Deny, Warn: m.Warn, Waived: []facts.Finding{}}
		}
		out = append(out, d)
	}
	// A file that could not be read may be a machine's report: the gate cannot see that
	// machine, so the annotations name it and fail, as report merge's exit code does, unless
	// skipped inputs were accepted.
	if !doc.SkippedAccepted {
		for _, s := range doc.Skipped {
			if !s.Unseen {
				continue
			}
			out = append(out, &facts.Document{Machine: facts.Machine{Name: s.Path}, Options: facts.Options{FailOn: "deny"},
				Verdict: &facts.Verdict{Deny: []facts.Finding{{Rule: "fleet.input_unread",
					Message: "input " + s.Path + " could not be read (" + s.Reason + "): the machine it holds is unseen; fix or remove the file, or pass --accept-skipped"}},
					Warn: []facts.Finding{}, Waived: []facts.Finding{}}})
		}
	}
	return out
}

// ParseFleetOutputSpec splits a `report merge --output FORMAT=PATH` value.
func ParseFleetOutputSpec(s string) (format, path string, err error) {
	f, p, ok := strings.Cut(s, "=")
	f = strings.ToLower(strings.TrimSpace(f))
	if !ok || f == "" || p == "" {
		return "", "", fmt.Errorf("--output %q: want FORMAT=PATH with FORMAT one of %s", s, strings.Join(FleetFormats(), ", "))
	}
	if _, known := fleetFormats[f]; !known {
		return "", "", fmt.Errorf("--output %q: a fleet is written as %s", s, strings.Join(FleetFormats(), ", "))
	}
	return f, p, nil
}

// RenderFleet writes a fleet document in format to w.
func RenderFleet(w io.Writer, format string, doc *fleet.Document) error {
	r, ok := fleetFormats[format]
	if !ok {
		return fmt.Errorf("unknown fleet format %q (formats: %s)", format, strings.Join(FleetFormats(), ", "))
	}
	if doc == nil {
		return errors.New("render: no fleet document")
	}
	return r(w, doc)
}

// WriteFleetFile renders a fleet document into path atomically, like WriteFile.
func WriteFleetFile(path, format string, doc *fleet.Document) error {
	if _, ok := fleetFormats[format]; !ok {
		return fmt.Errorf("unknown fleet format %q (formats: %s)", format, strings.Join(FleetFormats(), ", "))
	}
	return writeAtomic(path, "fleet "+format, func(w io.Writer) error { return RenderFleet(w, format, doc) })
}

func renderFleetJSON(w io.Writer, doc *fleet.Document) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// fleetHeadline is the one-line verdict of a fleet.
func fleetHeadline(doc *fleet.Document) string {
	s := doc.Summary
	word := "all compliant"
	if s.Compliant != s.Machines {
		word = fmt.Sprintf("%d of %d machines not compliant", s.Machines-s.Compliant, s.Machines)
	}
	line := fmt.Sprintf("%s (%d machines, %d checks: %d split, %d failing everywhere)", word, s.Machines, s.Checks, s.Split, s.Failing)
	switch {
	case s.Skipped > 0 && !doc.SkippedAccepted:
		return fmt.Sprintf("NOT PROVEN: %d input(s) could not be read, so their machines are unseen; %s", s.Skipped, line)
	case s.Skipped > 0:
		return fmt.Sprintf("%s; %d input(s) could not be read, accepted unseen (--accept-skipped)", line, s.Skipped)
	}
	return line
}

// skippedFirst lists the inputs that could not be read, before anything else in a fleet
// view: a gate that cannot see a machine says nothing about it.
func skippedFirst(doc *fleet.Document) string {
	switch {
	case len(doc.Skipped) == 0:
		return ""
	case doc.Summary.Skipped == 0:
		return "Inputs set aside (fleet documents, not machine reports):"
	case doc.SkippedAccepted:
		return "Inputs that could not be read (accepted unseen with --accept-skipped):"
	}
	return "Inputs that could not be read (their machines are unseen; fix them or pass --accept-skipped):"
}

// attentionRows are the rows a person must look at: split and failing facts.
func attentionRows(doc *fleet.Document) []fleet.Row {
	i := slices.IndexFunc(doc.Checks, func(r fleet.Row) bool {
		return r.Pattern != fleet.PatternSplit && r.Pattern != fleet.PatternFailing
	})
	if i < 0 {
		return doc.Checks
	}
	return doc.Checks[:i]
}

// firstNames joins up to n names and says how many more there are.
func firstNames(names []string, n int, esc func(string) string) string {
	var b strings.Builder
	for i, s := range names {
		if i == n {
			fmt.Fprintf(&b, " and %d more", len(names)-n)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(esc(s))
	}
	return b.String()
}

func ruleIDs(fs []facts.Finding) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		if !slices.Contains(out, f.Rule) {
			out = append(out, f.Rule)
		}
	}
	return out
}

func cellText(c fleet.Cell) string {
	if c.Stage == "" && c.Reason == "" {
		return c.Status
	}
	return c.Status + " " + stageReason(&facts.Check{Stage: c.Stage, Reason: c.Reason})
}

func renderFleetText(w io.Writer, doc *fleet.Document) (err error) {
	cw := &ciSafe{w: w} // printed by report merge, often in a CI log
	defer func() {
		if ferr := cw.flush(); err == nil {
			err = ferr
		}
	}()
	ew := &errWriter{w: cw}
	fmt.Fprintf(ew, "Fleet: %s\n\n", fleetHeadline(doc))
	if h := skippedFirst(doc); h != "" {
		fmt.Fprintln(ew, h)
		for _, s := range doc.Skipped {
			fmt.Fprintf(ew, "  %s: %s\n", plain(s.Path), plain(s.Reason))
		}
		fmt.Fprintln(ew)
	}
	tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MACHINE\tVERDICT\tFAILING CHECKS\tDENY RULES\tREPORT TIME (UTC)")
	for _, m := range doc.Machines {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", plain(m.Name), m.Verdict, len(m.Failing), plain(strings.Join(ruleIDs(m.Deny), ", ")), formatTime(m.StartedAt))
	}
	tw.Flush()
	if rows := attentionRows(doc); len(rows) > 0 {
		fmt.Fprintln(ew)
		tw = tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CHECK\tPATTERN\tFAILING ON")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", plain(r.ID), r.Pattern, firstNames(r.FailingOn, 5, plain))
		}
		tw.Flush()
	}
	for _, n := range doc.Notes {
		fmt.Fprintf(ew, "\nnote: %s", plain(n))
	}
	if len(doc.Notes) > 0 {
		fmt.Fprintln(ew)
	}
	return ew.err
}

func renderFleetMarkdown(w io.Writer, doc *fleet.Document) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "# cmpreflight fleet: %s\n\n", md(fleetHeadline(doc)))
	fmt.Fprintf(ew, "Merged %s from %d report(s).\n\n", md(formatTime(doc.GeneratedAt)), doc.Summary.Reports)
	if h := skippedFirst(doc); h != "" {
		fmt.Fprintf(ew, "## Skipped inputs\n\n%s\n\n", md(h))
		for _, s := range doc.Skipped {
			fmt.Fprintf(ew, "- %s: %s\n", md(s.Path), md(s.Reason))
		}
		fmt.Fprintln(ew)
	}
	fmt.Fprintln(ew, "## Machines\n\n| Machine | Verdict | Failing checks | Deny rules | Report time |\n|---|---|---|---|---|")
	for _, m := range doc.Machines {
		fmt.Fprintf(ew, "| %s | %s | %s | %s | %s |\n", md(m.Name), m.Verdict, firstNames(m.Failing, 5, md), md(strings.Join(ruleIDs(m.Deny), ", ")), md(formatTime(m.StartedAt)))
	}
	if rows := attentionRows(doc); len(rows) > 0 {
		fmt.Fprintln(ew, "\n## Checks that fail\n\nSplit checks (failing on some machines, passing on others) first: they point at one segment, proxy or machine.\n\n| Check | Pattern | Failing on | pass / fail / error / absent |\n|---|---|---|---|")
		for _, r := range rows {
			fmt.Fprintf(ew, "| %s | %s | %s | %d / %d / %d / %d |\n", md(r.ID), r.Pattern, firstNames(r.FailingOn, 10, md), r.Counts.Pass, r.Counts.Fail, r.Counts.Error, r.Counts.Absent)
		}
	} else {
		fmt.Fprintln(ew, "\nNo check fails on any machine.")
	}
	if len(doc.Notes) > 0 {
		fmt.Fprintln(ew, "\n## Notes")
		for _, n := range doc.Notes {
			fmt.Fprintf(ew, "\n- %s", md(n))
		}
		fmt.Fprintln(ew)
	}
	return ew.err
}

// renderFleetJUnit writes one suite per machine and one test case per check it ran, so a CI
// server shows the fleet as machines with their failing facts.
func renderFleetJUnit(w io.Writer, doc *fleet.Document) error {
	out := junitSuites{Name: "cmpreflight fleet", Suites: []junitSuite{}}
	suites := make([]junitSuite, len(doc.Machines))
	for i, m := range doc.Machines {
		suites[i] = junitSuite{Name: m.Name, Hostname: m.Hostname, Time: seconds(m.DurationMs),
			Properties: []junitProperty{{"verdict", m.Verdict}, {"report", m.Report}, {"tool", m.ToolVersion}, {"profile", m.Profile}}}
		if !m.StartedAt.IsZero() {
			suites[i].Timestamp = m.StartedAt.UTC().Format("2006-01-02T15:04:05")
		}
		for _, f := range m.Deny {
			suites[i].Cases = append(suites[i].Cases, junitCase{Classname: "policy", Name: f.Rule, Time: "0.000",
				Failure: &junitProblem{Message: f.Message, Type: "deny", Text: f.Message}})
			suites[i].Failures++
			suites[i].Tests++
		}
	}
	for _, r := range doc.Checks {
		for i, c := range r.Results {
			if c.Status == fleet.StatusAbsent {
				continue
			}
			tc := junitCase{Classname: "checks", Name: r.ID, Time: seconds(c.TotalMs)}
			s := &suites[i]
			s.Tests++
			switch c.Status {
			case facts.StatusFail:
				tc.Failure = &junitProblem{Message: cellText(c), Type: c.Stage, Text: cellText(c)}
				s.Failures++
			case facts.StatusError:
				tc.Error = &junitProblem{Message: cellText(c), Type: c.Stage, Text: cellText(c)}
				s.Errors++
			case facts.StatusSkip:
				tc.Skipped = &junitSkipped{Message: cellText(c)}
				s.Skipped++
			case facts.StatusWarn:
				tc.SystemOut = cellText(c)
			}
			s.Cases = append(s.Cases, tc)
		}
	}
	var total int64
	for i := range suites {
		out.Tests += suites[i].Tests
		out.Failures += suites[i].Failures
		out.Errors += suites[i].Errors
		out.Skipped += suites[i].Skipped
		total += doc.Machines[i].DurationMs
	}
	if len(doc.Skipped) > 0 {
		// First: a CI server lists the inputs it could not judge before the machines.
		unread := junitSuite{Name: "unread inputs", Time: "0.000"}
		for _, s := range doc.Skipped {
			tc := junitCase{Classname: "inputs", Name: s.Path, Time: "0.000"}
			if !s.Unseen {
				tc.Skipped = &junitSkipped{Message: s.Reason}
				unread.Skipped++
			} else if doc.SkippedAccepted {
				tc.Skipped = &junitSkipped{Message: "accepted unseen (--accept-skipped): " + s.Reason}
				unread.Skipped++
			} else {
				tc.Failure = &junitProblem{Message: s.Reason, Type: "unread", Text: s.Reason}
				unread.Failures++
			}
			unread.Tests++
			unread.Cases = append(unread.Cases, tc)
		}
		out.Tests += unread.Tests
		out.Failures += unread.Failures
		out.Skipped += unread.Skipped
		suites = append([]junitSuite{unread}, suites...)
	}
	out.Suites = suites
	out.Time = seconds(total)
	ew := &errWriter{w: w}
	io.WriteString(ew, xml.Header)
	enc := xml.NewEncoder(ew)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	io.WriteString(ew, "\n")
	return ew.err
}
