package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/checks/cmlogs"
	"github.com/cmpreflight/cmpreflight/checks/netprobe"
	"github.com/cmpreflight/cmpreflight/internal/config"
	"github.com/cmpreflight/cmpreflight/policies"
	"github.com/cmpreflight/cmpreflight/preflight"
	"github.com/cmpreflight/cmpreflight/reports"
)

// cmdEndpoints prints the catalog a run would use.
func cmdEndpoints(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("endpoints", stdout)
	f := preflight.Options{FailOn: "deny", ProxyAuth: netprobe.AuthAuto, Concurrency: 1, Timeout: time.Second, RunTimeout: time.Second}
	var format string
	configFile := fs.String("config", "", "YAML config file")
	finish := registerProfiles(fs, &f)
	fs.StringVar(&f.Edition, "edition", catalog.EditionCurrent, "required edition: current, seed, all")
	fs.StringVar(&f.Cloud, "cloud", "public", "cloud: public, usgov")
	fs.StringVar(&f.TenantID, "tenant-id", "", "tenant id for {TenantID} URLs")
	fs.StringArrayVar(&f.Endpoints, "endpoints", nil, "extra endpoint file (repeatable)")
	fs.BoolVar(&f.EndpointsOnly, "endpoints-only", false, "only the --endpoints files")
	fs.StringVar(&format, "format", "table", "table, json, csv, firewall, firewall-csv")
	if err := parseFlags(fs, args); err != nil {
		return exitUsage, err
	}
	if *configFile != "" {
		if err := config.Apply(fs, *configFile); err != nil {
			return exitUsage, usagef("%v", err)
		}
	}
	finish()
	if err := f.Validate(); err != nil {
		return exitUsage, usagef("%v", err)
	}
	if err := preflight.Endpoints(&f, format, stdout, stderr); err != nil {
		return exitUsage, usagef("%v", err)
	}
	return exitOK, nil
}

// cmdPolicy runs `policy test`.
func cmdPolicy(args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) > 0 && args[0] == "list" {
		return cmdPolicyList(args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "test" {
		return exitUsage, usagef("usage: cmpreflight policy test [PATH...] | policy list [--format table|json|markdown] [--policy DIR]")
	}
	fs := newFlagSet("policy test", stdout)
	if err := parseFlags(fs, args[1:]); err != nil {
		return exitUsage, err
	}
	passed, failed, err := policies.RunTests(context.Background(), fs.Args(), stdout)
	if err != nil {
		return exitUsage, usagef("%v", err)
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return exitNotCompliant, nil
	}
	return exitOK, nil
}

// cmdReport runs `report convert` (and dispatches merge and evaluate).
func cmdReport(args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) > 0 && args[0] == "merge" {
		return cmdReportMerge(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "evaluate" {
		return cmdReportEvaluate(args[1:], stdout, stderr)
	}
	if len(args) == 0 || args[0] != "convert" {
		return exitUsage, usagef("usage: cmpreflight report convert --in report.json --output FORMAT=PATH...\n       cmpreflight report merge --in FILE|DIR|GLOB... --output FORMAT=PATH...\n       cmpreflight report evaluate --in FILE|DIR|GLOB... [--policy PATH] --output FORMAT=PATH...")
	}
	fs := newFlagSet("report convert", stdout)
	in := fs.String("in", "", "saved JSON report")
	outs := fs.StringArray("output", nil, "FORMAT=PATH (repeatable; without it, text on stdout)")
	if err := parseFlags(fs, args[1:]); err != nil {
		return exitUsage, err
	}
	if *in == "" {
		return exitUsage, usagef("--in: the saved JSON report to convert is required")
	}
	doc, err := reports.ReadJSON(*in)
	if err != nil {
		return exitUsage, usagef("--in: %v", err)
	}
	if err := preflight.CheckOutputs(*outs, reports.ParseOutputSpec); err != nil {
		return exitUsage, usagef("%v", err)
	}
	if len(*outs) == 0 {
		return exitOK, reports.Render(stdout, "text", doc)
	}
	var errs []error
	for _, o := range *outs {
		format, path, _ := reports.ParseOutputSpec(o)
		errs = append(errs, reports.WriteFile(path, format, doc))
	}
	if err := errors.Join(errs...); err != nil {
		return exitUsage, outputsFailed(err, len(*outs))
	}
	return exitOK, nil
}

// cmdLogs runs `logs analyze`.
func cmdLogs(args []string, stdout, stderr io.Writer) (int, error) {
	if len(args) == 0 || args[0] != "analyze" {
		return exitUsage, usagef("usage: cmpreflight logs analyze [--format table|json] PATH...")
	}
	fs := newFlagSet("logs analyze", stdout)
	format := fs.String("format", "table", "table or json")
	if err := parseFlags(fs, args[1:]); err != nil {
		return exitUsage, err
	}
	if fs.NArg() == 0 {
		return exitUsage, usagef("give at least one log file or folder")
	}
	if *format != "table" && *format != "json" {
		return exitUsage, usagef("--format %q: want table or json", *format)
	}
	now, err := injectedNow()
	if err != nil {
		return exitUsage, err
	}
	res, err := cmlogs.Analyze(fs.Args(), now)
	if err != nil {
		return exitUsage, usagef("%v", err)
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return exitUsage, err
		}
	} else {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SEVERITY\tSIGNATURE\tCOUNT\tFIRST SEEN (UTC)\tLAST SEEN (UTC)\tFILE\tTITLE")
		for _, f := range res.Findings {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", f.Severity, f.Signature, f.Count, stamp(f.FirstSeen), stamp(f.LastSeen), f.File, f.Title)
		}
		tw.Flush()
		for _, f := range res.Findings {
			if f.Remediation != "" {
				fix := f.Remediation
				if f.Reference != "" {
					fix += " (reference: " + f.Reference + ")"
				}
				fmt.Fprintf(stdout, "\n%s: %s\n  example: %s\n  fix: %s\n", f.Signature, f.Title, f.Example, fix)
			}
		}
	}
	if cmlogs.HasErrors(res.Findings) {
		return exitNotCompliant, nil
	}
	return exitOK, nil
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}
