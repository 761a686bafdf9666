package reports

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const chromiumPath = "/usr/bin/chromium"

// browserEvents collects what the page did that the test forbids.
type browserEvents struct {
	mu       sync.Mutex
	requests []string
	problems []string
}

func (b *browserEvents) add(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch e := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, e.Request.URL)
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert || e.Type == runtime.ConsoleAPICalledTypeWarning {
			var args []string
			for _, a := range e.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			b.problems = append(b.problems, fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " ")))
		}
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.problems = append(b.problems, fmt.Sprintf("exception at %d:%d: %s", d.LineNumber, d.ColumnNumber, msg))
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
			b.problems = append(b.problems, fmt.Sprintf("browser log %s/%s: %s %s", e.Entry.Source, e.Entry.Level, e.Entry.Text, e.Entry.URL))
		}
	case *page.EventJavascriptDialogOpening:
		b.problems = append(b.problems, "dialog opened: "+e.Message)
	}
}

func (b *browserEvents) snapshot() (requests, problems []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.requests...), append([]string(nil), b.problems...)
}

// TestHTMLInChromium opens rendered reports from file:// URLs in headless Chromium and checks
// that they load offline without errors, fetch nothing, filter, sort and drill down.
func TestHTMLInChromium(t *testing.T) {
	bctx, events := startChromium(t)
	dir := t.TempDir()
	pages := map[string]string{}
	for _, fx := range []string{"proxy-denied", "tls-intercepted"} {
		p := filepath.Join(dir, fx+".html")
		if err := WriteFile(p, "html", loadFixture(t, fx)); err != nil {
			t.Fatal(err)
		}
		pages[fx] = (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
	}

	eval := func(js string) int {
		t.Helper()
		n, err := chromedp.Run(bctx, chromedp.Evaluate[int](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return n
	}
	const visibleRows = `Array.from(document.querySelectorAll("tr.check")).filter(r => r.offsetParent !== null).length`
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(bctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	do("open report", chromedp.Navigate(pages["proxy-denied"]), chromedp.WaitVisible(chromedp.CSS("#verdict")))
	verdict, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector("#verdict .word").textContent`))
	if err != nil || verdict != "not compliant" {
		t.Fatalf("verdict %q, %v", verdict, err)
	}

	// The causes lead the page: the first fold is open, the others open on a click; rules
	// are shown by title, with their sources as links.
	const folds = `document.querySelectorAll("#causes details.cause")`
	if eval(`document.querySelector("main").firstElementChild.id === "causes" ? 1 : 0`) != 1 {
		t.Error("the causes are not the first section of the report")
	}
	if n := eval(folds + `.length`); n != 6 {
		t.Errorf("%d causes, want 6", n)
	}
	if eval(folds+`[0].open && !`+folds+`[1].open ? 1 : 0`) != 1 {
		t.Error("want the first cause open and the second folded")
	}
	if eval(folds+`[1].querySelector(".remediation").checkVisibility() ? 0 : 1`) != 1 {
		t.Error("a folded cause shows its first action")
	}
	do("open second cause", chromedp.Click(chromedp.CSS(`#causes details.cause:nth-of-type(2) summary`)))
	if eval(folds+`[1].open && `+folds+`[1].querySelector(".remediation").checkVisibility() ? 1 : 0`) != 1 {
		t.Error("the second cause did not open on a click")
	}
	first := `document.querySelector("#causes details.cause")`
	if eval(first+`.innerText.includes("Required endpoint reachable") && `+first+`.innerText.includes("refuses these destinations") && !`+first+`.innerText.includes("scp.endpoint_reachable") ? 1 : 0`) != 1 {
		t.Errorf("first cause lacks its rule title or cause: %q", func() string {
			s, _ := chromedp.Run(bctx, chromedp.Evaluate[string](first+`.innerText`))
			return s
		}())
	}
	if eval(first+`.querySelector('a[href^="https://learn.microsoft.com/"]') && `+first+`.querySelector('a[href="#check-download.microsoft.com-443"]') ? 1 : 0`) != 1 {
		t.Error("first cause lacks a source link or a link to its check")
	}

	total := eval(`document.querySelectorAll("tr.check").length`)
	if total != 7 || eval(visibleRows) != total {
		t.Fatalf("rows: %d total, %d visible; want 7 all visible", total, eval(visibleRows))
	}

	// Status filter: unchecking "pass" hides the three passing checks.
	do("uncheck pass", chromedp.Click(chromedp.CSS(`input.status-filter[value="pass"]`)))
	if got := eval(visibleRows); got != 4 {
		t.Errorf("after hiding pass: %d rows visible, want 4", got)
	}
	if got := eval(`Array.from(document.querySelectorAll("tr.check")).filter(r => r.offsetParent !== null && r.dataset.status === "pass").length`); got != 0 {
		t.Errorf("%d passing rows still visible", got)
	}
	do("recheck pass", chromedp.Click(chromedp.CSS(`input.status-filter[value="pass"]`)))
	if got := eval(visibleRows); got != total {
		t.Errorf("after showing pass again: %d rows visible, want %d", got, total)
	}

	// Group filter: "site" leaves the one site check and hides the other group sections.
	eval(`(() => { const s = document.getElementById("group-filter"); s.value = "site"; s.dispatchEvent(new Event("change")); return 0; })()`)
	if got := eval(visibleRows); got != 1 {
		t.Errorf("group site: %d rows visible, want 1", got)
	}
	if got := eval(`Array.from(document.querySelectorAll("section.group")).filter(s => s.offsetParent !== null).length`); got != 1 {
		t.Errorf("group site: %d group sections visible, want 1", got)
	}
	eval(`(() => { const s = document.getElementById("group-filter"); s.value = ""; s.dispatchEvent(new Event("change")); return 0; })()`)
	if got := eval(visibleRows); got != total {
		t.Errorf("all groups: %d rows visible, want %d", got, total)
	}

	// A finding's link to a check that a filter hides clears the filters.
	do("hide fail", chromedp.Click(chromedp.CSS(`input.status-filter[value="fail"]`)))
	do("follow link", chromedp.Click(chromedp.CSS(`#finding-1 a[href="#check-download.microsoft.com-443"]`)))
	if got := eval(visibleRows); got != total {
		t.Errorf("after following a finding's link: %d rows visible, want %d", got, total)
	}
	if eval(`location.hash === "#check-download.microsoft.com-443" ? 1 : 0`) != 1 {
		t.Error("the link did not navigate to the check row")
	}

	// Drill-down: the evidence of the denied check opens on click and shows the block page.
	const ev = `document.getElementById("ev-check-download.microsoft.com-443")`
	if eval(ev+`.offsetParent === null ? 0 : 1`) != 0 {
		t.Error("evidence visible before the click")
	}
	do("open evidence", chromedp.Click(chromedp.CSS(`tr[id="check-download.microsoft.com-443"] button.toggle`)))
	if eval(ev+`.offsetParent === null ? 0 : 1`) != 1 {
		t.Error("evidence hidden after the click")
	}
	if eval(ev+`.innerText.includes("Access Denied - Content Gateway") && `+ev+`.innerText.includes("HTTP/1.1 403 Forbidden") ? 1 : 0`) != 1 {
		t.Error("evidence lacks the proxy's status line and page title")
	}

	// Sort by total time: slowest first, then fastest first, within each group's table.
	const order = `(() => { const t = Array.from(document.querySelectorAll("table.checks tbody"))[0];
		const v = Array.from(t.querySelectorAll("tr.check")).map(r => Number(r.dataset.total));
		for (let i = 1; i < v.length; i++) { if (v[i-1] > v[i]) return -1; }
		for (let i = 1; i < v.length; i++) { if (v[i-1] < v[i]) return 1; }
		return 0; })()`
	do("sort", chromedp.Click(chromedp.CSS(`th.sortable`)))
	if got := eval(order); got != -1 {
		t.Errorf("after one click the first table is not descending (%d)", got)
	}
	do("sort again", chromedp.Click(chromedp.CSS(`th.sortable`)))
	if got := eval(order); got != 1 {
		t.Errorf("after two clicks the first table is not ascending (%d)", got)
	}
	// Evidence rows travel with their check rows.
	if eval(`document.querySelectorAll("tr.check").length === Array.from(document.querySelectorAll("tr.check")).filter(r => r.nextElementSibling && r.nextElementSibling.id === "ev-" + r.id).length ? 1 : 0`) != 1 {
		t.Error("sorting separated a check from its evidence row")
	}

	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	shotDir := filepath.Join("testdata", "screenshots")
	if err := os.MkdirAll(shotDir, 0o755); err != nil {
		shotDir = t.TempDir()
	}
	shotPath, _ := filepath.Abs(filepath.Join(shotDir, "proxy-denied.png"))
	if err := os.WriteFile(shotPath, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", shotPath)

	// Printed: the filter bar and toggles go away, and the page prints to PDF.
	do("print media", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
		return err
	}))
	if eval(`document.getElementById("filters").offsetParent === null ? 1 : 0`) != 1 {
		t.Error("filter bar visible in print media")
	}
	if printShot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)); err == nil {
		p := strings.TrimSuffix(shotPath, ".png") + "-print.png"
		if os.WriteFile(p, printShot, 0o644) == nil {
			t.Logf("print-media screenshot: %s", p)
		}
	}
	pdf, err := chromedp.Run(bctx, chromedp.PrintToPDF(chromedp.PDFPrintBackground()))
	if err != nil || !strings.HasPrefix(string(pdf), "%PDF") {
		t.Errorf("print to PDF: %v (%d bytes)", err, len(pdf))
	} else if err := os.WriteFile(strings.TrimSuffix(shotPath, ".png")+".pdf", pdf, 0o644); err == nil {
		t.Logf("printed: %s", strings.TrimSuffix(shotPath, ".png")+".pdf")
	}
	do("screen media", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""})
		return err
	}))

	// The hostile report: markup from the network stays text, nothing runs.
	do("open hostile report", chromedp.Navigate(pages["tls-intercepted"]), chromedp.WaitVisible(chromedp.CSS("#verdict")))
	do("open hostile evidence", chromedp.Click(chromedp.CSS(`tr[id="check-sccm.manage.microsoft.com-443"] button.toggle`)))
	if got := eval(`document.querySelectorAll("img, iframe, svg, b").length + document.scripts.length`); got != 1 {
		t.Errorf("hostile strings became %d elements (want only the page's own script)", got-1)
	}
	if eval(`document.body.innerText.includes("<script>alert(1)</script>") ? 1 : 0`) != 1 {
		t.Error("the hostile certificate subject is not shown as text")
	}

	// Give late events a moment, then check the whole session.
	do("settle", chromedp.Sleep(200*time.Millisecond))
	requests, problems := events.snapshot()
	for _, p := range problems {
		t.Errorf("page problem: %s", p)
	}
	allowed := map[string]bool{pages["proxy-denied"]: true, pages["tls-intercepted"]: true}
	for _, r := range requests {
		if !allowed[r] {
			t.Errorf("network request to %s", r)
		}
	}
	if len(requests) < 2 {
		t.Errorf("saw %d requests; the network listener does not work", len(requests))
	}
}

// startChromium starts headless Chromium for one test (skipped in -short mode; required
// in CI) and records the requests and problems of its pages.
func startChromium(t *testing.T) (context.Context, *browserEvents) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (Debian package chromium); CI must have it", chromiumPath)
		} else {
			t.Skipf("%s not found (Debian package chromium)", chromiumPath)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1000),
	)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancelBrowser)

	events := &browserEvents{}
	if err := chromedp.Listen(bctx, events.add); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return bctx, events
}
