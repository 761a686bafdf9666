package reports

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/cmpreflight/cmpreflight/facts"
)

func TestSARIFUsesRegisteredRuleDocs(t *testing.T) {
	RegisterRules([]RuleDoc{{ID: "test.registered", Title: "Registered title", Help: "Do this.", Source: "KB1"}})
	t.Cleanup(func() { delete(ruleDocs, "test.registered") })
	doc := &facts.Document{SchemaVersion: 1, Verdict: &facts.Verdict{
		Deny: []facts.Finding{{Rule: "test.registered", Message: "m"}, {Rule: "test.other", Message: "n"}},
	}}
	var b bytes.Buffer
	if err := Render(&b, "sarif", doc); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID               string
						ShortDescription struct{ Text string }
						Help             struct{ Text string }
					}
				}
			}
		}
	}
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	rules := out.Runs[0].Tool.Driver.Rules
	if rules[0].ShortDescription.Text != "Registered title" || rules[0].Help.Text != "Do this. (source: KB1)" {
		t.Errorf("registered rule = %+v", rules[0])
	}
	if rules[1].ShortDescription.Text != "cmpreflight policy rule test.other" || rules[1].Help.Text != "n" {
		t.Errorf("unregistered rule = %+v", rules[1])
	}
}
