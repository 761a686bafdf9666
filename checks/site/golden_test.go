package site

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/cmpreflight/cmpreflight/facts"
)

var update = flag.Bool("update", false, "rewrite the golden facts in testdata/golden")

// TestGoldenFacts pins the site section and site checks that each fixture hierarchy yields:
// the files are also ready-made policy inputs for the placement rules.
func TestGoldenFacts(t *testing.T) {
	cases := []struct {
		name, dir string
		o         Options
	}{
		{"a-standalone", "standalone", Options{SCPServer: "CM01.contoso.com"}},
		{"b-cas-child-primary", "cas-child", Options{SCPServer: "PRI01.contoso.com"}},
		{"c-existing-scp", "existing-scp", Options{SCPServer: "CM01.contoso.com"}},
		{"proxy-creds-remote", "proxy-creds", Options{SCPServer: "SCP02.contoso.com"}},
		{"expansion", "expansion", Options{SCPServer: "CAS01.contoso.com"}},
		{"offline-role", "offline-role", Options{SCPServer: "CM01.contoso.com"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, cs := Analyze(load(t, c.dir), c.o)
			got, err := json.MarshalIndent(struct {
				Site   *facts.SiteFacts `json:"site"`
				Checks []facts.Check    `json:"checks"`
			}{f, cs}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", c.name+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run GoldenFacts -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the facts made now:\n%s", path, got)
			}
		})
	}
}
