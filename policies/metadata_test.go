package policies

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/cmpreflight/cmpreflight/catalog/sources"
)

// emittedRuleIDs walks the built-in modules' syntax trees for every object with a constant
// "rule" field: the rule ids a finding can carry.
func emittedRuleIDs(t *testing.T) map[string]string {
	t.Helper()
	srcs, err := builtinSources(false)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range srcs {
		m, err := ast.ParseModuleWithOpts(s.name, s.text, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			t.Fatal(err)
		}
		ast.WalkTerms(m, func(term *ast.Term) bool {
			obj, ok := term.Value.(ast.Object)
			if !ok {
				return false
			}
			if v := obj.Get(ast.StringTerm("rule")); v != nil {
				if id, ok := v.Value.(ast.String); ok {
					out[string(id)] = s.name
				} else {
					t.Errorf("%s: a finding's rule is not a constant (%v): its metadata cannot be checked", s.name, v)
				}
			}
			return false
		})
	}
	return out
}

// Every built-in rule id that can appear in a finding has a # METADATA block with a title,
// description, remediation, severity and known source keys; every block documents a rule id
// that is emitted (or raised by the engine) and has a Rego test.
func TestEveryBuiltinRuleHasMetadata(t *testing.T) {
	emitted := emittedRuleIDs(t)
	if len(emitted) < 20 {
		t.Fatalf("found %d rule ids in the built-in Rego: the walk is broken", len(emitted))
	}
	emitted[WaiverExpiredRule] = "policies/waivers.go"
	emitted[WaiverUnusedRule] = "policies/waivers.go"
	infos, err := BuiltinRules()
	if err != nil {
		t.Fatal(err)
	}
	var tests strings.Builder
	srcs, _ := builtinSources(true)
	for _, s := range srcs {
		if isTestFile(s.name) {
			tests.WriteString(s.text)
		}
	}
	known := map[string]RuleInfo{}
	for _, r := range infos {
		known[r.ID] = r
		if r.Title == "" || r.Description == "" || r.Remediation == "" || r.Severity == "" || !r.Builtin {
			t.Errorf("%s:%d: rule %s lacks title, description, remediation or severity: %+v", r.File, r.Line, r.ID, r)
		}
		for _, k := range r.Sources {
			if _, ok := sources.Lookup(k); !ok {
				t.Errorf("%s:%d: rule %s cites source %q, not in the sources table", r.File, r.Line, r.ID, k)
			}
		}
		if _, ok := emitted[r.ID]; !ok {
			t.Errorf("%s:%d: metadata for %s, which no built-in policy emits", r.File, r.Line, r.ID)
		}
		if r.ID != WaiverExpiredRule && r.ID != WaiverUnusedRule && !strings.Contains(tests.String(), `"`+r.ID+`"`) {
			t.Errorf("rule %s has no Rego test", r.ID)
		}
	}
	for id, file := range emitted {
		if _, ok := known[id]; !ok {
			t.Errorf("%s emits rule %s, which has no # METADATA block (title, description, custom.id ...)", file, id)
		}
	}
}

func TestRuleMetadataErrors(t *testing.T) {
	cases := map[string]struct{ rego, want string }{
		"duplicate": {`package cmpreflight.mine

# METADATA
# title: A
# description: a
# custom:
#   id: mine.a
deny contains "a" if false

# METADATA
# title: A again
# description: a
# custom:
#   id: mine.a
warn contains "a" if false
`, "documented twice"},
		"severity": {`package cmpreflight.mine

# METADATA
# title: A
# description: a
# custom:
#   id: mine.a
#   severity: fatal
deny contains "a" if false
`, "severity must be deny or warn"},
		"no title": {`package cmpreflight.mine

# METADATA
# custom:
#   id: mine.a
deny contains "a" if false
`, "title and description are required"},
		"builtin id": {`package cmpreflight.mine

# METADATA
# title: Mine
# description: mine
# custom:
#   id: scp.tls12
deny contains "a" if false
`, "is a built-in rule id"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "mine.rego")
			if err := os.WriteFile(p, []byte(c.rego), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Rules([]string{dir})
			var pe *Error
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("Rules = %v, want an error naming %s with %q", err, p, c.want)
			}
		})
	}
}

func TestUserRuleMetadataListed(t *testing.T) {
	dir := t.TempDir()
	rego := `package cmpreflight.mine

# METADATA
# title: Slow endpoint
# description: A check that took more than 2 s.
# custom:
#   id: mine.slow
#   severity: warn
#   sources: [IE, CORP-1]
warn contains {"rule": "mine.slow", "message": c.id} if {
	some c in input.checks
	c.timings.total > 2000
}

deny contains "unannotated" if false
`
	if err := os.WriteFile(filepath.Join(dir, "mine.rego"), []byte(rego), 0o600); err != nil {
		t.Fatal(err)
	}
	all, err := Rules([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	builtin, _ := BuiltinRules()
	if len(all) != len(builtin)+1 {
		t.Fatalf("Rules listed %d, want the %d built-in rules and mine.slow", len(all), len(builtin))
	}
	r := all[len(all)-1]
	if r.ID != "mine.slow" || r.Builtin || r.Severity != "warn" || r.Package != "cmpreflight.mine" || r.Line != 3 || strings.Join(r.Sources, ",") != "IE,CORP-1" {
		t.Errorf("user rule = %+v", r)
	}
}

// BenchmarkLoad is the engine's compile step as a run pays it (no annotations parsed);
// BenchmarkBuiltinRuleMetadata is what reading the annotations costs when a report or
// `policy list` needs them.
func BenchmarkBuiltinRuleMetadata(b *testing.B) {
	srcs, err := builtinSources(false)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := rulesOf(srcs, true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseBuiltinPlain parses the same modules without annotations, as Load does: the
// difference with BenchmarkBuiltinRuleMetadata is the cost of the annotations themselves.
func BenchmarkParseBuiltinPlain(b *testing.B) {
	srcs, err := builtinSources(false)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := parseAll(srcs, nil); err != nil {
			b.Fatal(err)
		}
	}
}
