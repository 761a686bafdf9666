package fleet

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cmpreflight/cmpreflight/checks/netprobe"
	"github.com/cmpreflight/cmpreflight/facts"
)

var t0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

// report writes a machine report with the given check statuses (id=status) into dir.
func report(t *testing.T, dir, file, name string, at time.Time, compliant bool, results ...string) string {
	t.Helper()
	doc := facts.Document{SchemaVersion: facts.SchemaVersion, Tool: facts.Tool{Name: "cmpreflight", Version: "v1"},
		StartedAt: at, Machine: facts.Machine{Name: name, Hostname: "h-" + name, OS: "windows"}, Profile: "scp", Edition: "current",
		Verdict: &facts.Verdict{Compliant: compliant}}
	if !compliant {
		doc.Verdict.Deny = []facts.Finding{{Rule: "scp.endpoint_reachable", Message: "no"}}
	}
	for _, r := range results {
		id, st, _ := strings.Cut(r, "=")
		doc.Checks = append(doc.Checks, facts.Check{ID: id, Status: st, Required: true,
			Evidence: facts.Evidence{DNS: &facts.DNSEvidence{Addresses: []string{"192.0.2.1"}}}})
	}
	doc.Summary = netprobe.Summarize(doc.Checks)
	b, err := json.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, file)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func load(t *testing.T, ins ...string) *Document {
	t.Helper()
	paths, err := Expand(ins)
	if err != nil {
		t.Fatal(err)
	}
	set, err := Load(paths, false)
	if err != nil {
		t.Fatal(err)
	}
	return Merge(set, facts.Tool{Name: "cmpreflight", Version: "test"}, t0)
}

func TestMergeOrdersSplitChecksAndFailingMachinesFirst(t *testing.T) {
	dir := t.TempDir()
	report(t, dir, "a.json", "a", t0, true, "x:443=pass", "y:443=pass", "z:443=fail", "w:443=warn")
	report(t, dir, "b.json", "b", t0, false, "x:443=fail", "y:443=error", "z:443=fail", "w:443=pass")
	report(t, dir, "c.json", "c", t0, false, "x:443=pass", "y:443=fail", "z:443=error")
	report(t, dir, "d.json", "d", t0, true, "x:443=pass", "y:443=pass", "z:443=fail", "v:80=pass")
	doc := load(t, dir)

	var names []string
	for _, m := range doc.Machines {
		names = append(names, m.Name+":"+m.Verdict)
	}
	if want := []string{"b:not-compliant", "c:not-compliant", "a:compliant", "d:compliant"}; !slices.Equal(names, want) {
		t.Errorf("machines %v, want %v", names, want)
	}
	var rows []string
	for _, r := range doc.Checks {
		rows = append(rows, r.ID+":"+r.Pattern+":"+strings.Join(r.FailingOn, ","))
	}
	want := []string{"x:443:split:b", "y:443:split:b,c", "z:443:failing:b,c,a,d", "w:443:warn:", "v:80:passing:"}
	if !slices.Equal(rows, want) {
		t.Errorf("checks\n%v\nwant\n%v", rows, want)
	}
	w := doc.Checks[3]
	if w.Counts != (Counts{Pass: 1, Warn: 1, Absent: 2}) || w.Results[1].Status != StatusAbsent || w.Results[1].Machine != "c" {
		t.Errorf("w:443 counts %+v, results %+v", w.Counts, w.Results)
	}
	if doc.Summary != (Summary{Reports: 4, Machines: 4, Compliant: 2, NotCompliant: 2, Checks: 5, Split: 2, Failing: 1}) {
		t.Errorf("summary %+v", doc.Summary)
	}
	if len(doc.Machines[0].Failing) != 3 || len(doc.Machines[0].Deny) != 1 {
		t.Errorf("b: failing %v, deny %v", doc.Machines[0].Failing, doc.Machines[0].Deny)
	}
}

func TestNewestReportPerMachine(t *testing.T) {
	dir := t.TempDir()
	report(t, dir, "1.json", "SCP01", t0, false, "x:443=fail")
	report(t, dir, "2.json", "scp01", t0.Add(time.Hour), true, "x:443=pass")
	report(t, dir, "3.json", "scp01", t0.Add(-time.Hour), false, "x:443=fail")
	// A tie on startedAt: the path that sorts last wins.
	report(t, dir, "4.json", "mp", t0, false, "x:443=fail")
	report(t, dir, "5.json", "mp", t0, true, "x:443=pass")
	doc := load(t, filepath.Join(dir, "*.json"))
	if len(doc.Machines) != 2 || doc.Summary.Compliant != 2 || doc.Summary.Reports != 5 {
		t.Fatalf("machines %+v, summary %+v", doc.Machines, doc.Summary)
	}
	for _, m := range doc.Machines {
		if b := filepath.Base(m.Report); b != "2.json" && b != "5.json" {
			t.Errorf("%s merged from %s", m.Name, b)
		}
	}
	var sup []string
	for _, s := range doc.Superseded {
		sup = append(sup, filepath.Base(s.Path))
	}
	slices.Sort(sup)
	if !slices.Equal(sup, []string{"1.json", "3.json", "4.json"}) {
		t.Errorf("superseded %v", sup)
	}
	if doc.Checks[0].Pattern != PatternPassing || doc.Checks[0].Results[0].Stage != "" {
		t.Errorf("checks %+v", doc.Checks)
	}
}

func TestOldReportsAndForeignFiles(t *testing.T) {
	dir := t.TempDir()
	p := report(t, dir, "old.json", "", t0, true, "x:443=pass")
	doc := load(t, p)
	if doc.Machines[0].Name != "h-" {
		t.Errorf("a report without machine.name merges under its host name, got %q", doc.Machines[0].Name)
	}
	// Evidence is not kept: 1,000 machines of it would not fit the memory budget.
	paths, _ := Expand([]string{p})
	set, _ := Load(paths, false)
	if set.Reports[0].Doc.Checks[0].Evidence.DNS != nil {
		t.Error("evidence kept after loading")
	}

	bad := map[string]string{
		"future.json": `{"schemaVersion": 2, "tool": {"name": "cmpreflight", "version": "v9"}}`,
		"other.json":  `{"schemaVersion": 1, "tool": {"name": "something-else"}}`,
		"fleet.json":  `{"schemaVersion": 1, "kind": "cmpreflight-fleet", "tool": {"name": "cmpreflight"}}`,
		"text.json":   `hello`,
		"noname.json": `{"schemaVersion": 1, "tool": {"name": "cmpreflight"}, "startedAt": "2026-12-01T00:00:00Z", "machine": {}}`,
		"notime.json": `{"schemaVersion": 1, "tool": {"name": "cmpreflight"}, "machine": {"name": "m"}}`,
	}
	want := map[string]string{
		"future.json": "schemaVersion 2 (written by cmpreflight v9); this build merges schemaVersion 1",
		"other.json":  "not a cmpreflight JSON report",
		"fleet.json":  "a fleet document",
		"text.json":   "not a JSON report",
		"noname.json": "names no machine",
		"notime.json": "no startedAt",
	}
	var all []string
	for f, body := range bad {
		os.WriteFile(filepath.Join(dir, f), []byte(body), 0o644)
		all = append(all, filepath.Join(dir, f))
	}
	slices.Sort(all)
	_, err := Load(append(all, p), false)
	ie, ok := err.(*InputError)
	// A fleet document is set aside, not refused: fleet.json often lands beside the reports.
	if !ok || len(ie.Problems) != len(bad)-1 || strings.Contains(err.Error(), "fleet.json") {
		t.Fatalf("Load: %v", err)
	}
	for _, pr := range ie.Problems {
		f, _, _ := strings.Cut(strings.TrimPrefix(pr, dir+string(filepath.Separator)), ":")
		if !strings.Contains(pr, want[f]) {
			t.Errorf("%s: %q, want %q", f, pr, want[f])
		}
	}
	set, err = Load([]string{filepath.Join(dir, "fleet.json"), p}, false)
	if err != nil || len(set.Skipped) != 1 || !strings.Contains(set.Skipped[0].Reason, "fleet document") {
		t.Fatalf("fleet document beside a report: %v, %+v", err, set)
	}
	set, err = Load(append(all, p), true)
	if err != nil || len(set.Skipped) != len(bad) || len(set.Reports) != 1 {
		t.Fatalf("skip invalid: %v, %+v", err, set)
	}
	if _, err := Load(all, true); err == nil {
		t.Error("nothing mergeable should be an error")
	}
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	report(t, dir, "a.json", "a", t0, true)
	report(t, dir, "b.JSON", "b", t0, true)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	os.Mkdir(filepath.Join(dir, "sub.json"), 0o755)
	got, err := Expand([]string{dir, filepath.Join(dir, "a.json"), filepath.Join(dir, "*.json")})
	if err != nil || len(got) != 2 {
		t.Errorf("Expand = %v, %v; want a.json and b.JSON once each", got, err)
	}
	empty := t.TempDir()
	for _, in := range []string{filepath.Join(dir, "missing.json"), filepath.Join(dir, "z*.json"), empty, filepath.Join(dir, "[")} {
		if _, err := Expand([]string{in}); err == nil || !strings.Contains(err.Error(), in) {
			t.Errorf("Expand(%q) = %v; want an error naming it", in, err)
		}
	}
	if _, err := Expand(nil); err == nil {
		t.Error("no --in should be an error")
	}
}
