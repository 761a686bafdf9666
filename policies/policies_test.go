package policies

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/cmpreflight/cmpreflight/facts"
)

func write(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func load(t *testing.T, o Options) *Engine {
	t.Helper()
	e, err := Load(context.Background(), o)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return e
}

func eval(t *testing.T, e *Engine, doc *facts.Document) *facts.Verdict {
	t.Helper()
	v, err := e.Evaluate(context.Background(), doc)
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	return v
}

// quietDoc has every optional section present and nothing wrong, so built-ins say nothing.
func quietDoc(cs ...facts.Check) *facts.Document {
	return &facts.Document{
		SchemaVersion: facts.SchemaVersion,
		Edition:       "current",
		Checks:        cs,
		Trust:         &facts.TrustFacts{},
		Site: &facts.SiteFacts{
			Source: "inventory", SCPServer: "p01.contoso.com", TopLevel: true, Mode: "online",
			Site:  &facts.SiteInfo{SiteCode: "P01", Type: 2, TypeName: "primary", ServerName: "p01.contoso.com"},
			Sites: []facts.SiteInfo{{SiteCode: "P01", Type: 2, TypeName: "primary", ServerName: "p01.contoso.com"}},
		},
	}
}

func passCheck(host string, port int) facts.Check {
	return facts.Check{
		ID: fmt.Sprintf("%s:%d", host, port), Kind: "https", Host: host, Port: port, Route: "direct",
		Required: true, RequiredIn: []string{"current"}, Status: facts.StatusPass,
		Sources: []string{"IE"}, Timings: facts.Timings{Total: 120},
	}
}

func failCheck(host string, port int, stage, reason string) facts.Check {
	c := passCheck(host, port)
	c.Status, c.Stage, c.Reason = facts.StatusFail, stage, reason
	return c
}

func rules(fs []facts.Finding) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Rule)
	}
	return out
}

func TestBuiltinRegoTests(t *testing.T) {
	var out bytes.Buffer
	passed, failed, err := RunTests(context.Background(), nil, &out)
	if err != nil {
		t.Fatalf("RunTests: %v\n%s", err, out.String())
	}
	if failed != 0 || passed < 40 {
		t.Fatalf("passed %d, failed %d:\n%s", passed, failed, out.String())
	}
	if !strings.Contains(out.String(), fmt.Sprintf("PASS: %d/%d", passed, passed)) {
		t.Errorf("summary missing:\n%s", out.String())
	}
}

func TestRunTestsUserFailingTest(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "mine.rego", "package cmpreflight.mine\n\ndeny contains \"always\" if true\n")
	write(t, dir, "mine_test.rego", "package cmpreflight.mine_test\n\nimport data.cmpreflight.mine\n\n"+
		"test_ok if { \"always\" in mine.deny }\n\ntest_wrong if { count(mine.deny) == 0 }\n")
	var out bytes.Buffer
	passed, failed, err := RunTests(context.Background(), []string{dir}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if failed != 1 || passed < 41 {
		t.Fatalf("passed %d failed %d\n%s", passed, failed, out.String())
	}
	s := out.String()
	if !strings.Contains(s, "FAIL  cmpreflight.mine_test.test_wrong ("+filepath.Join(dir, "mine_test.rego")+":7)") ||
		!strings.Contains(s, "PASS  cmpreflight.mine_test.test_ok") || !strings.Contains(s, "FAIL: 1/") {
		t.Errorf("output:\n%s", s)
	}
}

func TestRunTestsSyntaxError(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "bad_test.rego", "package cmpreflight.bad_test\n\ntest_x if {\n\t1 ==\n}\n")
	_, _, err := RunTests(context.Background(), []string{dir}, &bytes.Buffer{})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "bad_test.rego:") {
		t.Fatalf("err = %v", err)
	}
}

// The "done when": a 5-line user policy in a directory fails the run with its message.
func TestUserPolicySlowEndpoint(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "slow.rego", `package cmpreflight.mine

deny contains msg if {
	some c in input.checks
	c.timings.total > 2000
	msg := sprintf("%s took %d ms", [c.id, c.timings.total])
}
`)
	e := load(t, Options{Paths: []string{dir}})
	slow := passCheck("go.microsoft.com", 443)
	slow.Timings.Total = 2500
	v := eval(t, e, quietDoc(passCheck("aka.ms", 443), slow))
	if v.Compliant || len(v.Deny) != 1 {
		t.Fatalf("verdict %+v", v)
	}
	f := v.Deny[0]
	if f.Rule != "cmpreflight.mine" || f.Message != "go.microsoft.com:443 took 2500 ms" || f.Source != filepath.Join(dir, "slow.rego") {
		t.Errorf("finding %+v", f)
	}
	v = eval(t, e, quietDoc(passCheck("aka.ms", 443)))
	if !v.Compliant || len(v.Deny) != 0 || len(v.Warn) != 0 {
		t.Errorf("quiet document: %+v", v)
	}
}

func TestUserObjectsWarnsAndData(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "p/a.rego", `package cmpreflight.team.latency

warn contains {"message": sprintf("%s slower than %d ms", [c.id, data.extra.limits.ms]), "checks": c.id, "remediation": "look at the proxy"} if {
	some c in input.checks
	c.timings.total > data.extra.limits.ms
}

deny contains {"rule": "team.no_http", "message": "plain HTTP", "checks": [c.id]} if {
	some c in input.checks
	c.port == 80
}
`)
	write(t, dir, "p/a_test.rego", "package cmpreflight.team.latency_test\n\ntest_never_loaded if { false }\n")
	data := write(t, dir, "limits.yaml", "limits:\n  ms: 100\n")
	e := load(t, Options{Paths: []string{filepath.Join(dir, "p")}, DataFiles: []string{data}})
	v := eval(t, e, quietDoc(passCheck("aka.ms", 443), passCheck("crl3.digicert.com", 80)))
	if got := strings.Join(rules(v.Deny), ","); got != "team.no_http" {
		t.Errorf("deny %v", got)
	}
	if len(v.Warn) != 2 || v.Warn[0].Rule != "cmpreflight.team.latency" || v.Warn[0].Message != "aka.ms:443 slower than 100 ms" ||
		len(v.Warn[0].Checks) != 1 || v.Warn[0].Remediation != "look at the proxy" {
		t.Errorf("warn %+v", v.Warn)
	}
}

func TestSyntaxErrorNamesFileAndLine(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "x.rego", "package cmpreflight.mine\n\ndeny contains msg if {\n    msg := \n}\n")
	_, err := Load(context.Background(), Options{Paths: []string{dir}})
	var pe *Error
	if !errors.As(err, &pe) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v (%T)", err, err)
	}
	want := "policy " + p + ":"
	if !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), "rego_parse_error") {
		t.Fatalf("err = %q, want prefix %q", err, want)
	}
	if pe.Problems[0].File != p || pe.Problems[0].Line < 4 || pe.Problems[0].Col == 0 {
		t.Errorf("problem %+v", pe.Problems[0])
	}
}

func TestCompileErrorNamesFileLineCol(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "unsafe.rego", "package cmpreflight.mine\n\ndeny contains msg if {\n\tx > 1\n}\n")
	_, err := Load(context.Background(), Options{Paths: []string{p}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), p+":3:") || !strings.Contains(err.Error(), "rego_unsafe_var_error") {
		t.Fatalf("err = %v", err)
	}
}

func TestRuntimeErrorNamesFileLine(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "conflict.rego", "package cmpreflight.mine\n\nlimit := 1 if input.schemaVersion == 1\n\nlimit := 2 if input.schemaVersion == 1\n\ndeny contains \"x\" if limit > 0\n")
	e := load(t, Options{Paths: []string{p}})
	_, err := e.Evaluate(context.Background(), quietDoc())
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), p+":") || !strings.Contains(err.Error(), "conflict") {
		t.Fatalf("err = %v", err)
	}
}

func TestReservedBuiltinPackage(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "evil.rego", "package cmpreflight.builtin.endpoints\n\nextra := 1\n")
	_, err := Load(context.Background(), Options{Paths: []string{p}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), p+":1:1") {
		t.Fatalf("err = %v", err)
	}
}

func TestMissingPolicyPath(t *testing.T) {
	_, err := Load(context.Background(), Options{Paths: []string{"/nonexistent/dir"}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "/nonexistent/dir") {
		t.Fatalf("err = %v", err)
	}
}

const waiverYAML = `waivers:
  - rule: scp.endpoint_reachable
    target: "*.akamaiedge.net:80"
    reason: "CHG-1234: port 80 opened next week"
    owner: network-team@contoso.com
    expires: 2027-01-31
`

func akamaiDoc() *facts.Document {
	c := failCheck("e123.dscb.akamaiedge.net", 80, facts.StageConnect, "timeout")
	c.ID += "@proxy" // ids carry a route suffix under --compare-direct: host:port still matches
	return quietDoc(passCheck("aka.ms", 443), c)
}

func TestWaiverBeforeAndAfterItsDate(t *testing.T) {
	w := write(t, t.TempDir(), "waivers.yaml", waiverYAML)
	day := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, now := range []string{"2026-11-27T10:00:00Z", "2027-01-31T23:59:00Z"} {
		v := eval(t, load(t, Options{WaiversFile: w, Now: day(now)}), akamaiDoc())
		if !v.Compliant || len(v.Deny) != 0 || len(v.Waived) != 1 || len(v.Warn) != 0 {
			t.Fatalf("%s: verdict %+v", now, v)
		}
		wv := v.Waived[0].Waiver
		if wv == nil || wv.Owner != "network-team@contoso.com" || wv.Expires != "2027-01-31" || v.Waived[0].Rule != "scp.endpoint_reachable" {
			t.Errorf("%s: waived %+v", now, v.Waived[0])
		}
	}
	v := eval(t, load(t, Options{WaiversFile: w, Now: day("2027-02-01T00:00:01Z")}), akamaiDoc())
	if v.Compliant || len(v.Deny) != 1 || len(v.Waived) != 0 {
		t.Fatalf("after expiry: %+v", v)
	}
	if len(v.Warn) != 1 || v.Warn[0].Rule != WaiverExpiredRule {
		t.Fatalf("warn %+v", v.Warn)
	}
	for _, want := range []string{"scp.endpoint_reachable", "*.akamaiedge.net:80", "network-team@contoso.com", "2027-01-31"} {
		if !strings.Contains(v.Warn[0].Message, want) {
			t.Errorf("expired warn %q lacks %q", v.Warn[0].Message, want)
		}
	}
}

func TestWaiverOtherRuleOrTargetDoesNotMatch(t *testing.T) {
	w := write(t, t.TempDir(), "w.yaml", `waivers:
  - {rule: scp.tls12, target: "*", reason: r, owner: o, expires: 2099-01-01}
  - {rule: scp.endpoint_reachable, target: "*.akamaiedge.net:443", reason: r, owner: o, expires: 2099-01-01}
`)
	v := eval(t, load(t, Options{WaiversFile: w}), akamaiDoc())
	if v.Compliant || len(v.Deny) != 1 || len(v.Waived) != 0 {
		t.Fatalf("verdict %+v", v)
	}
	// Neither waiver matched: each is reported, naming its file:line, not silently kept.
	if len(v.Warn) != 2 || v.Warn[0].Rule != WaiverUnusedRule || !strings.Contains(v.Warn[0].Message, "matched no finding") ||
		!strings.HasSuffix(v.Warn[0].Source+" "+v.Warn[1].Source, "w.yaml:2") || !strings.Contains(v.Warn[0].Source, "w.yaml:3") {
		t.Errorf("unused waivers: %+v", v.Warn)
	}
}

func TestWaiversFileErrors(t *testing.T) {
	cases := map[string]struct{ text, want string }{
		"unknown key": {"waivers:\n  - rule: a\n    target: b\n    reason: c\n    expiry: 2027-01-01\n", ":5: unknown key \"expiry\""},
		"bad date":    {"waivers:\n  - rule: a\n    target: b\n    reason: c\n    expires: 2027-13-01\n", ":5: expires \"2027-13-01\" is not a date"},
		"yaml":        {"waivers:\n  - rule: a\n    target: [b\n    reason: c\n", ":3: yaml: line 3"}, // the line to edit,
		"top key":     {"waiver:\n  - rule: a\n", ":1: unknown key \"waiver\""},
		"missing":     {"waivers:\n  - rule: a\n    target: b\n    expires: 2027-01-01\n", ":2: waiver without reason"},
		"bad glob":    {"waivers:\n  - {rule: a, target: \"[x\", reason: c, expires: 2027-01-01}\n", ":2: target \"[x\" is not a valid glob"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := write(t, t.TempDir(), "waivers.yaml", tc.text)
			_, err := Load(context.Background(), Options{WaiversFile: p})
			if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "waivers "+p+tc.want) {
				t.Fatalf("err = %v, want prefix %q", err, "waivers "+p+tc.want)
			}
		})
	}
}

func TestDataFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := write(t, dir, "bad.yaml", "a: 1\nb: [\n")
	if _, err := Load(context.Background(), Options{DataFiles: []string{bad}}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), bad+":") {
		t.Fatalf("err = %v", err)
	}
	a := write(t, dir, "a.json", `{"x": 1}`)
	b := write(t, dir, "b.json", `{"x": 2}`)
	if _, err := Load(context.Background(), Options{DataFiles: []string{a, b}}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "also defined") {
		t.Fatalf("err = %v", err)
	}
}

func TestDisabledRules(t *testing.T) {
	doc := quietDoc(passCheck("aka.ms", 443))
	doc.Trust, doc.Site = nil, nil
	v := eval(t, load(t, Options{}), doc)
	if got := strings.Join(rules(v.Warn), ","); got != "scp.facts_missing.site,scp.facts_missing.trust" {
		t.Fatalf("warn %s", got)
	}
	v = eval(t, load(t, Options{Disabled: []string{"scp.facts_missing"}}), doc)
	if len(v.Warn) != 0 {
		t.Fatalf("warn %v", rules(v.Warn))
	}
	v = eval(t, load(t, Options{Disabled: []string{"scp.facts_missing.site"}}), doc)
	if got := strings.Join(rules(v.Warn), ","); got != "scp.facts_missing.trust" {
		t.Fatalf("warn %s", got)
	}
	if _, err := Load(context.Background(), Options{Disabled: []string{"scp.no_such_rule"}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown id accepted: %v", err)
	}
}

func TestBuiltinVerdictEndToEnd(t *testing.T) {
	e := load(t, Options{})
	seedOnly := failCheck("go.microsoft.com", 80, facts.StageProxyDenied, "status-403")
	seedOnly.Required, seedOnly.RequiredIn = false, []string{"seed"}
	notRun := passCheck("aka.ms", 443)
	notRun.Status, notRun.Reason = facts.StatusError, "internal"
	doc := quietDoc(
		passCheck("go.microsoft.com", 443),
		failCheck("download.microsoft.com", 443, facts.StageProxyDenied, "status-403"),
		seedOnly, notRun,
	)
	v := eval(t, e, doc)
	if v.Compliant {
		t.Fatal("compliant with failing required checks")
	}
	if got := strings.Join(rules(v.Deny), ","); got != "scp.endpoint_reachable,scp.endpoint_reachable" {
		t.Fatalf("deny %s", got)
	}
	// sorted by rule then message: "aka.ms..." before "download..."
	if !strings.Contains(v.Deny[0].Message, "aka.ms:443 could not be checked") ||
		!strings.HasPrefix(v.Deny[1].Remediation, "allow download.microsoft.com on the proxy") {
		t.Errorf("deny %+v", v.Deny)
	}
	if got := strings.Join(rules(v.Warn), ","); got != "" { // the seed-only check is information
		t.Fatalf("warn %s", got)
	}

	// Offline mode: the same endpoints inform, they do not deny.
	doc.Site.Mode = "offline"
	v = eval(t, e, doc)
	if !v.Compliant {
		t.Fatalf("offline deny %+v", v.Deny)
	}
	if got := strings.Join(rules(v.Warn), ","); got != "scp.endpoint_reachable,scp.endpoint_reachable,scp.offline_mode" {
		t.Fatalf("offline warn %s", got)
	}
	// ... unless the site carries an Intune subscription.
	yes := true
	doc.Site.IntuneSubscription = &yes
	v = eval(t, e, doc)
	if got := strings.Join(rules(v.Deny), ","); got != "scp.intune_offline" {
		t.Fatalf("intune deny %s", got)
	}
}

func TestVerdictShape(t *testing.T) {
	v := eval(t, load(t, Options{}), quietDoc(passCheck("aka.ms", 443)))
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"compliant":true,"deny":[],"warn":[],"waived":[]}` {
		t.Fatalf("verdict JSON %s", b)
	}
	// A verdict already in the document is not policy input and does not change the result.
	doc := quietDoc(passCheck("aka.ms", 443))
	doc.Verdict = &facts.Verdict{Deny: []facts.Finding{{Rule: "x"}}}
	if v := eval(t, load(t, Options{}), doc); !v.Compliant {
		t.Fatal("old verdict leaked into the input")
	}
}

func TestEvaluateDeterministic(t *testing.T) {
	e := load(t, Options{})
	doc := bigDoc(500)
	first, _ := json.Marshal(eval(t, e, doc))
	for range 3 {
		again, _ := json.Marshal(eval(t, e, doc))
		if !bytes.Equal(first, again) {
			t.Fatal("verdict differs between evaluations")
		}
	}
}

// fill sets every field reachable from v to a non-zero value, so a field added to the model
// later is covered by TestToValueMatchesJSON without editing it.
func fill(v reflect.Value, depth int) {
	switch v.Kind() {
	case reflect.Pointer:
		if depth > 6 {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), depth+1)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 27, 10, 0, 0, 123000000, time.FixedZone("x", 3600))))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	case reflect.Slice:
		if depth > 6 {
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fill(s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		if v.Type().Elem().Kind() == reflect.Interface {
			m.SetMapIndex(reflect.ValueOf("n"), reflect.ValueOf(1.5))
			m.SetMapIndex(reflect.ValueOf("list"), reflect.ValueOf([]any{"a", 2, true, nil, map[string]any{"x": int64(-3)}}))
		} else {
			e := reflect.New(v.Type().Elem()).Elem()
			fill(e, depth+1)
			m.SetMapIndex(reflect.ValueOf("k"), e)
		}
		v.Set(m)
	case reflect.String:
		v.SetString("s<&>\u00e9")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(-42)
	case reflect.Float64:
		v.SetFloat(0.25)
	}
}

func TestToValueMatchesJSON(t *testing.T) {
	var full facts.Document
	fill(reflect.ValueOf(&full).Elem(), 0)
	docs := map[string]*facts.Document{"full": &full, "empty": {}, "sparse": quietDoc(passCheck("aka.ms", 443)), "big": bigDoc(50)}
	for name, d := range docs {
		got, err := toValue(d)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ast.ValueFromReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if got.Compare(want) != 0 {
			t.Errorf("%s: toValue differs from the JSON round trip\n got %v\nwant %v", name, got, want)
		}
	}
}

// Policies see a passing check's evidence abridged (the decision-relevant fields) and a
// failing check's evidence whole.
func TestPolicyViewAbridgesOnlyPassingChecks(t *testing.T) {
	yes := true
	full := facts.Evidence{
		DNS:     &facts.DNSEvidence{Server: "10.0.0.1:53", CNAMEs: []string{"e1.akamaiedge.net"}, Addresses: []string{"1.2.3.4"}},
		Connect: &facts.ConnectEvidence{Attempts: []facts.ConnectAttempt{{Address: "1.2.3.4:443"}}, Address: "1.2.3.4:443"},
		TLS: &facts.TLSEvidence{Version: "TLS 1.2", ECDHESuites: &yes, Chain: []facts.CertInfo{
			{Subject: "CN=leaf", Issuer: "CN=ca", NotAfter: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), SHA256: "aa"},
			{Subject: "CN=ca", Issuer: "CN=root"}}},
		Proxy: &facts.ProxyEvidence{URL: "http://p:8080", AuthTried: "ntlm", Headers: map[string]string{"Via": "x"}},
	}
	pass := policyView(facts.Check{ID: "a:443", Status: facts.StatusPass, Evidence: full})
	e := pass.Evidence
	if e.Connect != nil || len(e.TLS.Chain) != 1 || e.TLS.Chain[0].NotAfter.Year() != 2027 || e.TLS.Chain[0].SHA256 != "" ||
		e.DNS.CNAMEs[0] != "e1.akamaiedge.net" || e.DNS.Addresses != nil || e.Proxy.AuthTried != "ntlm" || e.Proxy.Headers != nil ||
		e.TLS.ECDHESuites == nil || e.TLS.Version != "TLS 1.2" {
		t.Errorf("abridged evidence = %+v", e)
	}
	if full.TLS.Chain[1].Subject != "CN=ca" || full.Connect == nil {
		t.Error("policyView changed the report's own evidence")
	}
	fail := policyView(facts.Check{ID: "a:443", Status: facts.StatusFail, Evidence: full})
	if fail.Evidence.Connect == nil || len(fail.Evidence.TLS.Chain) != 2 || fail.Evidence.Proxy.Headers == nil {
		t.Errorf("a failing check lost evidence: %+v", fail.Evidence)
	}
}

// Review findings: gates that would silently never fire are refused; broad waivers and
// disabled namespaces cannot make a run compliant.
func TestReviewHardening(t *testing.T) {
	dir := t.TempDir()
	for name, src := range map[string]string{
		"partial.rego": "package cmpreflight.mine\n\ndeny[msg] if {\n\tmsg := \"x\"\n}\n",
		"outside.rego": "package corp.gate\n\ndeny contains \"x\" if { true }\n",
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(src), 0o644)
		_, err := Load(context.Background(), Options{Paths: []string{p}})
		if err == nil || !strings.Contains(err.Error(), name+":") {
			t.Errorf("%s: err = %v; want an error naming the file and line", name, err)
		}
	}
	for _, id := range []string{"scp", "scp.run_interrupted"} {
		if _, err := Load(context.Background(), Options{Disabled: []string{id}}); err == nil {
			t.Errorf("--disable-rule %s accepted", id)
		}
	}
	if _, err := Load(context.Background(), Options{Disabled: []string{"scp.facts_missing"}}); err != nil {
		t.Errorf("a parent rule id is refused: %v", err)
	}
	w := filepath.Join(dir, "w.yaml")
	os.WriteFile(w, []byte("waivers:\n  - {rule: \"scp.*\", target: \"*\", reason: r, owner: o, expires: 2099-01-01}\n"), 0o644)
	e, err := Load(context.Background(), Options{WaiversFile: w})
	if err != nil {
		t.Fatal(err)
	}
	doc := quietDoc()
	doc.Interrupted = true
	doc.Trust = &facts.TrustFacts{Roots: []facts.RootPresence{{Name: "DigiCert Global Root G2", Required: true, Present: false}}}
	v, err := e.Evaluate(context.Background(), doc)
	if err != nil {
		t.Fatal(err)
	}
	denied := map[string]bool{}
	for _, d := range v.Deny {
		denied[d.Rule] = true
	}
	if v.Compliant || !denied["scp.run_interrupted"] || !denied["scp.required_roots"] {
		t.Errorf("a glob waiver with target * waived too much: deny %+v waived %+v", v.Deny, v.Waived)
	}
}

// A finding about several checks is waived only when the waiver covers every one of them:
// one check's waiver must not carry the others.
func TestWaiverMustCoverEveryCheckOfAFinding(t *testing.T) {
	f := facts.Finding{Rule: "mine.slow", Checks: []string{"a.contoso.com:443", "b.contoso.com:443"}}
	hostports := map[string]string{"a.contoso.com:443": "a.contoso.com:443", "b.contoso.com:443": "b.contoso.com:443"}
	for _, tc := range []struct {
		target string
		want   bool
	}{
		{"a.contoso.com:443", false},
		{"*.contoso.com:443", true},
		{"*", true},
		{"c.contoso.com:443", false},
	} {
		e := waiverEntry{w: facts.Waiver{Rule: "mine.*", Target: tc.target}}
		if got := e.matches(f, hostports); got != tc.want {
			t.Errorf("target %q: matches = %v, want %v", tc.target, got, tc.want)
		}
	}
}
