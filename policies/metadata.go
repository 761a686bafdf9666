package policies

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// RuleInfo is the documentation of one rule id, read from the # METADATA annotation beside
// the rule's logic in Rego: title and description are OPA's own fields; id, severity,
// remediation and sources are under custom.
//
//	# METADATA
//	# title: TLS 1.2 or later
//	# description: The role needs TLS 1.2 ...
//	# custom:
//	#   id: scp.tls12
//	#   severity: deny
//	#   remediation: Enable TLS 1.2 for .NET ...
//	#   sources: [KB4561945, IE]
type RuleInfo struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Remediation string   `json:"remediation,omitempty"`
	Severity    string   `json:"severity,omitempty"` // deny or warn: the level the rule normally raises
	Sources     []string `json:"sources"`            // keys of the sources table (package sources)
	Package     string   `json:"package"`
	File        string   `json:"file"`
	Line        int      `json:"line"`
	Builtin     bool     `json:"builtin"`
}

// builtinRules caches the metadata of the built-in rules. Whichever of BuiltinRules and Load
// parses the built-in modules first fills it, so a run parses them once.
var builtinRules struct {
	sync.Mutex
	done  bool
	infos []RuleInfo
	err   error
}

func cachedBuiltinRules(compute func() ([]RuleInfo, error)) ([]RuleInfo, error) {
	builtinRules.Lock()
	defer builtinRules.Unlock()
	if !builtinRules.done {
		builtinRules.infos, builtinRules.err = compute()
		builtinRules.done = true
	}
	return builtinRules.infos, builtinRules.err
}

// BuiltinRules returns the metadata of every built-in rule id, sorted by id. A run gets it
// from the parse Load makes anyway; without Load the annotations are parsed here once.
func BuiltinRules() ([]RuleInfo, error) {
	infos, err := cachedBuiltinRules(func() ([]RuleInfo, error) {
		srcs, err := builtinSources(false)
		if err != nil {
			return nil, err
		}
		return rulesOf(srcs, true)
	})
	if err != nil {
		return nil, err
	}
	return slices.Clone(infos), nil
}

// Rules returns the built-in rules and, after them, the annotated rules of the user's
// policy files and directories (test files excluded). A user rule without a # METADATA
// block carrying custom.id is not listed: its findings use its package id.
func Rules(paths []string) ([]RuleInfo, error) {
	out, err := BuiltinRules()
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return out, nil
	}
	user, err := userSources(paths, false)
	if err != nil {
		return nil, err
	}
	mine, err := rulesOf(user, false)
	if err != nil {
		return nil, err
	}
	for _, r := range mine {
		if slices.ContainsFunc(out, func(b RuleInfo) bool { return b.ID == r.ID }) {
			return nil, newError("policy", r.File, r.Line, "rule id %s is a built-in rule id: name yours differently", r.ID)
		}
	}
	return append(out, mine...), nil
}

// rulesOf parses srcs with annotations and collects one RuleInfo per custom.id. A second
// block with the same id, or a block missing what a reader needs, is an error naming its
// file and line.
func rulesOf(srcs []source, builtin bool) ([]RuleInfo, error) {
	mods := make([]*ast.Module, len(srcs))
	for i, s := range srcs {
		m, err := ast.ParseModuleWithOpts(s.name, s.text, annotated)
		if err != nil {
			return nil, fromOPA(err)
		}
		mods[i] = m
	}
	return rulesOfModules(srcs, mods, builtin)
}

// annotated are the parser options that keep # METADATA blocks.
var annotated = ast.ParserOptions{RegoVersion: ast.RegoV1, ProcessAnnotation: true}

// rulesOfModules is rulesOf over modules already parsed with annotations, mods[i] from srcs[i].
func rulesOfModules(srcs []source, mods []*ast.Module, builtin bool) ([]RuleInfo, error) {
	var out []RuleInfo
	seen := map[string]RuleInfo{}
	for i, s := range srcs {
		m := mods[i]
		for _, a := range m.Annotations {
			id, _ := a.Custom["id"].(string)
			if id == "" {
				continue
			}
			r, err := ruleInfo(a, id)
			line := 0
			if a.Location != nil {
				line = a.Location.Row
			}
			if err != nil {
				return nil, newError("policy", s.name, line, "rule %s: %v", id, err)
			}
			r.Package, r.File, r.Line, r.Builtin = pkgID(m.Package.Path), s.name, line, builtin
			if prev, dup := seen[id]; dup {
				return nil, newError("policy", s.name, line, "rule %s is documented twice (first at %s:%d): keep one # METADATA block per rule id", id, prev.File, prev.Line)
			}
			seen[id] = r
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func ruleInfo(a *ast.Annotations, id string) (RuleInfo, error) {
	r := RuleInfo{ID: id, Title: strings.TrimSpace(a.Title), Description: strings.TrimSpace(a.Description), Sources: []string{}}
	var ok bool
	if v, present := a.Custom["remediation"]; present {
		if r.Remediation, ok = v.(string); !ok {
			return r, fmt.Errorf("custom.remediation must be text")
		}
		r.Remediation = strings.TrimSpace(r.Remediation)
	}
	if v, present := a.Custom["severity"]; present {
		if r.Severity, ok = v.(string); !ok || r.Severity != "deny" && r.Severity != "warn" {
			return r, fmt.Errorf("custom.severity must be deny or warn, not %v", v)
		}
	}
	switch v := a.Custom["sources"].(type) {
	case nil:
	case []any:
		for _, k := range v {
			s, ok := k.(string)
			if !ok || s == "" {
				return r, fmt.Errorf("custom.sources must be a list of source keys, not %v", a.Custom["sources"])
			}
			r.Sources = append(r.Sources, s)
		}
	default:
		return r, fmt.Errorf("custom.sources must be a list of source keys, not %v", v)
	}
	if r.Title == "" || r.Description == "" {
		return r, fmt.Errorf("title and description are required")
	}
	return r, nil
}
