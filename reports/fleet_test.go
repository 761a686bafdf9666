package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cmpreflight/cmpreflight/checks/netprobe"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/fleet"
)

const hostileMachine = `<img src=x onerror=alert(1)>"&|*_[x](y)`

// hostileFleet has three machines, one of them (named with markup) failing a check the
// others pass, and a check id that is markup too.
func hostileFleet() *fleet.Document {
	mk := func(name string, compliant bool, st string) *fleet.Report {
		d := &facts.Document{SchemaVersion: 1, Tool: facts.Tool{Name: "cmpreflight", Version: "v1"},
			StartedAt: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), Machine: facts.Machine{Name: name, Hostname: name},
			Verdict: &facts.Verdict{Compliant: compliant}, Profile: "scp", Edition: "current"}
		if !compliant {
			d.Verdict.Deny = []facts.Finding{{Rule: "scp.endpoint_reachable", Message: "<b>blocked</b>"}}
		}
		d.Checks = []facts.Check{
			{ID: "go.microsoft.com:443", Status: st, Stage: "proxy-denied", Reason: "status-403"},
			{ID: "<svg onload=alert(2)>:443", Status: facts.StatusPass},
			{ID: "crl3.digicert.com:80", Status: facts.StatusPass},
		}
		d.Summary = netprobe.Summarize(d.Checks)
		return &fleet.Report{Path: "/share/" + name + ".json", Name: name, Doc: d}
	}
	set := &fleet.Set{Reports: []*fleet.Report{
		mk("scp01.contoso.com", true, facts.StatusPass),
		mk(hostileMachine, false, facts.StatusFail),
		mk("mp03.contoso.com", true, facts.StatusPass),
	}, Skipped: []fleet.Skipped{{Path: "/share/<i>x</i>.json", Reason: "not a JSON report", Unseen: true}}}
	return fleet.Merge(set, facts.Tool{Name: "cmpreflight", Version: "test"}, time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC))
}

func renderFleet(t *testing.T, format string, doc *fleet.Document) string {
	t.Helper()
	var b bytes.Buffer
	if err := RenderFleet(&b, format, doc); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return b.String()
}

func TestFleetFormatsEscape(t *testing.T) {
	doc := hostileFleet()
	h := renderFleet(t, "html", doc)
	for _, bad := range []string{"<img", "<svg", "<b>", "<i>"} {
		if strings.Contains(h, bad) {
			t.Errorf("html: %q unescaped", bad)
		}
	}
	md := renderFleet(t, "markdown", doc)
	if strings.Contains(md, "<img") || strings.Contains(md, "[x](y)") || !strings.Contains(md, `\[x\]`) {
		t.Errorf("markdown escaping:\n%s", md)
	}
	var suites junitSuites
	if err := xml.Unmarshal([]byte(renderFleet(t, "junit", doc)), &suites); err != nil {
		t.Fatalf("junit: %v", err)
	}
	// The unread input comes first, a failure; then the failing machine.
	if len(suites.Suites) != 4 || suites.Suites[0].Name != "unread inputs" || suites.Suites[1].Name != hostileMachine || suites.Failures != 3 {
		t.Errorf("junit suites: %d, first %q, failures %d", len(suites.Suites), suites.Suites[0].Name, suites.Failures)
	}
	var back fleet.Document
	if err := json.Unmarshal([]byte(renderFleet(t, "json", doc)), &back); err != nil || back.Machines[0].Name != hostileMachine {
		t.Errorf("json round trip: %v", err)
	}
	txt := renderFleet(t, "text", doc)
	if !strings.Contains(txt, "1 of 3 machines not compliant") || !strings.HasPrefix(txt, "Fleet: NOT PROVEN: 1 input(s) could not be read") ||
		strings.Index(txt, "not a JSON report") > strings.Index(txt, "MACHINE") {
		t.Errorf("text (the unread input first):\n%s", txt)
	}
	if i, j := strings.Index(md, "## Skipped inputs"), strings.Index(md, "## Machines"); i < 0 || i > j {
		t.Errorf("markdown does not list the unread input first:\n%s", md)
	}
	if _, _, err := ParseFleetOutputSpec("sarif=x"); err == nil {
		t.Error("sarif is not a fleet format")
	}
}

// TestFleetHTMLInChromium opens the fleet page offline in headless Chromium: it loads without
// errors or requests, singles out the failing machine, links the split check to it, keeps
// markup as text and filters the matrix.
func TestFleetHTMLInChromium(t *testing.T) {
	bctx, events := startChromium(t)
	p := filepath.Join(t.TempDir(), "fleet.html")
	if err := WriteFleetFile(p, "html", hostileFleet()); err != nil {
		t.Fatal(err)
	}
	page := (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
	if err := chromedp.Do(bctx, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS("#verdict"))); err != nil {
		t.Fatal(err)
	}
	str := func(js string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return s
	}
	num := func(js string) int {
		t.Helper()
		n, err := chromedp.Run(bctx, chromedp.Evaluate[int](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return n
	}
	if v := str(`document.querySelector("#verdict .word").textContent`); !strings.HasPrefix(v, "NOT PROVEN: 1 input(s) could not be read") || !strings.Contains(v, "1 of 3 machines not compliant") {
		t.Errorf("verdict %q", v)
	}
	if n := num(`document.querySelectorAll("#machines tr.machine.bad").length`); n != 1 {
		t.Errorf("%d machines marked bad, want 1", n)
	}
	if got := str(`document.querySelector("#machines tbody tr").querySelector("td.name strong").textContent`); got != hostileMachine {
		t.Errorf("first machine %q, want the failing one %q", got, hostileMachine)
	}
	if got := str(`getComputedStyle(document.querySelector("#machines tr.machine.bad td")).borderLeftColor`); got != "rgb(207, 34, 46)" {
		t.Errorf("the failing machine's row is not marked (border %s)", got)
	}
	if got := str(`document.querySelector("#failing tbody tr").dataset.pattern + " " + document.querySelector("#failing tbody tr td").textContent`); got != "split go.microsoft.com:443" {
		t.Errorf("first failing check %q", got)
	}
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`#failing tbody tr td.failing-on a`))); err != nil {
		t.Fatal(err)
	}
	if got := str(`document.querySelector(location.hash).querySelector("td.name strong").textContent`); got != hostileMachine {
		t.Errorf("the failing-on link leads to %q", got)
	}
	if n := num(`document.querySelectorAll("img, iframe, svg, b, i").length + document.scripts.length`); n != 1 {
		t.Errorf("hostile strings became %d elements (want only the page's own script)", n-1)
	}
	visible := `Array.from(document.querySelectorAll("#matrix tr.mrow")).filter(r => r.offsetParent !== null).length`
	if n := num(visible); n != 3 {
		t.Errorf("matrix: %d rows visible, want 3", n)
	}
	if err := chromedp.Do(bctx, chromedp.Click(chromedp.CSS(`#only-failing`))); err != nil {
		t.Fatal(err)
	}
	if n := num(visible); n != 1 {
		t.Errorf("matrix with only failing checks: %d rows visible, want 1", n)
	}
	if got := str(`document.querySelector("#matrix tr.mrow:not([hidden]) td.cell.s-fail").title`); !strings.HasPrefix(got, hostileMachine+": fail") {
		t.Errorf("failing cell title %q", got)
	}
	if err := chromedp.Do(bctx, chromedp.Sleep(200*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	requests, problems := events.snapshot()
	for _, pr := range problems {
		t.Errorf("page problem: %s", pr)
	}
	for _, r := range requests {
		if r != page {
			t.Errorf("network request to %s", r)
		}
	}
	if len(requests) == 0 {
		t.Error("no request seen; the listener does not work")
	}
}

// report merge's CI annotations: one error per deny of the machine that is not compliant,
// the machine named in it, one error per input that could not be read (its machine is
// unseen), and one task result that fails the gate as merge's exit code does.
func TestFleetAnnotations(t *testing.T) {
	doc := hostileFleet()
	gh := renderFleet(t, "github", doc)
	if lines := strings.Split(strings.TrimSpace(gh), "\n"); len(lines) != 2 || !strings.HasPrefix(lines[0], "::error title=cmpreflight%3A ") ||
		!strings.Contains(lines[0], hostileMachine+": <b>blocked</b>") ||
		!strings.HasPrefix(lines[1], "::error title=cmpreflight%3A fleet.input_unread::") || !strings.Contains(lines[1], "could not be read") {
		t.Errorf("github:\n%s", gh)
	}
	az := renderFleet(t, "azure-devops", doc)
	lines := strings.Split(strings.TrimSpace(az), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "##vso[task.logissue type=error;code=scp.endpoint_reachable]") ||
		!strings.HasPrefix(lines[1], "##vso[task.logissue type=error;code=fleet.input_unread]") ||
		lines[2] != "##vso[task.complete result=Failed;]cmpreflight: 2 of 4 reports fail the gate, 0 with warnings" {
		t.Errorf("azure-devops:\n%s", az)
	}
	// Accepted unseen inputs no longer fail the gate.
	doc.SkippedAccepted = true
	if gh := renderFleet(t, "github", doc); strings.Contains(gh, "fleet.input_unread") {
		t.Errorf("accepted skipped inputs still annotated:\n%s", gh)
	}
}
