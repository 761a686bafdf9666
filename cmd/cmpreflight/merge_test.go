package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/fleet"
)

// Three machines check the same endpoints; one sits on a segment whose DNS does not know one
// of them. Their reports merge into one fleet that singles that machine out, and each run's
// Prometheus file passes promtool.
func TestThreeMachinesMergeIntoOneFleet(t *testing.T) {
	l := startCatalogLab(t)
	eps := writeEndpoints(t, l.dir, "go.microsoft.com", "http://crl3.digicert.com/")
	segment := startLabDNS(t)
	segment.A("crl3.digicert.com", l.web.IP)

	dir := t.TempDir()
	out := func(name string) string { return filepath.Join(dir, name) }
	for _, m := range []string{"scp01.contoso.com", "sup02.contoso.com", "mp03.contoso.com"} {
		args := l.args("--endpoints-only", "--endpoints", eps, "--machine-name", m,
			"--output", "json="+out(m+".json"), "--output", "prom="+out(m+".prom"))
		want := 0
		if m == "sup02.contoso.com" {
			args = append(args, "--dns-server", segment.Addr)
			args = slices.Delete(args, 1, 3) // its own DNS server, not the lab's
			want = 1
		}
		r := runBin(t, nil, args...)
		if r.code != want {
			t.Fatalf("%s: exit %d, want %d: %s", m, r.code, want, r.stderr)
		}
		data, err := os.ReadFile(out(m + ".json"))
		if err != nil {
			t.Fatal(err)
		}
		validateReport(t, data)
		var doc facts.Document
		if err := json.Unmarshal(data, &doc); err != nil || doc.Machine.Name != m {
			t.Fatalf("%s: machine.name %q, %v", m, doc.Machine.Name, err)
		}
		checkProm(t, out(m+".prom"), m)
	}
	// An older report of the first machine, which the newer one supersedes.
	old, _ := os.ReadFile(out("scp01.contoso.com.json"))
	var od map[string]any
	json.Unmarshal(old, &od)
	od["startedAt"] = "2026-01-01T00:00:00Z"
	old, _ = json.Marshal(od)
	os.WriteFile(out("scp01-january.json"), old, 0o644)

	// `report convert` writes the same metrics from a saved report.
	r := runBin(t, nil, "report", "convert", "--in", out("sup02.contoso.com.json"), "--output", "prom="+out("converted.prom"))
	if r.code != 0 {
		t.Fatalf("report convert to prom: exit %d: %s", r.code, r.stderr)
	}
	checkProm(t, out("converted.prom"), "sup02.contoso.com")

	fdir := t.TempDir()
	r = runBin(t, nil, "report", "merge", "--in", filepath.Join(dir, "*.json"),
		"--output", "json="+filepath.Join(fdir, "fleet.json"), "--output", "html="+filepath.Join(fdir, "fleet.html"),
		"--output", "markdown="+filepath.Join(fdir, "fleet.md"), "--output", "junit="+filepath.Join(fdir, "fleet.xml"))
	if r.code != 1 {
		t.Fatalf("merge: exit %d (want 1: one machine is not compliant): %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "1 of 3 machines not compliant") {
		t.Errorf("merge summary:\n%s", r.stdout)
	}
	data, err := os.ReadFile(filepath.Join(fdir, "fleet.json"))
	if err != nil {
		t.Fatal(err)
	}
	validateFleet(t, data)
	var fd fleet.Document
	if err := json.Unmarshal(data, &fd); err != nil {
		t.Fatal(err)
	}
	if len(fd.Machines) != 3 || fd.Machines[0].Name != "sup02.contoso.com" || fd.Machines[0].Verdict != fleet.VerdictNotCompliant {
		t.Fatalf("machines: %+v", fd.Machines)
	}
	for _, m := range fd.Machines[1:] {
		if m.Verdict != fleet.VerdictCompliant {
			t.Errorf("%s: verdict %s", m.Name, m.Verdict)
		}
	}
	first := fd.Checks[0]
	if first.ID != "go.microsoft.com:443" || first.Pattern != fleet.PatternSplit || !slices.Equal(first.FailingOn, []string{"sup02.contoso.com"}) ||
		first.Counts.Pass != 2 || first.Results[0].Stage != "dns" {
		t.Errorf("first check: %+v", first)
	}
	if len(fd.Superseded) != 1 || filepath.Base(fd.Superseded[0].Path) != "scp01-january.json" {
		t.Errorf("superseded: %+v", fd.Superseded)
	}
	html, _ := os.ReadFile(filepath.Join(fdir, "fleet.html"))
	if !bytes.Contains(html, []byte(`<tr class="machine bad" id="machine-sup02.contoso.com" data-verdict="not-compliant">`)) ||
		bytes.Count(html, []byte(`class="machine bad"`)) != 1 || !bytes.Contains(html, []byte(`<a href="#machine-sup02.contoso.com">sup02.contoso.com</a>`)) {
		t.Errorf("the HTML does not single out sup02:\n%s", html)
	}
	for _, f := range []string{"fleet.md", "fleet.xml"} {
		b, _ := os.ReadFile(filepath.Join(fdir, f))
		if !bytes.Contains(b, []byte("sup02.contoso.com")) {
			t.Errorf("%s lacks the failing machine", f)
		}
	}
	// A fleet document written into the reports folder is set aside by the next merge.
	for range 2 {
		r = runBin(t, nil, "report", "merge", "--quiet", "--in", dir, "--output", "json="+out("fleet.json"))
		if r.code != 1 {
			t.Fatalf("merge into the reports folder: exit %d: %s", r.code, r.stderr)
		}
	}
	if !strings.Contains(r.stderr, "skipped "+out("fleet.json")+": a fleet document") {
		t.Errorf("the second merge did not set the first one's fleet.json aside: %s", r.stderr)
	}
	ents, _ := os.ReadDir(fdir)
	if len(ents) != 4 {
		t.Errorf("%d files in the output folder, want 4 (a temporary file left behind?)", len(ents))
	}
}

// checkProm parses a prom file with expfmt and lints it with promtool.
func checkProm(t *testing.T, path, machine string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if f := fams["cmpreflight_info"]; f == nil || !strings.Contains(f.String(), machine) {
		t.Errorf("%s: cmpreflight_info lacks the machine %s", path, machine)
	}
	if f := fams["cmpreflight_check_status"]; f == nil || len(f.Metric) != 10 {
		t.Errorf("%s: check status family %v", path, f)
	}
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found (Debian package prometheus); CI must have it")
		}
		t.Skip("promtool not found (Debian package prometheus)")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(data)
	if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics %s: %v\n%s", path, err, out)
	}
}

var fleetSchema *jsonschema.Schema

func validateFleet(t *testing.T, data []byte) {
	t.Helper()
	if fleetSchema == nil {
		_, file, _, _ := runtime.Caller(0)
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		s, err := c.Compile(filepath.Join(filepath.Dir(file), "..", "..", "fleet", "schema", "fleet.schema.json"))
		if err != nil {
			t.Fatalf("compile fleet schema: %v", err)
		}
		fleetSchema = s
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := fleetSchema.Validate(inst); err != nil {
		t.Fatalf("fleet document does not match fleet/schema/fleet.schema.json: %#v", err)
	}
}

// Bad inputs to merge exit 2 and name the file; --skip-invalid merges the rest and lists them.
func TestMergeRefusesForeignReportsNamingTheFile(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join("..", "..", "reports", "testdata", "direct-pass.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "good.json"), good, 0o644)
	newer := bytes.Replace(good, []byte(`"schemaVersion": 1`), []byte(`"schemaVersion": 2`), 1)
	os.WriteFile(filepath.Join(dir, "future.json"), newer, 0o644)
	os.WriteFile(filepath.Join(dir, "half.json"), good[:len(good)/2], 0o644)

	r := runBin(t, nil, "report", "merge", "--in", dir)
	if r.code != 2 || !strings.Contains(r.stderr, filepath.Join(dir, "future.json")+": schemaVersion 2") ||
		!strings.Contains(r.stderr, filepath.Join(dir, "half.json")+": not a JSON report") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	out := filepath.Join(t.TempDir(), "fleet.json")
	// Skipped files are machines the gate cannot see: exit 1 unless accepted unseen.
	r = runBin(t, nil, "report", "merge", "--in", dir, "--skip-invalid", "--output", "json="+out)
	if r.code != 1 || !strings.Contains(r.stderr, "skipped "+filepath.Join(dir, "future.json")) || !strings.Contains(r.stderr, "2 input(s) could not be read") {
		t.Errorf("--skip-invalid: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	r = runBin(t, nil, "report", "merge", "--in", dir, "--skip-invalid", "--accept-skipped", "--output", "json="+out)
	if r.code != 0 {
		t.Errorf("--skip-invalid --accept-skipped: exit %d, stderr:\n%s", r.code, r.stderr)
	}
	data, _ := os.ReadFile(out)
	validateFleet(t, data)
	var fd fleet.Document
	json.Unmarshal(data, &fd)
	if len(fd.Skipped) != 2 || fd.Summary.Skipped != 2 || !fd.SkippedAccepted || len(fd.Machines) != 1 || fd.Machines[0].Name != "CM01-SCP" {
		t.Errorf("skipped %+v, machines %+v", fd.Skipped, fd.Machines)
	}
	for _, args := range [][]string{
		{"report", "merge", "--in", filepath.Join(dir, "nothing-*.json")},
		{"report", "merge", "--in", filepath.Join(dir, "missing.json")},
		{"report", "merge", "--in", dir, "--output", "sarif=x.sarif"},
		{"report", "merge", "--in", dir, "--output", "json=" + filepath.Join(dir, "no", "such", "f.json")},
		{"report", "merge", "--in", dir, "--accept-skipped"},
		{"run", "--machine-name", "bad\tname"},
	} {
		r := runBin(t, nil, args...)
		if r.code != 2 || r.stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}
