// Package diagnosis groups a run's problems by the cause they share and names one first action
// for each, so that reports lead with what to fix rather than with one line per check.
package diagnosis

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/cmpreflight/cmpreflight/facts"
)

// Levels of a cause, most urgent first.
const (
	LevelDeny = "deny"
	LevelWarn = "warn"
	// LevelWaived is a cause whose findings are all waived.
	LevelWaived = "waived"
	// LevelInfo is a cause no finding points at: checks that did not pass but that the run's
	// edition does not require.
	LevelInfo = "info"
)

// Cause is one group of problems that share what went wrong.
type Cause struct {
	Level string `json:"level"`
	// Stage, Reason, Route, Proxy and DNSServer are what the checks of the group share (empty
	// for a group of findings that name no check).
	Stage     string `json:"stage,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Route     string `json:"route,omitempty"`
	Proxy     string `json:"proxy,omitempty"`
	DNSServer string `json:"dnsServer,omitempty"`
	// Checks are the ids of the checks of the group; Of is the number of checks in the run.
	Checks []string `json:"checks,omitempty"`
	Of     int      `json:"of"`
	// Rules counts the deny and warn findings of the group by rule id, in first-seen order.
	Rules []RuleCount `json:"rules,omitempty"`
	// Findings are the deny and warn findings of the group.
	Findings []facts.Finding `json:"-"`
	required bool            // a check of the group is required
	// Headline says how many and where ("47 of 47 checks failed at DNS (timeout), direct");
	// Problem names the cause in words; Action is the first thing to do.
	Headline string `json:"headline"`
	Problem  string `json:"problem,omitempty"`
	Action   string `json:"action,omitempty"`
}

// RuleCount is how many findings of one rule a cause holds.
type RuleCount struct {
	Rule  string `json:"rule"`
	Level string `json:"level"`
	Count int    `json:"count"`
}

// Diagnose returns the causes of a run's problems, denies first, then warns, then
// information, the largest first within a level. Checks that did not pass are grouped by
// stage, reason, route, proxy and (at the DNS stage) the DNS server; the findings that name
// them join their group; findings that name no check of the run are grouped by rule.
// A group whose findings are all waived is at level waived.
func Diagnose(doc *facts.Document) []Cause {
	byID := make(map[string]*facts.Check, len(doc.Checks))
	var keys []string
	groups := map[string]*Cause{}
	for i := range doc.Checks {
		c := &doc.Checks[i]
		byID[c.ID] = c
		if c.Status == facts.StatusPass || (c.Status == facts.StatusSkip && c.Reason == "not-required") {
			continue
		}
		k := checkKey(c)
		g, ok := groups[k]
		if !ok {
			g = &Cause{Level: LevelInfo, Stage: c.Stage, Reason: c.Reason, Route: c.Route, Proxy: c.ProxyURL, DNSServer: dnsServer(c), Of: len(doc.Checks)}
			groups[k] = g
			keys = append(keys, k)
		}
		g.Checks = append(g.Checks, c.ID)
		g.required = g.required || c.Required
	}
	if doc.Verdict != nil {
		add := func(level string, fs []facts.Finding) {
			for _, f := range fs {
				k := "rule\x00" + f.Rule
				for _, id := range f.Checks {
					if c, ok := byID[id]; ok && c.Status != facts.StatusPass {
						k = checkKey(c)
						break
					}
				}
				g, ok := groups[k]
				if !ok {
					g = &Cause{Level: level}
					groups[k] = g
					keys = append(keys, k)
				}
				g.addFinding(level, f)
			}
		}
		add(LevelDeny, doc.Verdict.Deny)
		add(LevelWarn, doc.Verdict.Warn)
		add(LevelWaived, doc.Verdict.Waived)
	}
	out := make([]Cause, 0, len(keys))
	for _, k := range keys {
		g := groups[k]
		g.describe()
		out = append(out, *g)
	}
	slices.SortStableFunc(out, func(a, b Cause) int {
		if d := levelRank(a.Level) - levelRank(b.Level); d != 0 {
			return d
		}
		return cmp.Compare(b.size(), a.size())
	})
	return out
}

func (g *Cause) size() int { return max(len(g.Checks), len(g.Findings)) }

func (g *Cause) addFinding(level string, f facts.Finding) {
	if levelRank(level) < levelRank(g.Level) {
		g.Level = level
	}
	g.Findings = append(g.Findings, f)
	for i := range g.Rules {
		if g.Rules[i].Rule == f.Rule && g.Rules[i].Level == level {
			g.Rules[i].Count++
			return
		}
	}
	g.Rules = append(g.Rules, RuleCount{Rule: f.Rule, Level: level, Count: 1})
}

func levelRank(l string) int {
	switch l {
	case LevelDeny:
		return 0
	case LevelWarn:
		return 1
	case LevelWaived:
		return 2
	}
	return 3
}

// checkKey is what a check that did not pass shares with others of the same cause.
func checkKey(c *facts.Check) string {
	stage := c.Stage
	if stage == "" && c.Kind == "site" {
		stage = c.ID // site checks fail each for its own reason
	}
	return strings.Join([]string{"check", c.Status, stage, c.Reason, c.Route, c.ProxyURL, dnsServer(c)}, "\x00")
}

// dnsServer is the server a check's failed resolution asked, when it stopped at DNS.
func dnsServer(c *facts.Check) string {
	if c.Stage == facts.StageDNS && c.Evidence.DNS != nil {
		return c.Evidence.DNS.Server
	}
	return ""
}

// describe fills the headline, the problem and the first action.
func (g *Cause) describe() {
	if len(g.Checks) == 0 {
		g.describeFindings()
		return
	}
	verb := "failed"
	switch {
	case g.Reason == "interrupted":
		verb = "did not finish"
	case g.Level == LevelWaived:
		verb = "failed (waived)"
	case g.Level == LevelInfo && !g.required:
		verb = "did not pass (not required by this run's edition)"
	case g.Level == LevelInfo:
		verb = "did not pass (no rule denies or warns)"
	}
	where := ""
	if g.Stage != "" {
		where = " at " + stageName(g.Stage)
		if g.Reason != "" {
			where += " (" + g.Reason + ")"
		}
	}
	route := g.Route
	if g.Proxy != "" {
		route = "through " + g.Proxy
	}
	if route != "" {
		where += ", " + route
	}
	noun := "checks"
	if g.Of == 1 {
		noun = "check"
	}
	g.Headline = fmt.Sprintf("%d of %d %s %s%s", len(g.Checks), g.Of, noun, verb, where)
	g.Problem, g.Action = explain(g)
	if g.Action == "" && len(g.Findings) > 0 {
		g.Action = g.Findings[0].Remediation
	}
}

// describeFindings is the text of a group of findings that name no check: one rule.
func (g *Cause) describeFindings() {
	f := g.Findings[0]
	if len(g.Findings) == 1 {
		g.Headline = f.Message
	} else {
		g.Headline = fmt.Sprintf("%d findings of %s, e.g. %s", len(g.Findings), f.Rule, f.Message)
	}
	g.Action = f.Remediation
	for _, o := range g.Findings[1:] {
		if o.Remediation != f.Remediation {
			g.Action = "" // the rule's own remediation says it for all (reports fill it)
			break
		}
	}
}

func stageName(s string) string {
	switch s {
	case facts.StageDNS:
		return "DNS"
	case facts.StageTLS:
		return "TLS"
	case facts.StageHTTP:
		return "HTTP"
	case facts.StageTLSIntercepted:
		return "TLS (intercepted)"
	}
	return s
}
