package main

import (
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/cmpreflight/cmpreflight/policies"
	"github.com/cmpreflight/cmpreflight/reports"
)

// cmdPolicyList runs `policy list`: every rule with its metadata (Rego # METADATA), built-in
// and, with --policy, the user's annotated rules.
func cmdPolicyList(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("policy list", stdout)
	format := fs.String("format", "table", "table, json or markdown")
	paths := fs.StringArray("policy", nil, "also list the annotated rules of these Rego files or directories (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return exitUsage, err
	}
	if fs.NArg() > 0 {
		return exitUsage, usagef("unexpected argument %q (use --policy DIR)", fs.Arg(0))
	}
	if !slices.Contains(reports.RuleListFormats, *format) {
		return exitUsage, usagef("--format: unknown format %q (formats: table, json, markdown)", *format)
	}
	infos, err := policies.Rules(*paths)
	if err != nil {
		return exitUsage, usagef("%v", err)
	}
	docs := make([]reports.RuleDoc, len(infos))
	for i, r := range infos {
		docs[i] = ruleDoc(r)
		docs[i].Origin = fmt.Sprintf("%s:%d", r.File, r.Line)
	}
	if err := reports.RenderRuleList(stdout, *format, docs); err != nil {
		return exitUsage, err
	}
	return exitOK, nil
}

func ruleDoc(r policies.RuleInfo) reports.RuleDoc {
	return reports.RuleDoc{ID: r.ID, Title: r.Title, Help: r.Description, Remediation: r.Remediation, Severity: r.Severity, Sources: r.Sources}
}

// registerRuleDocs gives reports the rule metadata of the built-in rules and of the user's
// annotated rules under paths, read when a report first needs it. In a run the built-ins'
// metadata comes from the parse the policy compilation makes anyway; only the user's files
// are read again.
func registerRuleDocs(paths []string) {
	docs := sync.OnceValue(func() []reports.RuleDoc {
		infos, err := policies.Rules(paths)
		if err != nil { // a user file's bad annotation: Load reports real errors; keep the built-ins
			infos, _ = policies.BuiltinRules()
		}
		out := make([]reports.RuleDoc, len(infos))
		for i, r := range infos {
			out[i] = ruleDoc(r)
		}
		return out
	})
	reports.RegisterRules(docs)
}
