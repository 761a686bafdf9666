package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/fleet"
	"github.com/cmpreflight/cmpreflight/internal/config"
	"github.com/cmpreflight/cmpreflight/internal/inputfile"
	"github.com/cmpreflight/cmpreflight/preflight"
	"github.com/cmpreflight/cmpreflight/reports"
)

// evalExt is the extension of a per-report output file written into a folder.
var evalExt = map[string]string{
	"json": ".json", "html": ".html", "junit": ".xml", "sarif": ".sarif", "markdown": ".md", "text": ".txt",
	"prom": ".prom", "github": ".github.txt", "azure-devops": ".azure-devops.txt",
}

// evalOutput is one --output of report evaluate: a file, or a folder that gets one file per
// report (named after the report it judged).
type evalOutput struct {
	spec, format, path string
	folder             bool
}

// cmdReportEvaluate runs `report evaluate`: saved facts judged again by the given policies,
// without any probe, written in every format, with run's exit codes.
func cmdReportEvaluate(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("report evaluate", stdout)
	var o preflight.JudgeOptions
	configFile := fs.String("config", "", "YAML config file; keys are the long flag names (run's other keys are skipped, so one file serves both)")
	ins := fs.StringArray("in", nil, "saved JSON report, folder of *.json reports, or glob pattern (repeatable)")
	fs.StringArrayVar(&o.PolicyPaths, "policy", nil, "Rego policy file or directory, beside the built-in policies (repeatable)")
	fs.StringArrayVar(&o.DataFiles, "data", nil, "JSON or YAML data for policies, mounted at data.extra (repeatable)")
	fs.StringArrayVar(&o.Waivers, "waivers", nil, "waivers file (YAML)")
	fs.StringArrayVar(&o.DisableRules, "disable-rule", nil, "built-in rule id to turn off (repeatable)")
	fs.StringVar(&o.FailOn, "fail-on", "deny", "exit 1 on: deny, warn")
	runTimeout := fs.Duration("run-timeout", 15*time.Minute, "deadline of the whole evaluation (a runaway policy is stopped, exit 2)")
	outs := fs.StringArray("output", nil, "FORMAT=PATH, FORMAT one of "+strings.Join(reports.Formats(), ", ")+
		"; PATH a folder (ending in /) writes one file per report; several reports into one file: "+
		strings.Join(mergedFormats(), ", ")+" (repeatable)")
	quiet := fs.BoolP("quiet", "q", false, "print nothing but errors")
	verbose := fs.BoolP("verbose", "v", false, "list every check and finding of each report on the terminal")
	if err := parseFlags(fs, args); err != nil {
		return exitUsage, err
	}
	if fs.NArg() > 0 {
		return exitUsage, usagef("unexpected argument %q (give the saved reports with --in)", fs.Arg(0))
	}
	if *configFile != "" {
		// One preflight.yaml for run and report evaluate: run's probe keys are skipped here.
		var runOpts preflight.Options
		runFlags := pflag.NewFlagSet("run", pflag.ContinueOnError)
		registerRun(runFlags, &runOpts)
		if err := config.ApplyShared(fs, *configFile, runFlags); err != nil {
			return exitUsage, usagef("%v", err)
		}
	}
	if err := o.Validate(); err != nil {
		return exitUsage, usagef("%v", err)
	}
	if *runTimeout <= 0 {
		return exitUsage, usagef("--run-timeout %s: want a positive duration", *runTimeout)
	}
	if len(*ins) == 0 {
		return exitUsage, usagef("--in: give the saved JSON report(s) to evaluate (a file, a folder or a glob)")
	}
	now, err := injectedNow()
	if err != nil {
		return exitUsage, err
	}
	o.Now, o.Version = now, version

	// Every output is checked before anything is judged, every input read and judged before
	// anything is written.
	paths, err := fleet.Expand(*ins)
	if err != nil {
		return exitUsage, usagef("%v", err)
	}
	if _, err := planEvalOutputs(*outs, paths, false); err != nil {
		return exitUsage, usagef("%v", err)
	}
	registerRuleDocs(o.PolicyPaths)
	// As run's: the first interrupt stops the evaluation and the reports are still written
	// with a verdict that says so; a second one, or one while the outputs are written, ends
	// the process at once without half files.
	in := watchInterrupts("report evaluate", stderr, true)
	defer in.stop()
	ctx, cancel := context.WithTimeout(in.ctx, *runTimeout)
	defer cancel()
	engine, err := preflight.LoadJudge(ctx, &o)
	if err != nil {
		return exitUsage, usagef("%v", err)
	}

	// Pass 1: each report is read and judged, one at a time; only its judgement is kept, so
	// a thousand reports never sit in memory together.
	var judged []judgement
	var problems []string
	stopped := false
	for _, p := range paths {
		if ctx.Err() != nil {
			return exitUsage, errors.New("interrupted (a signal or --run-timeout) before every report was judged: no output was written")
		}
		doc, sum, err := readEvalInput(p)
		switch {
		case errors.Is(err, reports.ErrFleetDocument):
			// A fleet.json written into the folder of reports: set aside, as report merge does.
			fmt.Fprintf(stderr, "cmpreflight report evaluate: skipped %s: %v\n", p, reports.ErrFleetDocument)
			continue
		case err != nil:
			problems = append(problems, err.Error())
			continue
		case len(problems) > 0:
			continue // the run ends with exit 2: judging the rest is wasted
		}
		wasInterrupted := doc.Interrupted
		if err := preflight.Judge(ctx, engine, &o, doc, p); err != nil {
			return exitUsage, usagef("%v", err)
		}
		// The evaluation itself was stopped (a signal, --run-timeout, or a policy past the
		// memory limit): the report still gets a verdict that says so, and exit 2, as run's.
		stopped = stopped || doc.Interrupted && !wasInterrupted
		judged = append(judged, judgement{path: p, sum: sum, verdict: doc.Verdict, evaluation: doc.Evaluation,
			interrupted: doc.Interrupted, notes: doc.Notes})
	}
	if len(problems) > 0 {
		return exitUsage, usagef("cannot evaluate:\n  %s", strings.Join(problems, "\n  "))
	}
	if len(judged) == 0 {
		return exitUsage, usagef("--in: no machine report among %s", strings.Join(paths, ", "))
	}
	kept := make([]string, len(judged))
	for i, j := range judged {
		kept[i] = j.path
	}
	outputs, err := planEvalOutputs(*outs, kept, true)
	if err != nil {
		return exitUsage, usagef("%v", err)
	}

	in.atOnce()

	// Pass 2: each report is read again (it must not have changed), given its judgement,
	// shown and written; the merged outputs keep a lean copy of each.
	var lean []*facts.Document
	var failed []string
	merged := slices.ContainsFunc(outputs, func(o evalOutput) bool { return !o.folder && len(kept) > 1 })
	for i, j := range judged {
		doc, sum, err := readEvalInput(j.path)
		if err == nil && sum != j.sum {
			err = fmt.Errorf("%s changed while it was being evaluated", j.path)
		}
		if err != nil {
			return exitUsage, fmt.Errorf("%v (the outputs of the reports before it were written)", err)
		}
		doc.Verdict, doc.Evaluation, doc.Interrupted, doc.Notes = j.verdict, j.evaluation, j.interrupted, j.notes
		if !*quiet {
			if err := printEvaluated(stdout, j.path, doc, len(kept), *verbose); err != nil {
				return exitUsage, err
			}
		}
		// Every output is tried: one that cannot be written does not cost the others.
		for _, o := range outputs {
			if err := writeEvalOutput(o, i, kept, doc); err != nil {
				failed = append(failed, err.Error())
			}
		}
		if merged {
			lean = append(lean, leanCopy(doc))
		}
	}
	if err := writeMergedOutputs(outputs, kept, lean, now); err != nil {
		failed = append(failed, err.Error())
	}
	if len(failed) > 0 {
		return exitUsage, outputsFailed(errors.New(strings.Join(failed, "\n")), len(outputs))
	}
	if stopped {
		return exitUsage, errors.New("interrupted: the policy evaluation was stopped; the reports were written with a verdict that says so")
	}
	code := exitOK
	for _, j := range judged {
		if j.verdict.Fails(o.FailOn) {
			code = exitNotCompliant
		}
	}
	return code, nil
}

// judgement is what pass 1 keeps of a judged report.
type judgement struct {
	path        string
	sum         [sha256.Size]byte
	verdict     *facts.Verdict
	evaluation  *facts.Evaluation
	interrupted bool
	notes       []string
}

// readEvalInput reads one saved report and the digest of its bytes.
func readEvalInput(path string) (*facts.Document, [sha256.Size]byte, error) {
	data, err := inputfile.ReadMax(path, inputfile.MaxReportBytes)
	if err != nil {
		return nil, [sha256.Size]byte{}, fmt.Errorf("read report %s: %v", path, errors.Unwrap(err))
	}
	doc, err := reports.DecodeJSON(path, data)
	return doc, sha256.Sum256(data), err
}

// leanCopy keeps what the merged outputs show (the annotations' findings, the fleet view's
// checks and counts), without evidence or the sections neither shows.
func leanCopy(doc *facts.Document) *facts.Document {
	d := *doc
	d.Catalog, d.Trust, d.Site, d.LogFindings, d.Proxy, d.RoleProxies, d.Previous, d.Notes = nil, nil, nil, nil, nil, nil, nil, nil
	d.Checks = slices.Clone(doc.Checks)
	for i := range d.Checks {
		c := &d.Checks[i]
		c.Evidence, c.Entries, c.Sources, c.Wildcards, c.Editions, c.RequiredIn, c.Message = facts.Evidence{}, nil, nil, nil, nil, nil, ""
	}
	return &d
}

// mergedFormats are the formats that hold several reports in one file: the CI annotations
// (every finding of every report) and the fleet view's formats (report merge's document).
func mergedFormats() []string {
	var out []string
	for _, f := range slices.Concat(reports.AnnotationFormats(), reports.FleetFormats()) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// planEvalOutputs checks every --output: its format and its folder (before anything is
// judged), and with full (once the reports are known) that a one-report format is not asked
// for several, that no two reports would write the same file and that no output would
// overwrite an input.
func planEvalOutputs(specs, inputs []string, full bool) ([]evalOutput, error) {
	var out []evalOutput
	written := map[string]string{}
	claim := func(path, spec string) error {
		abs, err := filepath.Abs(path)
		if err != nil {
			return fmt.Errorf("--output %q: %v", spec, err)
		}
		for _, in := range inputs {
			if a, _ := filepath.Abs(in); a == abs {
				return fmt.Errorf("--output %q would overwrite the input %s: write the evaluated reports elsewhere", spec, in)
			}
		}
		if prev, ok := written[abs]; ok {
			return fmt.Errorf("--output %q: %s is also written by --output %q (two reports with the same file name? give each its own folder)", spec, path, prev)
		}
		written[abs] = spec
		return nil
	}
	for _, spec := range specs {
		format, path, err := reports.ParseOutputSpec(spec)
		if err != nil {
			return nil, err
		}
		o := evalOutput{spec: spec, format: format, path: path}
		st, statErr := os.Stat(path)
		o.folder = strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(os.PathSeparator)) || statErr == nil && st.IsDir()
		dir := filepath.Dir(path)
		if o.folder {
			dir = path
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("--output %q: the folder %s does not exist", spec, dir)
		}
		out = append(out, o)
		if !full {
			continue
		}
		switch {
		case o.folder:
			for _, in := range inputs {
				if err := claim(filepath.Join(path, strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))+evalExt[format]), spec); err != nil {
					return nil, err
				}
			}
		case len(inputs) > 1 && !slices.Contains(mergedFormats(), format):
			return nil, fmt.Errorf("--output %q: %s holds one report and %d were given: give a folder (%s=DIR/) for one file per report, or one of %s",
				spec, format, len(inputs), format, strings.Join(mergedFormats(), ", "))
		default:
			if err := claim(path, spec); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// writeEvalOutput writes what output o holds of the i-th report: its file in a folder, or
// the output itself when there is only one report.
func writeEvalOutput(o evalOutput, i int, paths []string, doc *facts.Document) error {
	switch {
	case o.folder:
		name := strings.TrimSuffix(filepath.Base(paths[i]), filepath.Ext(paths[i])) + evalExt[o.format]
		return reports.WriteFile(filepath.Join(o.path, name), o.format, doc)
	case len(paths) == 1:
		return reports.WriteFile(o.path, o.format, doc)
	}
	return nil
}

// writeMergedOutputs writes the outputs that hold several reports in one file: the
// annotations of every report, or the fleet view of the judged reports.
func writeMergedOutputs(outputs []evalOutput, paths []string, docs []*facts.Document, now time.Time) error {
	for _, o := range outputs {
		switch {
		case o.folder || len(paths) == 1:
		case slices.Contains(reports.AnnotationFormats(), o.format):
			if err := reports.WriteAnnotationsFile(o.path, o.format, docs); err != nil {
				return err
			}
		default:
			set, err := fleet.FromDocuments(paths, docs)
			if err != nil {
				return err
			}
			if err := reports.WriteFleetFile(o.path, o.format, fleet.Merge(set, facts.Tool{Name: "cmpreflight", Version: version}, now)); err != nil {
				return err
			}
		}
	}
	return nil
}

// printEvaluated writes one report's part of the terminal summary: the whole summary when it
// is the only report, else its verdict line (--verbose: a header and its whole summary).
func printEvaluated(w io.Writer, path string, doc *facts.Document, reportsCount int, verbose bool) error {
	switch {
	case reportsCount == 1:
		return reports.RenderSummary(w, doc, verbose)
	case verbose:
		fmt.Fprintf(w, "\n== %s\n", reports.VerdictLine(path, doc))
		return reports.RenderSummary(w, doc, true)
	}
	_, err := fmt.Fprintln(w, reports.VerdictLine(path, doc))
	return err
}
