// Package policies decides compliance: it compiles the built-in SCP policy set (Rego, embedded
// from builtin/) together with users' policies once per run, evaluates them over the facts
// document with one prepared query, and applies waivers and disabled rules to build the
// verdict. Checks gather facts; only this package decides.
package policies

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/inputfile"
)

//go:embed builtin/*.rego
var builtinFS embed.FS

// builtinLabel prefixes the file names of embedded modules in errors and test output.
const builtinLabel = "policies/builtin/"

// collectorPackage is the generated module that gathers deny and warn of every package under
// data.cmpreflight; it lives outside that tree so it never collects itself.
const collectorPackage = "cmpreflight_engine"

// Options say which policies, data, waivers and clock a run uses.
type Options struct {
	// Paths are --policy files or directories (directories are walked for *.rego; files
	// ending in _test.rego are only used by RunTests).
	Paths []string
	// DataFiles are --data JSON or YAML documents mounted at data.extra (objects are merged
	// key by key when there are several).
	DataFiles []string
	// Disabled are built-in rule ids turned off; an id also turns off the ids below it
	// ("scp.facts_missing" turns off "scp.facts_missing.site").
	Disabled []string
	// WaiversFile is the --waivers YAML file, or "".
	WaiversFile string
	// Now decides which waivers have expired; zero means time.Now().
	Now time.Time
}

// Engine holds the compiled policies and the prepared query. It is safe for concurrent use.
type Engine struct {
	query    rego.PreparedEvalQuery
	files    map[string]string // package id (cmpreflight.x) -> first file defining deny/warn
	disabled []string
	waivers  []waiverEntry
	now      time.Time
	digest   string
}

type source struct {
	name string
	text string
}

// Load reads, parses and compiles every module once (built-ins plus the user's) and prepares
// the one query that collects deny and warn from all packages under data.cmpreflight.
// Problems come back as *Error (errors.Is(err, ErrInvalid)) naming file:line:col.
func Load(ctx context.Context, o Options) (*Engine, error) {
	srcs, err := builtinSources(false)
	if err != nil {
		return nil, err
	}
	user, err := userSources(o.Paths, false)
	if err != nil {
		return nil, err
	}
	mods, err := parseAll(srcs, user)
	if err != nil {
		return nil, err
	}
	// The built-ins were parsed with their annotations: their rule metadata comes free.
	cachedBuiltinRules(func() ([]RuleInfo, error) {
		parsed := make([]*ast.Module, len(srcs))
		for i, s := range srcs {
			parsed[i] = mods[s.name]
		}
		return rulesOfModules(srcs, parsed, true)
	})
	if err := checkUserHeads(mods, user); err != nil {
		return nil, err
	}
	collector, files := collectorModule(mods)
	cm, err := ast.ParseModuleWithOpts("<collector>", collector, ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return nil, fmt.Errorf("policies: generated collector: %w", err)
	}
	mods["<collector>"] = cm

	compiler := ast.NewCompiler().WithDefaultRegoVersion(ast.RegoV1)
	if compiler.Compile(mods); compiler.Failed() {
		return nil, fromOPA(compiler.Errors)
	}

	data, err := loadData(o.DataFiles)
	if err != nil {
		return nil, err
	}
	store := inmem.NewFromObject(data)

	disabled, err := checkDisabled(o.Disabled)
	if err != nil {
		return nil, err
	}
	waivers, err := loadWaivers(o.WaiversFile)
	if err != nil {
		return nil, err
	}

	pq, err := rego.New(
		rego.Query("data."+collectorPackage+".out"),
		rego.Compiler(compiler),
		rego.Store(store),
		rego.StrictBuiltinErrors(true),
	).PrepareForEval(ctx)
	if err != nil {
		return nil, fromOPA(err)
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	return &Engine{query: pq, files: files, disabled: disabled, waivers: waivers, now: now, digest: digestOf(srcs, user)}, nil
}

// Digest identifies the policy modules that take part, built-ins included: "sha256:" and the
// SHA-256 of the sorted SHA-256 sums of their texts. It does not depend on file names or
// order, so the same rules read from another folder give the same digest.
func (e *Engine) Digest() string { return e.digest }

func digestOf(sets ...[]source) string {
	var sums []string
	for _, set := range sets {
		for _, s := range set {
			h := sha256.Sum256([]byte(s.text))
			sums = append(sums, hex.EncodeToString(h[:]))
		}
	}
	sort.Strings(sums)
	h := sha256.New()
	for _, s := range sums {
		h.Write([]byte(s))
		h.Write([]byte{'\n'})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func builtinSources(withTests bool) ([]source, error) {
	entries, err := fs.ReadDir(builtinFS, "builtin")
	if err != nil {
		return nil, err
	}
	var out []source
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".rego") || (!withTests && isTestFile(name)) {
			continue
		}
		b, err := builtinFS.ReadFile("builtin/" + name)
		if err != nil {
			return nil, err
		}
		out = append(out, source{name: builtinLabel + name, text: string(b)})
	}
	return out, nil
}

func isTestFile(name string) bool { return strings.HasSuffix(name, "_test.rego") }

// userSources reads the .rego files named by paths: files as given, directories walked in
// lexical order. Test files are kept only when withTests is set.
func userSources(paths []string, withTests bool) ([]source, error) {
	var out []source
	seen := map[string]bool{}
	add := func(p string) error {
		if seen[p] {
			return nil
		}
		seen[p] = true
		b, err := inputfile.Read(p)
		if err != nil {
			return newError("policy", p, 0, "%v", unwrapPathError(err))
		}
		out = append(out, source{name: p, text: string(b)})
		return nil
	}
	for _, root := range paths {
		st, err := os.Stat(root)
		if err != nil {
			return nil, newError("policy", root, 0, "%v", unwrapPathError(err))
		}
		if !st.IsDir() {
			if !withTests && isTestFile(root) {
				continue
			}
			if err := add(root); err != nil {
				return nil, err
			}
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return newError("policy", p, 0, "%v", unwrapPathError(err))
			}
			if d.IsDir() {
				if p != root && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(p, ".rego") || (!withTests && isTestFile(p)) {
				return nil
			}
			return add(p)
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// parseAll parses the built-in and user modules (Rego v1) and refuses user modules that
// claim the built-in namespace.
func parseAll(builtin, user []source) (map[string]*ast.Module, error) {
	mods := map[string]*ast.Module{}
	var problems []Problem
	parse := func(s source, isUser bool) {
		// The built-ins keep their # METADATA (their rule documentation); a user's are read
		// only by policy list and the reports, so a bad one there does not stop a run.
		opts := annotated
		opts.ProcessAnnotation = !isUser
		m, err := ast.ParseModuleWithOpts(s.name, s.text, opts)
		if err != nil {
			var pe *Error
			if errors.As(fromOPA(err), &pe) {
				problems = append(problems, pe.Problems...)
			}
			return
		}
		if isUser && !isTestFile(s.name) && underBuiltin(m.Package.Path) {
			loc := m.Package.Location
			p := Problem{Kind: "policy", File: s.name, Message: fmt.Sprintf("package %s is reserved for the built-in policies: name yours cmpreflight.<name>", pkgID(m.Package.Path))}
			if loc != nil {
				p.Line, p.Col = loc.Row, loc.Col
			}
			problems = append(problems, p)
			return
		}
		mods[s.name] = m
	}
	for _, s := range builtin {
		parse(s, false)
	}
	for _, s := range user {
		parse(s, true)
	}
	if len(problems) > 0 {
		return nil, &Error{Problems: problems}
	}
	return mods, nil
}

func underCmpreflight(path ast.Ref) bool {
	return len(path) >= 2 && path[1].Value.Compare(ast.String("cmpreflight")) == 0
}

func underBuiltin(path ast.Ref) bool {
	return len(path) >= 3 && underCmpreflight(path) && path[2].Value.Compare(ast.String("builtin")) == 0
}

// checkUserHeads refuses a user rule named deny or warn that the engine would never collect:
// one outside a cmpreflight.* package, or one that is not a plain set (deny[msg], deny.x).
// Loaded silently, such a gate would look active and never fire.
func checkUserHeads(mods map[string]*ast.Module, user []source) error {
	for _, u := range user {
		m := mods[u.name]
		if m == nil {
			continue
		}
		for _, r := range m.Rules {
			ref := r.Head.Ref()
			if len(ref) == 0 {
				continue
			}
			name := ref[0].String()
			if name != "deny" && name != "warn" {
				continue
			}
			line := 0
			if r.Location != nil {
				line = r.Location.Row
			}
			switch {
			case !underCmpreflight(m.Package.Path):
				return newError("policy", u.name, line, "%s in package %s is never evaluated: deny and warn are collected from packages named cmpreflight.<name>", name, pkgID(m.Package.Path))
			case len(ref) != 1 || r.Head.Key == nil && r.Head.Value != nil:
				return newError("policy", u.name, line, "%s must be a set rule (\"%s contains msg if { ... }\"), not %s", name, name, r.Head.Ref().String())
			}
		}
	}
	return nil
}

// pkgID is a package path without its "data." root: data.cmpreflight.mine -> cmpreflight.mine.
func pkgID(path ast.Ref) string {
	return strings.TrimPrefix(path.String(), "data.")
}

// collectorModule writes the module whose set "out" holds [package, kind, item] for every
// deny and warn item of every package under data.cmpreflight that defines them. It also
// returns, per package, the file that defines them (the source of plain-string findings).
func collectorModule(mods map[string]*ast.Module) (string, map[string]string) {
	type target struct{ pkg, kind string }
	found := map[target]bool{}
	files := map[string]string{}
	names := make([]string, 0, len(mods))
	for name := range mods {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		m := mods[name]
		if !underCmpreflight(m.Package.Path) {
			continue
		}
		for _, r := range m.Rules {
			ref := r.Head.Ref()
			if len(ref) != 1 {
				continue
			}
			kind := ref.String()
			if kind != "deny" && kind != "warn" {
				continue
			}
			pkg := m.Package.Path.String()
			found[target{pkg, kind}] = true
			if _, ok := files[pkgID(m.Package.Path)]; !ok {
				files[pkgID(m.Package.Path)] = name
			}
		}
	}
	keys := make([]target, 0, len(found))
	for t := range found {
		keys = append(keys, t)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].pkg != keys[j].pkg {
			return keys[i].pkg < keys[j].pkg
		}
		return keys[i].kind < keys[j].kind
	})
	// One complete rule per package and kind (with a default, so a deny written as a
	// complete rule that is undefined yields nothing), and "out" lists them by reference:
	// the sets are not copied or re-hashed.
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n", collectorPackage)
	var refs []string
	for i, t := range keys {
		id := strings.TrimPrefix(t.pkg, "data.")
		fmt.Fprintf(&b, "\ndefault r%d := []\n\nr%d := %s.%s\n", i, i, t.pkg, t.kind)
		refs = append(refs, fmt.Sprintf("[%q, %q, r%d]", id, t.kind, i))
	}
	fmt.Fprintf(&b, "\nout := [%s]\n", strings.Join(refs, ", "))
	b.WriteString(withAnchor)
	return b.String(), files
}

// withAnchor gives the compiler one rule a with modifier replaces. OPA's type checker asks,
// for every rule, whether a with could replace it; while no module uses with, the set it
// asks of is empty and rebuilt by a walk of every module at each question (a fifth of the
// compilation of the built-ins). With one replaced rule the set is built once. Neither rule
// is ever evaluated: "out" is the only query.
const withAnchor = `
anchor := true

anchored if anchor with data.` + collectorPackage + `.anchor as false
`

// Warm evaluates the prepared query once over an empty document and drops the verdict. OPA's
// first evaluation pays for code and caches that no later one does (several milliseconds);
// a run warms the engine while its checks wait on the network, not after them.
func (e *Engine) Warm(ctx context.Context) {
	_, _ = e.Evaluate(ctx, &facts.Document{SchemaVersion: facts.SchemaVersion})
}

// Evaluate runs the prepared query over doc and returns the verdict: deny and warn sorted by
// rule then message, waived denies with their waiver, disabled rules dropped.
func (e *Engine) Evaluate(ctx context.Context, doc *facts.Document) (*facts.Verdict, error) {
	if doc == nil {
		return nil, errors.New("policies: no facts document")
	}
	input, err := inputValue(doc)
	if err != nil {
		return nil, err
	}
	rs, err := e.query.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fromOPA(err)
	}
	v := &facts.Verdict{Deny: []facts.Finding{}, Warn: []facts.Finding{}, Waived: []facts.Finding{}}
	var items []any
	if len(rs) > 0 && len(rs[0].Expressions) > 0 {
		items, _ = rs[0].Expressions[0].Value.([]any)
	}
	for _, it := range items {
		triple, ok := it.([]any)
		if !ok || len(triple) != 3 {
			continue
		}
		pkg, _ := triple[0].(string)
		kind, _ := triple[1].(string)
		list, ok := triple[2].([]any)
		if !ok {
			list = []any{triple[2]} // a deny written as one complete value
		}
		for _, x := range list {
			f := e.finding(pkg, x)
			if e.isDisabled(f.Rule) {
				continue
			}
			if kind == "deny" {
				v.Deny = append(v.Deny, f)
			} else {
				v.Warn = append(v.Warn, f)
			}
		}
	}
	e.applyWaivers(doc, v)
	sortFindings(v.Deny)
	sortFindings(v.Warn)
	sortFindings(v.Waived)
	v.Compliant = len(v.Deny) == 0
	return v, nil
}

// inputValue converts the document to the OPA value of its JSON form (see toValue), so the
// policy input is exactly the JSON report (field names, omitted empty sections). The verdict
// of a previous evaluation, and the record of who gave it, are left out: saved facts judged
// again are the same input as when they were gathered.
func inputValue(doc *facts.Document) (ast.Value, error) {
	d := *doc
	d.Verdict, d.Evaluation = nil, nil
	d.Checks = make([]facts.Check, len(doc.Checks))
	for i := range doc.Checks {
		d.Checks[i] = policyView(doc.Checks[i])
	}
	return toValue(&d)
}

// policyView is a check as policies see it. A passing check's evidence is abridged to what a
// rule can decide on: the CNAME chain (when there is one), the TLS version, cipher, verifications and the leaf
// certificate's subject, issuer and expiry, the HTTP status and redirects, and the proxy's
// status line and authentication. Addresses, connect attempts, the rest of the chain and raw
// headers stay in the JSON report: at tens of thousands of checks they would take several
// times the memory of the whole document in OPA's form. A check that did not pass keeps
// everything, since that is where a rule needs the detail.
func policyView(c facts.Check) facts.Check {
	if c.Status != facts.StatusPass {
		return c
	}
	e := c.Evidence
	var ev facts.Evidence
	if d := e.DNS; d != nil && (len(d.CNAMEs) > 0 || d.Error != "") {
		ev.DNS = &facts.DNSEvidence{CNAMEs: d.CNAMEs, Informational: d.Informational, Error: d.Error}
	}
	if t := e.TLS; t != nil {
		v := &facts.TLSEvidence{SNI: t.SNI, Version: t.Version, CipherSuite: t.CipherSuite, Verified: t.Verified,
			ExpectedRootsVerified: t.ExpectedRootsVerified, Intercepted: t.Intercepted, InterceptingCA: t.InterceptingCA,
			ECDHESuites: t.ECDHESuites}
		if len(t.Chain) > 0 {
			leaf := t.Chain[0]
			v.Chain = []facts.CertInfo{{Subject: leaf.Subject, Issuer: leaf.Issuer, NotAfter: leaf.NotAfter}}
		}
		ev.TLS = v
	}
	if h := e.HTTP; h != nil {
		ev.HTTP = &facts.HTTPEvidence{Method: h.Method, StatusCode: h.StatusCode, Redirects: h.Redirects, ProxyMade: h.ProxyMade}
	}
	if p := e.Proxy; p != nil {
		ev.Proxy = &facts.ProxyEvidence{URL: p.URL, StatusLine: p.StatusLine, AuthOffered: p.AuthOffered, AuthTried: p.AuthTried, Auth: p.Auth, IdleTunnel: p.IdleTunnel}
	}
	ev.Site = e.Site
	c.Evidence = ev
	return c
}

// finding turns one deny/warn item (an object or a plain string) into a Finding. A string,
// or an object without a rule, takes the package id as its rule.
func (e *Engine) finding(pkg string, item any) facts.Finding {
	f := facts.Finding{Rule: pkg}
	switch x := item.(type) {
	case string:
		f.Message = x
	case map[string]any:
		if s, ok := x["rule"].(string); ok && s != "" {
			f.Rule = s
		}
		if s, ok := x["message"].(string); ok {
			f.Message = s
		} else if s, ok := x["msg"].(string); ok {
			f.Message = s
		} else {
			f.Message = compactJSON(x)
		}
		switch c := x["checks"].(type) {
		case []any:
			for _, id := range c {
				if s, ok := id.(string); ok {
					f.Checks = append(f.Checks, s)
				}
			}
		case string:
			f.Checks = []string{c}
		}
		f.Remediation, _ = x["remediation"].(string)
		f.Source, _ = x["source"].(string)
	default:
		f.Message = compactJSON(x)
	}
	if f.Source == "" {
		f.Source = e.files[pkg]
	}
	return f
}

func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func (e *Engine) isDisabled(rule string) bool {
	for _, d := range e.disabled {
		if rule == d || strings.HasPrefix(rule, d+".") {
			return true
		}
	}
	return false
}

// checkDisabled refuses ids that name no built-in rule, so a typo does not leave a rule on.
func checkDisabled(ids []string) ([]string, error) {
	var known []RuleInfo
	var out []string
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" {
			continue
		}
		if known == nil { // the annotations are read only when a rule is turned off
			var err error
			if known, err = BuiltinRules(); err != nil {
				return nil, err
			}
		}
		// An exact rule id, or a parent that is itself a rule id (scp.facts_missing turns off
		// scp.facts_missing.site and .trust); never a bare namespace like "scp", and never
		// the rule that keeps an interrupted run from reading as compliant.
		ok := slices.ContainsFunc(known, func(r RuleInfo) bool {
			return r.ID == id || strings.Count(id, ".") >= 1 && strings.HasPrefix(r.ID, id+".")
		})
		if id == "scp.run_interrupted" {
			return nil, newError("policy", "", 0, "rule %q cannot be turned off: an interrupted run is never compliant", id)
		}
		if !ok {
			return nil, newError("policy", "", 0, "disabled rule %q is not a built-in rule id (see cmpreflight policy list)", id)
		}
		out = append(out, id)
	}
	return out, nil
}

func sortFindings(fs []facts.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.Message != b.Message {
			return a.Message < b.Message
		}
		return strings.Join(a.Checks, ",") < strings.Join(b.Checks, ",")
	})
}
