package reports

import (
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/cmpreflight/cmpreflight/facts"
)

// SARIF 2.1.0, only the parts a policy result needs.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	Results     []sarifResult     `json:"results"`
	Properties  map[string]any    `json:"properties,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name    string      `json:"name"`
	Version string      `json:"version,omitempty"`
	Rules   []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	ShortDescription     sarifMessage   `json:"shortDescription"`
	FullDescription      *sarifMessage  `json:"fullDescription,omitempty"`
	Help                 *sarifMessage  `json:"help,omitempty"`
	HelpURI              string         `json:"helpUri,omitempty"`
	DefaultConfiguration *sarifConfig   `json:"defaultConfiguration,omitempty"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifMessage struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool   `json:"executionSuccessful"`
	StartTimeUTC        string `json:"startTimeUtc,omitempty"`
	EndTimeUTC          string `json:"endTimeUtc,omitempty"`
	Machine             string `json:"machine,omitempty"`
}

type sarifResult struct {
	RuleID       string             `json:"ruleId"`
	RuleIndex    int                `json:"ruleIndex"`
	Level        string             `json:"level"`
	Message      sarifMessage       `json:"message"`
	Locations    []sarifLocation    `json:"locations,omitempty"`
	Suppressions []sarifSuppression `json:"suppressions,omitempty"`
	Properties   map[string]any     `json:"properties,omitempty"`
}

type sarifLocation struct {
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations"`
}

type sarifLogicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind,omitempty"`
}

type sarifSuppression struct {
	Kind          string         `json:"kind"`
	Status        string         `json:"status,omitempty"`
	Justification string         `json:"justification,omitempty"`
	Properties    map[string]any `json:"properties,omitempty"`
}

// sarifLevel maps a finding's verdict to a SARIF level; a waived deny is a note that also
// carries its suppression.
var sarifLevel = map[string]string{"deny": "error", "warn": "warning", "waived": "note"}

// renderSARIF writes the verdict's findings as SARIF results of tool cmpreflight. Each
// distinct rule id becomes a rule: a documented rule (Rego # METADATA) carries its title,
// description, remediation and sources (helpUri is the first source's page); any other takes
// the first remediation given for it.
func renderSARIF(w io.Writer, doc *facts.Document) error {
	docs := ruleDocs()
	driver := sarifDriver{Name: "cmpreflight", Version: doc.Tool.Version, Rules: []sarifRule{}}
	index := map[string]int{}
	firstMessage := map[string]string{}
	var results []sarifResult
	eachFinding(doc.Verdict, func(level string, f *facts.Finding) {
		rule := nonEmpty(f.Rule, "unnamed")
		i, ok := index[rule]
		if !ok {
			i = len(driver.Rules)
			index[rule] = i
			firstMessage[rule] = f.Message
			sr := sarifRule{
				ID:                   rule,
				ShortDescription:     sarifMessage{Text: "cmpreflight policy rule " + rule},
				DefaultConfiguration: &sarifConfig{Level: sarifLevel[level]},
			}
			if d, known := docs[rule]; known {
				documentSARIFRule(&sr, d)
			}
			driver.Rules = append(driver.Rules, sr)
		}
		if driver.Rules[i].Help == nil && f.Remediation != "" {
			driver.Rules[i].Help = &sarifMessage{Text: f.Remediation}
		}
		r := sarifResult{RuleID: rule, RuleIndex: i, Level: sarifLevel[level], Message: sarifMessage{Text: nonEmpty(f.Message, rule)}}
		if len(f.Checks) > 0 {
			loc := sarifLocation{}
			for _, id := range f.Checks {
				loc.LogicalLocations = append(loc.LogicalLocations, sarifLogicalLocation{
					Name: id, FullyQualifiedName: "check/" + id, Kind: "resource",
				})
			}
			r.Locations = []sarifLocation{loc}
		}
		props := map[string]any{"verdict": level}
		if f.Remediation != "" {
			props["remediation"] = f.Remediation
		}
		if f.Source != "" {
			props["source"] = f.Source
		}
		r.Properties = props
		if level == "waived" {
			s := sarifSuppression{Kind: "external", Status: "accepted", Justification: "waived"}
			if wv := f.Waiver; wv != nil {
				s.Justification = wv.Reason
				s.Properties = map[string]any{"owner": wv.Owner, "expires": wv.Expires, "target": wv.Target}
			}
			r.Suppressions = []sarifSuppression{s}
		}
		results = append(results, r)
	})
	// A rule with no remediation still needs help text a reader can act on.
	for i := range driver.Rules {
		if driver.Rules[i].Help == nil {
			id := driver.Rules[i].ID
			driver.Rules[i].Help = &sarifMessage{Text: nonEmpty(firstMessage[id], id)}
		}
	}
	if results == nil {
		results = []sarifResult{}
	}
	run := sarifRun{Tool: sarifTool{Driver: driver}, Results: results}
	inv := sarifInvocation{ExecutionSuccessful: !doc.Interrupted, Machine: doc.Machine.Hostname}
	if !doc.StartedAt.IsZero() {
		inv.StartTimeUTC = doc.StartedAt.UTC().Format(time.RFC3339Nano)
		inv.EndTimeUTC = doc.StartedAt.Add(time.Duration(doc.DurationMs) * time.Millisecond).UTC().Format(time.RFC3339Nano)
	}
	run.Invocations = []sarifInvocation{inv}
	run.Properties = map[string]any{
		"profile": doc.Profile, "edition": doc.Edition, "verdict": strings.ReplaceAll(verdictWord(doc), " ", "-"),
	}
	if doc.Evaluation != nil {
		// The invocation's times are the facts'; the verdict's own time and policies are here.
		run.Properties["evaluation"] = doc.Evaluation
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs:    []sarifRun{run},
	})
}

// sarifLevelOf maps a rule's severity to its SARIF default level.
var sarifLevelOf = map[string]string{"deny": "error", "warn": "warning"}

// documentSARIFRule fills a rule descriptor from the rule's metadata: title, description,
// help (description, fix and sources, in text and Markdown with links), helpUri and the
// sources as properties.
func documentSARIFRule(sr *sarifRule, d RuleDoc) {
	sr.ShortDescription = sarifMessage{Text: nonEmpty(d.Title, d.ID)}
	if d.Help != "" {
		sr.FullDescription = &sarifMessage{Text: d.Help}
	}
	refs := sourceRefs(strings.Join(d.Sources, ","))
	text, markdown := d.Help, md(d.Help)
	if d.Remediation != "" {
		text += "\nFix: " + d.Remediation
		markdown += "\n\n**Fix:** " + md(d.Remediation)
	}
	if len(refs) > 0 {
		text += "\nSources: " + sourcesText(refs)
		markdown += "\n\n**Sources:** " + mdSourceLinks(refs)
	}
	sr.Help = &sarifMessage{Text: strings.TrimSpace(text), Markdown: strings.TrimSpace(markdown)}
	props := map[string]any{}
	if d.Severity != "" {
		props["severity"] = d.Severity
		if lvl, ok := sarifLevelOf[d.Severity]; ok {
			sr.DefaultConfiguration = &sarifConfig{Level: lvl}
		}
	}
	if len(refs) > 0 {
		props["sources"] = refs
		for _, r := range refs {
			if r.URL != "" {
				sr.HelpURI = r.URL
				break
			}
		}
	}
	if len(props) > 0 {
		sr.Properties = props
	}
}
