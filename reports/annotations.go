package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/cmpreflight/cmpreflight/facts"
)

// The two CI annotation formats write one workflow or logging command per finding, so that a
// GitHub Actions or Azure Pipelines log shows the verdict inline. Every string in them can
// come off the network (a host name, a proxy's page title inside a message) or from a user's
// policy, so each is escaped as the platform's own documentation and libraries do, and a
// finding can never end its line early or add a command of its own.
//
// GitHub Actions workflow commands ("::error title=T::message"):
//   https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
//   The runner's toolkit (actions/toolkit, packages/core/src/command.ts, escapeData and
//   escapeProperty) escapes in the message % as %25, CR as %0D and LF as %0A, and in a
//   property value also : as %3A and , as %2C (a property ends at "," and the properties at
//   "::"). A command is recognised only at the start of a line, so once the line breaks are
//   escaped nothing in the message can start one.
//
// Azure Pipelines logging commands ("##vso[task.logissue type=error;code=C]message", then
// "##vso[task.complete result=...;]"):
//   https://learn.microsoft.com/azure/devops/pipelines/scripts/logging-commands
//   The agent's escapes, as the task library writes them (microsoft/azure-pipelines-task-lib,
//   node/taskcommand.ts): % as %AZP25, CR as %0D, LF as %0A, ; as %3B and ] as %5D. The
//   agent finds "##vso[" anywhere in a line, not only at its start, and ends the properties
//   at the first "]": with ] and ; escaped in every value and in the message, a "##vso["
//   inside a host name or message has no "]" to close it and stays text; with the line
//   breaks escaped, it cannot begin a line of its own either.

// ghData escapes a workflow command's message.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(visibleControls(s))
}

// ghProperty escapes a workflow command's property value.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(visibleControls(s))
}

// azEscape escapes a logging command's property value or message (the agent unescapes both).
func azEscape(s string) string {
	return strings.NewReplacer("%", "%AZP25", "\r", "%0D", "\n", "%0A", ";", "%3B", "]", "%5D").Replace(visibleControls(s))
}

// visibleControls shows control characters other than CR and LF as the terminal summary does;
// CR and LF are left to the platform's own escapes.
func visibleControls(s string) string { return showControls(s, "") }

// annotation is one finding as both CI formats show it.
type annotation struct {
	level   string // deny, warn, waived
	machine string
	rule    string
	title   string // the rule's title and id, and the check(s) it names
	message string // the finding, the checks it names and its fix, one item per line
}

// annotationsOf lists doc's findings, deny first. A document without a verdict is one deny
// of its own: a gate must never read it as compliant.
func annotationsOf(doc *facts.Document) []annotation {
	machine := nonEmpty(doc.Machine.NameOrHost(), "(unnamed machine)")
	if doc.Verdict == nil {
		return []annotation{{level: "deny", machine: machine, rule: "cmpreflight.no_verdict",
			title:   "no verdict",
			message: machine + ": the report holds no verdict, so compliance is unknown; judge it with cmpreflight report evaluate"}}
	}
	docs := ruleDocs()
	var out []annotation
	eachFinding(doc.Verdict, func(level string, f *facts.Finding) {
		title := f.Rule
		if d, ok := docs[f.Rule]; ok && d.Title != "" {
			title = d.Title + " (" + f.Rule + ")"
		}
		switch len(f.Checks) {
		case 0:
		case 1:
			title += " on " + f.Checks[0]
		default:
			title += fmt.Sprintf(" on %d checks", len(f.Checks))
		}
		lines := []string{machine + ": " + f.Message}
		if len(f.Checks) > 1 {
			lines = append(lines, "checks: "+strings.Join(f.Checks, ", "))
		}
		if f.Remediation != "" {
			lines = append(lines, "fix: "+f.Remediation)
		}
		if level == "waived" && f.Waiver != nil {
			lines = append(lines, fmt.Sprintf("waived until %s by %s: %s", f.Waiver.Expires, f.Waiver.Owner, f.Waiver.Reason))
		}
		out = append(out, annotation{level: level, machine: machine, rule: f.Rule, title: title, message: strings.Join(lines, "\n")})
	})
	return out
}

// byLevel orders the annotations of several documents deny, then warn, then waived: GitHub
// shows only the first few annotations of each kind per step, so the worst come first.
func byLevel(docs []*facts.Document) []annotation {
	var all []annotation
	for _, d := range docs {
		all = append(all, annotationsOf(d)...)
	}
	var out []annotation
	for _, level := range []string{"deny", "warn", "waived"} {
		for _, a := range all {
			if a.level == level {
				out = append(out, a)
			}
		}
	}
	return out
}

func renderGitHub(w io.Writer, doc *facts.Document) error {
	return writeGitHub(w, []*facts.Document{doc})
}

func renderAzureDevOps(w io.Writer, doc *facts.Document) error {
	return writeAzureDevOps(w, []*facts.Document{doc})
}

// writeGitHub writes one workflow command per finding: ::error for a deny, ::warning for a
// warn, ::notice for a waived deny (shown, never failing).
func writeGitHub(w io.Writer, docs []*facts.Document) error {
	bw := bufio.NewWriter(w)
	for _, a := range byLevel(docs) {
		cmd := map[string]string{"deny": "error", "warn": "warning", "waived": "notice"}[a.level]
		fmt.Fprintf(bw, "::%s title=%s::%s\n", cmd, ghProperty("cmpreflight: "+a.title), ghData(a.message))
	}
	return bw.Flush()
}

// writeAzureDevOps writes one task.logissue per deny and warn (a waived deny is not an issue)
// and one task.complete: Failed when a document fails its gate (--fail-on), SucceededWithIssues
// when there are warnings, else Succeeded.
func writeAzureDevOps(w io.Writer, docs []*facts.Document) error {
	bw := bufio.NewWriter(w)
	for _, a := range byLevel(docs) {
		if a.level == "waived" {
			continue
		}
		typ := map[string]string{"deny": "error", "warn": "warning"}[a.level]
		fmt.Fprintf(bw, "##vso[task.logissue type=%s;code=%s]%s\n", typ, azEscape(a.rule), azEscape(a.title+"\n"+a.message))
	}
	result, failed, warned := "Succeeded", 0, 0
	for _, d := range docs {
		switch {
		case d.Interrupted || d.Verdict.Fails(d.FailOn()):
			failed++
		case len(d.Verdict.Warn) > 0:
			warned++
		}
	}
	switch {
	case failed > 0:
		result = "Failed"
	case warned > 0:
		result = "SucceededWithIssues"
	}
	summary := fmt.Sprintf("cmpreflight: %d of %d reports fail the gate, %d with warnings", failed, len(docs), warned)
	if len(docs) == 1 {
		deny, warn, waived := verdictCounts(docs[0])
		summary = fmt.Sprintf("cmpreflight: %s (%d deny, %d warn, %d waived)", verdictWord(docs[0]), deny, warn, waived)
	}
	fmt.Fprintf(bw, "##vso[task.complete result=%s;]%s\n", result, azEscape(summary))
	return bw.Flush()
}

// AnnotationFormats are the formats that can hold the findings of several documents in one
// file (report evaluate over many reports).
func AnnotationFormats() []string { return []string{"github", "azure-devops"} }

// WriteAnnotationsFile writes the findings of several documents in one CI annotation file,
// atomically as every report.
func WriteAnnotationsFile(path, format string, docs []*facts.Document) error {
	var write func(io.Writer, []*facts.Document) error
	switch format {
	case "github":
		write = writeGitHub
	case "azure-devops":
		write = writeAzureDevOps
	default:
		return fmt.Errorf("format %q does not hold several reports (formats: %s)", format, strings.Join(AnnotationFormats(), ", "))
	}
	return writeAtomic(path, format, func(w io.Writer) error { return write(w, docs) })
}
