package reports

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// sarifSchema compiles the OASIS SARIF 2.1.0 schema (draft-04) from testdata, offline.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	const url = "file:///sarif-schema-2.1.0.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	schema := sarifSchema(t)
	for _, fx := range fixtures {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(render(t, "sarif", loadFixture(t, fx))))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("%s: %v", fx, err)
		}
	}
	// The schema really checks: a wrong level is refused.
	bad, _ := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"level":"fatal"}]}]}`)))
	if schema.Validate(bad) == nil {
		t.Error("schema accepted an invalid SARIF log")
	}
}

func TestSARIFContent(t *testing.T) {
	var log sarifLog
	if err := json.Unmarshal(render(t, "sarif", loadFixture(t, "proxy-denied")), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if log.Version != "2.1.0" || run.Tool.Driver.Name != "cmpreflight" {
		t.Fatalf("header: %+v", log)
	}
	ids := map[string]sarifRule{}
	for _, r := range run.Tool.Driver.Rules {
		ids[r.ID] = r
	}
	if len(ids) != 4 || len(run.Tool.Driver.Rules) != 4 {
		t.Errorf("rules %+v, want one per distinct rule id", run.Tool.Driver.Rules)
	}
	// A documented rule's help is its annotation (description, fix, sources), not a finding's
	// remediation (TestSARIFUsesRuleMetadata covers the fallback of an undocumented rule).
	if r := ids["scp.endpoint_reachable"]; r.Help == nil || !strings.HasPrefix(r.Help.Text, "Every check required by the run's edition must pass") || r.HelpURI == "" {
		t.Errorf("help of scp.endpoint_reachable: %+v (helpUri %q)", r.Help, r.HelpURI)
	}
	levels := map[string]int{}
	for _, res := range run.Results {
		levels[res.Level]++
		if run.Tool.Driver.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %s points at rule %d", res.RuleID, res.RuleIndex)
		}
	}
	if levels["error"] != 2 || levels["warning"] != 2 || levels["note"] != 1 {
		t.Errorf("levels %v", levels)
	}
	waived := run.Results[4]
	if len(waived.Suppressions) != 1 || waived.Suppressions[0].Kind != "external" || waived.Suppressions[0].Justification != "CHG-1234: proxy rule change scheduled" {
		t.Errorf("waived result suppressions: %+v", waived.Suppressions)
	}
	first := run.Results[0]
	if len(first.Locations) != 1 || first.Locations[0].LogicalLocations[0].Name != "download.microsoft.com:443" {
		t.Errorf("locations: %+v", first.Locations)
	}
}
