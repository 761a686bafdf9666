package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/fleet"
	"github.com/cmpreflight/cmpreflight/reports"
)

// cmdReportMerge runs `report merge`: many machines' JSON reports into one fleet view.
func cmdReportMerge(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("report merge", stdout)
	ins := fs.StringArray("in", nil, "JSON report, folder of *.json reports, or glob pattern (repeatable)")
	outs := fs.StringArray("output", nil, "FORMAT=PATH, FORMAT one of "+strings.Join(reports.FleetFormats(), ", ")+" (repeatable)")
	skip := fs.Bool("skip-invalid", false, "list unreadable or foreign files in the fleet document instead of refusing to merge")
	quiet := fs.BoolP("quiet", "q", false, "print nothing but errors")
	if err := parseFlags(fs, args); err != nil {
		return exitUsage, err
	}
	if fs.NArg() > 0 {
		return exitUsage, usagef("unexpected argument %q (give inputs with --in)", fs.Arg(0))
	}
	for _, o := range *outs {
		_, path, err := reports.ParseFleetOutputSpec(o)
		if err != nil {
			return exitUsage, usagef("%v", err)
		}
		if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
			return exitUsage, usagef("--output %q: the folder %s does not exist", o, filepath.Dir(path))
		}
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
	if !*quiet {
		if err := reports.RenderFleet(stdout, "text", doc); err != nil {
			return exitUsage, err
		}
	}
	for _, o := range *outs {
		format, path, _ := reports.ParseFleetOutputSpec(o)
		if err := reports.WriteFleetFile(path, format, doc); err != nil {
			return exitUsage, err
		}
	}
	if doc.Summary.Compliant != doc.Summary.Machines {
		return exitNotCompliant, nil
	}
	return exitOK, nil
}
