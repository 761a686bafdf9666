package policies

import (
	"fmt"
	"path"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/inputfile"
)

// WaiverExpiredRule is the rule id of the warn an expired waiver raises.
const WaiverExpiredRule = "waiver.expired"

// WaiverUnusedRule is the rule id of the warn a waiver that matched no deny raises.
const WaiverUnusedRule = "waiver.unused"

type waiverEntry struct {
	w    facts.Waiver
	file string
	line int
}

var waiverKeys = map[string]bool{"rule": true, "target": true, "reason": true, "owner": true, "expires": true}

// loadWaivers reads the --waivers file:
//
//	waivers:
//	  - {rule: scp.endpoint_reachable, target: "*.akamaiedge.net:80", reason: "...", owner: "...", expires: 2027-01-31}
//
// Unknown keys, missing rule/target/reason/expires, a bad glob or a bad date are errors
// naming file:line.
func loadWaivers(file string) ([]waiverEntry, error) {
	if file == "" {
		return nil, nil
	}
	raw, err := inputfile.Read(file)
	if err != nil {
		return nil, newError("waivers", file, 0, "%v", unwrapPathError(err))
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, yamlProblem("waivers", file, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil // an empty file waives nothing
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, newError("waivers", file, root.Line, "want a mapping with a \"waivers\" list")
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "waivers" {
			return nil, newError("waivers", file, k.Line, "unknown key %q (want \"waivers\")", k.Value)
		}
		list = v
	}
	if list == nil || (list.Kind == yaml.ScalarNode && list.Tag == "!!null") {
		return nil, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, newError("waivers", file, list.Line, "\"waivers\" must be a list")
	}
	var out []waiverEntry
	for _, item := range list.Content {
		e, err := parseWaiver(file, item)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func parseWaiver(file string, n *yaml.Node) (waiverEntry, error) {
	e := waiverEntry{file: file, line: n.Line}
	if n.Kind != yaml.MappingNode {
		return e, newError("waivers", file, n.Line, "a waiver must be a mapping with rule, target, reason, owner, expires")
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !waiverKeys[k.Value] {
			return e, newError("waivers", file, k.Line, "unknown key %q (want rule, target, reason, owner, expires)", k.Value)
		}
		if _, dup := seen[k.Value]; dup {
			return e, newError("waivers", file, k.Line, "key %q given twice", k.Value)
		}
		seen[k.Value] = v.Line
		if v.Kind != yaml.ScalarNode {
			return e, newError("waivers", file, v.Line, "%s must be a single value", k.Value)
		}
		val := strings.TrimSpace(v.Value)
		switch k.Value {
		case "rule":
			e.w.Rule = val
		case "target":
			e.w.Target = val
		case "reason":
			e.w.Reason = val
		case "owner":
			e.w.Owner = val
		case "expires":
			d, err := time.Parse(time.DateOnly, val)
			if err != nil {
				return e, newError("waivers", file, v.Line, "expires %q is not a date (want YYYY-MM-DD)", val)
			}
			e.w.Expires = d.Format(time.DateOnly)
		}
	}
	for _, req := range []string{"rule", "target", "reason", "expires"} {
		if _, ok := seen[req]; !ok {
			return e, newError("waivers", file, n.Line, "waiver without %s", req)
		}
	}
	for _, g := range []struct{ key, pat string }{{"rule", e.w.Rule}, {"target", e.w.Target}} {
		if g.pat == "" {
			return e, newError("waivers", file, seen[g.key], "%s is empty", g.key)
		}
		if _, err := path.Match(g.pat, ""); err != nil {
			return e, newError("waivers", file, seen[g.key], "%s %q is not a valid glob: %v", g.key, g.pat, err)
		}
	}
	return e, nil
}

// expired is true once the waiver's date is before today (in now's location): a waiver
// expiring 2027-01-31 still applies all of that day.
func (e waiverEntry) expired(now time.Time) bool {
	return e.w.Expires < now.Format(time.DateOnly)
}

// matches says whether the waiver covers deny f: its rule matches and every related check id,
// or that check's host:port, matches the target (a finding about several checks is waived only
// when the waiver covers all of them, or one listed check would ride on another's waiver). A
// finding that names no check (placement, roots) is covered only by target "*" with its exact
// rule id, so a glob such as "scp.*" never waives what nobody listed; an interrupted run is
// never waived.
func (e waiverEntry) matches(f facts.Finding, hostports map[string]string) bool {
	if f.Rule == "scp.run_interrupted" {
		return false
	}
	if ok, _ := path.Match(e.w.Rule, f.Rule); !ok {
		return false
	}
	if e.w.Target == "*" {
		return len(f.Checks) > 0 || e.w.Rule == f.Rule
	}
	if len(f.Checks) == 0 {
		return false
	}
	for _, id := range f.Checks {
		if !e.coversCheck(id, hostports[id]) {
			return false
		}
	}
	return true
}

// coversCheck says whether the waiver's target matches a check's id or its host:port.
func (e waiverEntry) coversCheck(id, hostport string) bool {
	if ok, _ := path.Match(e.w.Target, id); ok {
		return true
	}
	if hostport == "" {
		return false
	}
	ok, _ := path.Match(e.w.Target, hostport)
	return ok
}

// applyWaivers moves waived denies into v.Waived and warns about expired waivers.
func (e *Engine) applyWaivers(doc *facts.Document, v *facts.Verdict) {
	if len(e.waivers) == 0 {
		return
	}
	var active []waiverEntry
	for _, w := range e.waivers {
		if !w.expired(e.now) {
			active = append(active, w)
			continue
		}
		f := facts.Finding{
			Rule: WaiverExpiredRule,
			Message: fmt.Sprintf("waiver for rule %s, target %s (owner %s) expired on %s and is ignored: %s",
				w.w.Rule, w.w.Target, orUnknown(w.w.Owner), w.w.Expires, w.w.Reason),
			Remediation: fmt.Sprintf("fix what the waiver covered, or renew it with a new expiry date in %s:%d", w.file, w.line),
			Source:      fmt.Sprintf("%s:%d", w.file, w.line),
		}
		if !e.isDisabled(f.Rule) {
			v.Warn = append(v.Warn, f)
		}
	}
	if len(active) == 0 {
		return
	}
	used := make([]bool, len(active))
	defer func() { e.reportUnused(doc, v, active, used) }()
	hostports := make(map[string]string, len(doc.Checks))
	for _, c := range doc.Checks {
		if c.Host != "" && c.Port != 0 {
			hostports[c.ID] = fmt.Sprintf("%s:%d", c.Host, c.Port)
		}
	}
	kept := v.Deny[:0]
	for _, f := range v.Deny {
		waived := false
		for i, w := range active {
			if w.matches(f, hostports) {
				used[i] = true
				wv := w.w
				f.Waiver = &wv
				v.Waived = append(v.Waived, f)
				waived = true
				break
			}
		}
		if !waived {
			kept = append(kept, f)
		}
	}
	v.Deny = kept
}

// reportUnused warns about each active waiver that matched no deny: a typo in its rule or
// target, or a cause fixed since; either way it should not sit there silently. An
// interrupted run is never waived, so it reports none.
func (e *Engine) reportUnused(doc *facts.Document, v *facts.Verdict, active []waiverEntry, used []bool) {
	if doc.Interrupted || e.isDisabled(WaiverUnusedRule) {
		return
	}
	for i, w := range active {
		if used[i] {
			continue
		}
		v.Warn = append(v.Warn, facts.Finding{
			Rule: WaiverUnusedRule,
			Message: fmt.Sprintf("waiver for rule %s, target %s (owner %s) matched no finding of this run",
				w.w.Rule, w.w.Target, orUnknown(w.w.Owner)),
			Remediation: fmt.Sprintf("check its rule and target against the report's findings, or remove it from %s:%d if its cause is fixed", w.file, w.line),
			Source:      fmt.Sprintf("%s:%d", w.file, w.line),
		})
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
