package reports

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/checks"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden from the fixtures")

// fixtures are the hand-written JSON reports every golden file is rendered from.
var fixtures = []string{"direct-pass", "proxy-denied", "tls-intercepted"}

var goldenExt = map[string]string{
	"json": "json", "html": "html", "junit": "xml", "sarif": "sarif", "markdown": "md", "text": "txt",
}

func loadFixture(t *testing.T, name string) *checks.Document {
	t.Helper()
	doc, err := ReadJSON(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func render(t *testing.T, format string, doc *checks.Document) []byte {
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
