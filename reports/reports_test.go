package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/facts"
)

func TestFormats(t *testing.T) {
	want := []string{"json", "html", "junit", "sarif", "markdown", "text", "prom", "github", "azure-devops"}
	if got := Formats(); !slices.Equal(got, want) {
		t.Fatalf("Formats() = %v, want %v", got, want)
	}
	for _, f := range want {
		if _, ok := formats[f]; !ok {
			t.Errorf("format %s has no renderer", f)
		}
	}
	if len(formats) != len(want) {
		t.Errorf("%d renderers for %d formats", len(formats), len(want))
	}
}

func TestRenderUnknownFormat(t *testing.T) {
	err := Render(&bytes.Buffer{}, "pdf", &facts.Document{})
	if err == nil || !strings.Contains(err.Error(), "json, html, junit, sarif, markdown, text") {
		t.Fatalf("err = %v, want it to list the formats", err)
	}
	if err := Render(&bytes.Buffer{}, "json", nil); err == nil {
		t.Fatal("nil document rendered")
	}
}

// An empty document (no checks, no verdict, no optional sections) renders in every format.
func TestRenderEmptyDocument(t *testing.T) {
	for _, f := range Formats() {
		var buf bytes.Buffer
		if err := Render(&buf, f, &facts.Document{SchemaVersion: facts.SchemaVersion}); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if buf.Len() == 0 {
			t.Errorf("%s: empty output", f)
		}
	}
}

func TestParseOutputSpec(t *testing.T) {
	for _, tc := range []struct {
		in, format, path, errHas string
	}{
		{in: "html=r.html", format: "html", path: "r.html"},
		{in: "JSON=out/report.json", format: "json", path: "out/report.json"},
		{in: "junit=C:\\reports\\a=b.xml", format: "junit", path: "C:\\reports\\a=b.xml"},
		{in: "markdown=-", format: "markdown", path: "-"},
		{in: "html", errHas: "--output"},
		{in: "=r.html", errHas: "FORMAT=PATH"},
		{in: "html=", errHas: "FORMAT=PATH"},
		{in: "pdf=r.pdf", errHas: "json, html, junit, sarif, markdown, text"},
	} {
		f, p, err := ParseOutputSpec(tc.in)
		if tc.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), tc.errHas) || !strings.Contains(err.Error(), "--output") {
				t.Errorf("%q: err = %v, want one naming --output and containing %q", tc.in, err, tc.errHas)
			}
			continue
		}
		if err != nil || f != tc.format || p != tc.path {
			t.Errorf("%q = (%q, %q, %v), want (%q, %q)", tc.in, f, p, err, tc.format, tc.path)
		}
	}
}

func TestWriteFileAtomic(t *testing.T) {
	doc := loadFixture(t, "proxy-denied")
	dir := t.TempDir()
	for _, f := range Formats() {
		path := filepath.Join(dir, "report."+goldenExt[f])
		if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(path, f, doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if want := render(t, f, doc); !bytes.Equal(got, want) {
			t.Errorf("%s: file differs from Render", f)
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if m := st.Mode().Perm(); m != 0o644 && os.PathSeparator == '/' {
			t.Errorf("%s: mode %v, want 0644", f, m)
		}
	}
	// An unknown format fails before touching the disk; a missing directory fails cleanly.
	if err := WriteFile(filepath.Join(dir, "x.pdf"), "pdf", doc); err == nil {
		t.Error("unknown format written")
	}
	if err := WriteFile(filepath.Join(dir, "missing", "x.json"), "json", doc); err == nil {
		t.Error("write into a missing directory succeeded")
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
	if len(ents) != len(Formats()) {
		t.Errorf("%d files in the directory, want %d", len(ents), len(Formats()))
	}
}

// A failing render leaves the previous report in place and no temporary file.
func TestWriteFileKeepsOldReportOnError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	if err := os.WriteFile(path, []byte("previous"), 0o644); err != nil {
		t.Fatal(err)
	}
	formats["failing"] = func(w io.Writer, _ *facts.Document) error {
		io.WriteString(w, "half")
		return errors.New("boom")
	}
	t.Cleanup(func() { delete(formats, "failing") })
	if err := WriteFile(path, "failing", &facts.Document{}); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Fatalf("err = %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "previous" {
		t.Errorf("report = %q, want the previous one", got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("%d files, want 1", len(ents))
	}
}

func TestReadJSON(t *testing.T) {
	doc := loadFixture(t, "proxy-denied")
	if doc.Verdict == nil || len(doc.Verdict.Deny) != 2 || doc.Proxy == nil || doc.Site == nil || doc.Trust == nil {
		t.Fatalf("fixture not read fully: %+v", doc)
	}
	// Round trip: the JSON report read back renders to the same JSON.
	dir := t.TempDir()
	path := filepath.Join(dir, "r.json")
	if err := WriteFile(path, "json", doc); err != nil {
		t.Fatal(err)
	}
	again, err := ReadJSON(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(render(t, "json", doc), render(t, "json", again)) {
		t.Error("JSON round trip changed the document")
	}

	for name, tc := range map[string]struct{ body, errHas string }{
		"future":  {`{"schemaVersion": 2, "checks": []}`, "schemaVersion 2"},
		"newer":   {`{"schemaVersion": 2, "tool": {"name": "cmpreflight", "version": "v9"}}`, "schemaVersion 2 (written by cmpreflight v9) is newer than this build reads (1)"},
		"older":   {`{"schemaVersion": 0, "tool": {"name": "cmpreflight", "version": "v0.0.1"}}`, "schemaVersion 0 (written by cmpreflight v0.0.1) is older than this build reads (1)"},
		"fleet":   {`{"schemaVersion": 1, "kind": "cmpreflight-fleet", "tool": {"name": "cmpreflight"}}`, "a fleet document"},
		"foreign": {`{"schemaVersion": 1, "tool": {"name": "other"}}`, "not a cmpreflight JSON report"},
		"missing": {`{"checks": []}`, "no schemaVersion"},
		"garbage": {`<html>`, "not JSON"},
	} {
		p := filepath.Join(dir, name+".json")
		if err := os.WriteFile(p, []byte(tc.body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadJSON(p); err == nil || !strings.Contains(err.Error(), tc.errHas) {
			t.Errorf("%s: err = %v, want %q", name, err, tc.errHas)
		}
	}
	if _, err := ReadJSON(filepath.Join(dir, "absent.json")); err == nil {
		t.Error("absent file read")
	}
}

// The text report never passes a terminal control sequence through.
func TestTextNeutralisesControlCharacters(t *testing.T) {
	out := string(render(t, "text", loadFixture(t, "tls-intercepted")))
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("control character in text report:\n%q", out)
	}
	if !strings.Contains(out, `\x1b]0;title\x07`) {
		t.Error("control characters not shown as placeholders")
	}
}

func TestTextColumnsAligned(t *testing.T) {
	out := string(render(t, "text", loadFixture(t, "proxy-denied")))
	lines := strings.Split(out, "\n")
	head := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "CHECK ") })
	if head < 0 {
		t.Fatalf("no check table:\n%s", out)
	}
	col := strings.Index(lines[head], "STATUS")
	for _, l := range lines[head+1 : head+8] {
		if len(l) <= col || l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("status column not at %d in %q", col, l)
		}
	}
	if !strings.HasPrefix(out, "Verdict: NOT COMPLIANT (2 deny, 2 warn, 1 waived)") {
		t.Errorf("verdict line missing:\n%s", out)
	}
}

func TestMarkdownEscapesCells(t *testing.T) {
	out := string(render(t, "markdown", loadFixture(t, "tls-intercepted")))
	for _, bad := range []string{"<script>", "<img", "<b>", "**bold**", "[link](javascript:", "\x1b"} {
		if strings.Contains(out, bad) {
			t.Errorf("markdown contains %q unescaped", bad)
		}
	}
	// Every table row keeps its column count despite pipes in the data.
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "| Rule |") || strings.HasPrefix(l, "| scp.") || strings.HasPrefix(l, "| user.") {
			if n := strings.Count(strings.ReplaceAll(l, `\|`, ""), "|"); n != 6 {
				t.Errorf("row has %d separators, want 6: %s", n, l)
			}
		}
	}
	pass := string(render(t, "markdown", loadFixture(t, "direct-pass")))
	if !strings.Contains(pass, "<details><summary>4 passing checks</summary>") {
		t.Errorf("passing checks not collapsed:\n%s", pass)
	}
}

// The streamed JSON report is byte for byte what encoding/json writes for the whole document.
func TestStreamedJSONMatchesEncoder(t *testing.T) {
	doc := &facts.Document{SchemaVersion: 1, Tool: facts.Tool{Name: "cmpreflight", Version: "x"}}
	for i := 0; i < 3; i++ {
		doc.Checks = append(doc.Checks, facts.Check{ID: fmt.Sprintf("h%d.example:443", i), Status: "pass",
			Message: "<b>\"checks\": []\n  \"checks\": [] & é"})
	}
	for _, d := range []*facts.Document{doc, {SchemaVersion: 1, Checks: []facts.Check{}}} {
		var want, got bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(d); err != nil {
			t.Fatal(err)
		}
		if err := Render(&got, "json", d); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("streamed JSON differs:\n%s\nwant:\n%s", got.String(), want.String())
		}
	}
}
