package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/fleet"
	"github.com/cmpreflight/cmpreflight/internal/outfile"
	"github.com/cmpreflight/cmpreflight/preflight"
	"github.com/cmpreflight/cmpreflight/reports"
)

// cmdReportMerge runs `report merge`: many machines' JSON reports into one fleet view.
func cmdReportMerge(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("report merge", stdout)
	ins := fs.StringArray("in", nil, "JSON report, folder of *.json reports, or glob pattern (repeatable)")
	outs := fs.StringArray("output", nil, "FORMAT=PATH, FORMAT one of "+strings.Join(reports.FleetFormats(), ", ")+" (repeatable)")
	skip := fs.Bool("skip-invalid", false, "list unreadable or foreign files in the fleet document instead of refusing to merge (the merge then exits 1: those machines are unseen)")
	accept := fs.Bool("accept-skipped", false, "with --skip-invalid: the machines of skipped files are accepted unseen, so they do not fail the merge")
	quiet := fs.BoolP("quiet", "q", false, "print nothing but errors")
	if err := parseFlags(fs, args); err != nil {
		return exitUsage, err
	}
	if fs.NArg() > 0 {
		return exitUsage, usagef("unexpected argument %q (give inputs with --in)", fs.Arg(0))
	}
	if *accept && !*skip {
		return exitUsage, usagef("--accept-skipped: give --skip-invalid too (without it an unreadable file stops the merge)")
	}
	if err := preflight.CheckOutputs(*outs, reports.ParseFleetOutputSpec); err != nil {
		return exitUsage, usagef("%v", err)
	}
	now, err := injectedNow()
	if err != nil {
		return exitUsage, err
	}
	paths, err := fleet.Expand(*ins)
	if err != nil {
		return exitUsage, usagef("%v", err)
	}
	set, err := fleet.Load(paths, *skip)
	var ie *fleet.InputError
	if errors.As(err, &ie) {
		return exitUsage, usagef("cannot merge (add --skip-invalid to merge the rest):\n  %s", strings.Join(ie.Problems, "\n  "))
	} else if err != nil {
		return exitUsage, usagef("%v", err)
	}
	for _, s := range set.Skipped {
		fmt.Fprintf(stderr, "cmpreflight report merge: skipped %s: %s\n", s.Path, s.Reason)
	}
	doc := fleet.Merge(set, facts.Tool{Name: "cmpreflight", Version: version}, now)
	doc.SkippedAccepted = *accept
	toStdout := false
	for _, o := range *outs {
		_, path, _ := reports.ParseFleetOutputSpec(o)
		toStdout = toStdout || outfile.IsStdout(path)
	}
	if !*quiet && !toStdout { // an output on standard output has it to itself
		if err := reports.RenderFleet(stdout, "text", doc); err != nil {
			return exitUsage, err
		}
	}
	var errs []error
	for _, o := range *outs {
		format, path, _ := reports.ParseFleetOutputSpec(o)
		errs = append(errs, reports.WriteFleetFile(path, format, doc))
	}
	if err := errors.Join(errs...); err != nil {
		return exitUsage, outputsFailed(err, len(*outs))
	}
	if n := doc.Summary.Skipped; n > 0 && !*accept {
		fmt.Fprintf(stderr, "cmpreflight report merge: %d input(s) could not be read: their machines are unseen, so the fleet is not proven compliant (exit 1); fix them, or pass --accept-skipped to accept them unseen\n", n)
	}
	if !doc.Proven() {
		return exitNotCompliant, nil
	}
	return exitOK, nil
}
