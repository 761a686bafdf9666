package reports

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/cmpreflight/cmpreflight/checks/netprobe"
	"github.com/cmpreflight/cmpreflight/facts"
)

// hostileDoc has check ids and hosts built to break a careless exposition writer: quotes,
// backslashes, line feeds, braces, an equals sign, a '#' at a line start, invalid UTF-8.
func hostileDoc() *facts.Document {
	ids := []string{
		`evil"host:443`,
		`back\slash:80`,
		"line\nfeed:443",
		"}{,=#\n# TYPE x counter:443",
		"bad\xffutf8:443",
		"ünïcode.example:443",
	}
	doc := &facts.Document{
		SchemaVersion: facts.SchemaVersion,
		Tool:          facts.Tool{Name: "cmpreflight", Version: `v1 "quoted"`},
		StartedAt:     time.Date(2026, 12, 2, 10, 0, 0, 500e6, time.UTC),
		DurationMs:    1234,
		Machine:       facts.Machine{Name: `scp01 "lab"\x`, Hostname: "scp01.contoso.com", OS: "windows", Arch: "amd64"},
		Profile:       "scp",
		Edition:       "current",
		Cloud:         "public",
		Verdict:       &facts.Verdict{Compliant: false, Deny: []facts.Finding{{Rule: "r"}}},
	}
	for i, id := range ids {
		st := facts.StatusPass
		if i%2 == 1 {
			st = facts.StatusFail
		}
		doc.Checks = append(doc.Checks, facts.Check{ID: id, Host: strings.TrimSuffix(strings.TrimSuffix(id, ":443"), ":80"), Port: 443,
			Route: facts.RouteProxy, Status: st, Stage: "proxy-denied", Reason: `block "page"`, Required: i < 3,
			Timings: facts.Timings{DNS: 3, Total: int64(100 + i)}})
	}
	doc.Checks = append(doc.Checks, facts.Check{ID: "site/placement", Kind: "site", Status: facts.StatusWarn})
	doc.Summary = netprobe.Summarize(doc.Checks)
	return doc
}

func TestPromParsesAndEscapes(t *testing.T) {
	doc := hostileDoc()
	out := render(t, "prom", doc)
	if !bytes.HasSuffix(out, []byte("\n")) {
		t.Fatal("the file does not end with a line feed (windows_exporter needs it)")
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("expfmt: %v\n%s", err, out)
	}
	if _, ok := fams["x"]; ok {
		t.Fatal("a check id injected a metric family")
	}
	status := fams["cmpreflight_check_status"]
	if status == nil {
		t.Fatalf("no cmpreflight_check_status family; got %d families", len(fams))
	}
	if got, want := len(status.Metric), len(doc.Checks)*5; got != want {
		t.Fatalf("%d status series, want %d", got, want)
	}
	// Every check id comes back exactly (invalid UTF-8 replaced), with value 1 for its status.
	seen := map[string]string{}
	for _, m := range status.Metric {
		l := map[string]string{}
		for _, lp := range m.Label {
			l[lp.GetName()] = lp.GetValue()
		}
		if m.GetGauge().GetValue() == 1 {
			if prev, dup := seen[l["check"]]; dup {
				t.Errorf("check %q has two statuses: %s and %s", l["check"], prev, l["status"])
			}
			seen[l["check"]] = l["status"]
		}
		if l["profile"] != "scp" {
			t.Errorf("profile label %q", l["profile"])
		}
	}
	for _, c := range doc.Checks {
		want := strings.ToValidUTF8(c.ID, "\uFFFD")
		if seen[want] != c.Status {
			t.Errorf("check %q: status %q in the metrics, want %q", want, seen[want], c.Status)
		}
	}
	info := fams["cmpreflight_info"].Metric[0]
	for _, lp := range info.Label {
		if lp.GetName() == "machine" && lp.GetValue() != doc.Machine.Name {
			t.Errorf("machine label %q, want %q", lp.GetValue(), doc.Machine.Name)
		}
	}
	if v := fams["cmpreflight_verdict_compliant"].Metric[0].GetGauge().GetValue(); v != 0 {
		t.Errorf("compliant = %v, want 0", v)
	}
	if v := fams["cmpreflight_run_start_timestamp_seconds"].Metric[0].GetGauge().GetValue(); v != 1796205600.5 {
		t.Errorf("start = %v", v)
	}
	var total float64
	for _, m := range fams["cmpreflight_check_duration_seconds"].Metric {
		for _, lp := range m.Label {
			if lp.GetName() == "phase" && lp.GetValue() == "total" {
				total += m.GetGauge().GetValue()
			}
		}
	}
	if want := 0.1 + 0.101 + 0.102 + 0.103 + 0.104 + 0.105; total < want-1e-9 || total > want+1e-9 {
		t.Errorf("sum of total durations %v, want %v", total, want)
	}
	if n := len(fams["cmpreflight_check_failure_info"].Metric); n != 4 {
		t.Errorf("%d failure_info series, want 4 (three fails and a warn)", n)
	}
}

// TestPromtool validates the exposition with Prometheus's own linter, as a scrape would.
func TestPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool not found (Debian package prometheus); CI must have it")
		}
		t.Skip("promtool not found (Debian package prometheus)")
	}
	dir := t.TempDir()
	for name, doc := range map[string]*facts.Document{"hostile": hostileDoc(), "proxy-denied": loadFixture(t, "proxy-denied"), "direct-pass": loadFixture(t, "direct-pass")} {
		path := filepath.Join(dir, name+".prom")
		if err := WriteFile(path, "prom", doc); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(promtool, "check", "metrics")
		cmd.Stdin = f
		out, err := cmd.CombinedOutput()
		f.Close()
		if err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("promtool check metrics %s: %v\n%s", name, err, out)
		}
	}
}
