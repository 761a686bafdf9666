package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/policies"
)

// builtinDocs is the built-in rules' metadata as the CLI registers it: from the Rego
// annotations, so the golden files show what users see.
func builtinDocs() []RuleDoc {
	infos, err := policies.BuiltinRules()
	if err != nil {
		panic(err)
	}
	out := make([]RuleDoc, len(infos))
	for i, r := range infos {
		out[i] = RuleDoc{ID: r.ID, Title: r.Title, Help: r.Description, Remediation: r.Remediation, Severity: r.Severity, Sources: r.Sources}
	}
	return out
}

func TestMain(m *testing.M) {
	RegisterRules(builtinDocs)
	os.Exit(m.Run())
}

type sarifRulesOut struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID                   string
					ShortDescription     struct{ Text string }
					FullDescription      struct{ Text string }
					Help                 struct{ Text, Markdown string }
					HelpURI              string
					DefaultConfiguration struct{ Level string }
					Properties           struct {
						Severity string
						Sources  []struct{ Key, URL string }
					}
				}
			}
		}
	}
}

// A documented rule carries its annotation's title, description, fix and sources (helpUri is
// the first source's page); an undocumented one falls back to its first finding.
func TestSARIFUsesRuleMetadata(t *testing.T) {
	doc := &facts.Document{SchemaVersion: 1, Verdict: &facts.Verdict{
		Deny: []facts.Finding{{Rule: "scp.tls12", Message: "m", Source: "KB4561945"}, {Rule: "test.other", Message: "n"}},
	}}
	var b bytes.Buffer
	if err := Render(&b, "sarif", doc); err != nil {
		t.Fatal(err)
	}
	var out sarifRulesOut
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	rules := out.Runs[0].Tool.Driver.Rules
	r := rules[0]
	if r.ShortDescription.Text != "TLS 1.2 or later" || !strings.Contains(r.FullDescription.Text, "TLS 1.2") ||
		!strings.Contains(r.Help.Text, "Fix: Enable TLS 1.2") || !strings.Contains(r.Help.Markdown, "[KB4561945: ") ||
		!strings.HasPrefix(r.HelpURI, "https://learn.microsoft.com/") || r.DefaultConfiguration.Level != "error" ||
		r.Properties.Severity != "deny" || len(r.Properties.Sources) != 2 || r.Properties.Sources[0].Key != "KB4561945" {
		t.Errorf("documented rule = %+v", r)
	}
	if rules[1].ShortDescription.Text != "cmpreflight policy rule test.other" || rules[1].Help.Text != "n" || rules[1].HelpURI != "" {
		t.Errorf("undocumented rule = %+v", rules[1])
	}
}

// Text, Markdown and HTML show a finding's sources as title and URL, links, and escaped
// links; a key the table does not know stays as text.
func TestSourcesShownAsLinks(t *testing.T) {
	doc := &facts.Document{SchemaVersion: 1, Verdict: &facts.Verdict{
		Deny: []facts.Finding{{Rule: "scp.no_interception", Message: "m", Remediation: "r", Source: "KB3187516, <mine>"}},
	}}
	const url = "https://learn.microsoft.com/en-us/troubleshoot/mem/configmgr/setup-migrate-backup-recovery/service-connection-point-not-download-updates"
	want := map[string][]string{
		"text":     {"scp.no_interception (No TLS interception): m", "source: KB3187516: A service connection point doesn't download updates", "<" + url + ">", "; <mine>"},
		"markdown": {"scp.no\\_interception (No TLS interception)", "[KB3187516: A service connection point", "](" + url + ")", "&lt;mine&gt;"},
		"html":     {`<a href="` + url + `"`, ">KB3187516</a>", ", &lt;mine&gt;", `<span class="rule-title">No TLS interception</span>`},
		"junit":    {"source: KB3187516: A service connection point"},
	}
	for format, subs := range want {
		var b bytes.Buffer
		if err := Render(&b, format, doc); err != nil {
			t.Fatal(err)
		}
		for _, s := range subs {
			if !strings.Contains(b.String(), s) {
				t.Errorf("%s report lacks %q", format, s)
			}
		}
		if strings.Contains(b.String(), "<mine>") && format == "html" {
			t.Error("html report has an unescaped source key")
		}
	}
}
