package reports

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/facts"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden from the fixtures")

// fixtures are the hand-written JSON reports every golden file is rendered from.
// hostile carries strings a network or a user's policy could put in a report (line breaks,
// "::" and "##vso[" commands, %, ], ;, markup) and a record of the policies that judged it.
var fixtures = []string{"direct-pass", "proxy-denied", "tls-intercepted", "hostile"}

var goldenExt = map[string]string{
	"json": "json", "html": "html", "junit": "xml", "sarif": "sarif", "markdown": "md", "text": "txt", "prom": "prom",
	"github": "github.txt", "azure-devops": "azure-devops.txt",
}

func loadFixture(t *testing.T, name string) *facts.Document {
	t.Helper()
	doc, err := ReadJSON(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func render(t *testing.T, format string, doc *facts.Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, format, doc); err != nil {
		t.Fatalf("render %s: %v", format, err)
	}
	return buf.Bytes()
}

// TestGolden renders every fixture in every format and compares with testdata/golden;
// `go test ./reports -update` rewrites them after an intended change.
func TestGolden(t *testing.T) {
	for _, fx := range fixtures {
		doc := loadFixture(t, fx)
		for _, format := range Formats() {
			t.Run(fx+"/"+format, func(t *testing.T) {
				got := render(t, format, doc)
				path := filepath.Join("testdata", "golden", fx+"."+goldenExt[format])
				if *update {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, got, 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./reports -update)", err)
				}
				if !bytes.Equal(got, want) && format == "json" {
					// The facts model grows as issues land; a field added with its zero value
					// must not break this test, a changed or lost value must.
					if err := jsonSubset(want, got); err != nil {
						t.Errorf("%s: %v (run go test ./reports -update if intended)", path, err)
					} else {
						t.Logf("%s: only zero-valued fields were added; go test ./reports -update refreshes it", path)
					}
					return
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s differs from the golden file; first difference:\n%s\n(run go test ./reports -update if intended)", path, firstDiff(string(want), string(got)))
				}
			})
		}
	}
}

// TestRenderDeterministic guards the golden files: two renderings of one document are equal.
func TestRenderDeterministic(t *testing.T) {
	doc := loadFixture(t, "proxy-denied")
	for _, format := range Formats() {
		if a, b := render(t, format, doc), render(t, format, doc); !bytes.Equal(a, b) {
			t.Errorf("%s: two renderings differ", format)
		}
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n- " + w + "\n+ " + g
		}
	}
	return "(none)"
}

// jsonSubset checks that every value of want is in got and that whatever got adds is a zero
// value (false, 0, "", null, [] or {}).
func jsonSubset(want, got []byte) error {
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		return fmt.Errorf("golden: %w", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		return fmt.Errorf("rendered: %w", err)
	}
	return subset("$", w, g)
}

func subset(path string, w, g any) error {
	switch wv := w.(type) {
	case map[string]any:
		gv, ok := g.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: got %T, want an object", path, g)
		}
		for k, x := range wv {
			y, ok := gv[k]
			if !ok {
				return fmt.Errorf("%s.%s: missing", path, k)
			}
			if err := subset(path+"."+k, x, y); err != nil {
				return err
			}
		}
		for k, y := range gv {
			if _, ok := wv[k]; !ok && !isZeroJSON(y) {
				return fmt.Errorf("%s.%s: new non-zero value %v", path, k, y)
			}
		}
		return nil
	case []any:
		gv, ok := g.([]any)
		if !ok || len(gv) != len(wv) {
			return fmt.Errorf("%s: got %v, want %d elements", path, g, len(wv))
		}
		for i := range wv {
			if err := subset(fmt.Sprintf("%s[%d]", path, i), wv[i], gv[i]); err != nil {
				return err
			}
		}
		return nil
	default:
		if !reflect.DeepEqual(w, g) {
			return fmt.Errorf("%s: got %v, want %v", path, g, w)
		}
		return nil
	}
}

func isZeroJSON(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case float64:
		return x == 0
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		for _, y := range x {
			if !isZeroJSON(y) {
				return false
			}
		}
		return true
	}
	return false
}
