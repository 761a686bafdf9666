package sources

import (
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// Every entry of the table has a title, an https URL on a Microsoft site and a page date.
func TestTableComplete(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) < 10 {
		t.Fatalf("table has %d entries, want every key of the catalog and the policies", len(all))
	}
	for _, s := range all {
		if s.Key == "" || s.Title == "" {
			t.Errorf("%+v: key and title are required", s)
		}
		u, err := url.Parse(s.URL)
		if err != nil || u.Scheme != "https" || !strings.HasSuffix(u.Hostname(), ".microsoft.com") {
			t.Errorf("%s: url %q is not an https URL on a microsoft.com site", s.Key, s.URL)
		}
		if !validDate(s.Date) {
			t.Errorf("%s: date %q is not YYYY-MM-DD, YYYY-MM or YYYY", s.Key, s.Date)
		}
	}
}

func validDate(d string) bool {
	for _, layout := range []string{"2006-01-02", "2006-01", "2006"} {
		if _, err := time.Parse(layout, d); err == nil {
			return true
		}
	}
	return false
}

func TestResolve(t *testing.T) {
	got := Resolve("SEED, IE;mine")
	if len(got) != 3 || got[0].Key != "SEED" || got[0].URL == "" || got[1].Key != "IE" || got[2] != (Source{Key: "mine"}) {
		t.Errorf("Resolve = %+v", got)
	}
	if _, ok := Lookup("ie"); ok {
		t.Error("Lookup is case-sensitive: ie is not IE")
	}
}

// regoSource finds the literal source field of a finding object in Rego.
var regoSource = regexp.MustCompile(`"source":\s*"([^"]*)"`)

// Every source key used by an endpoint catalog (any *.yaml under a catalog/ folder) or by a
// built-in Rego policy (literal "source" fields and the sources of # METADATA blocks) is in
// the table. The files are found by walking the module, so a package move does not empty
// the test: it also requires that it found them.
func TestEveryUsedKeyIsInTable(t *testing.T) {
	root := moduleRoot(t)
	used := map[string][]string{} // key -> files
	var catalogs, policies int
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && p != root || d.Name() == "testdata" || d.Name() == "bin" {
				return filepath.SkipDir
			}
			return nil
		}
		slash := filepath.ToSlash(rel)
		switch {
		case strings.HasSuffix(p, ".yaml") && strings.Contains(slash, "catalog/"):
			catalogs++
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			var doc struct {
				Entries []struct {
					Sources []string `yaml:"sources"`
				} `yaml:"entries"`
			}
			if err := yaml.Unmarshal(b, &doc); err != nil {
				t.Errorf("%s: %v", slash, err)
			}
			for _, e := range doc.Entries {
				for _, k := range e.Sources {
					used[k] = append(used[k], slash)
				}
			}
		case strings.HasSuffix(p, ".rego") && !strings.HasSuffix(p, "_test.rego") && strings.Contains(slash, "builtin/"):
			policies++
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, m := range regoSource.FindAllStringSubmatch(string(b), -1) {
				for _, k := range Keys(m[1]) {
					used[k] = append(used[k], slash)
				}
			}
			for _, k := range metadataSources(string(b)) {
				used[k] = append(used[k], slash)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if catalogs == 0 || policies < 5 {
		t.Fatalf("found %d catalog files and %d built-in policies under %s: the walk missed them", catalogs, policies, root)
	}
	for _, k := range []string{"SEED", "IE", "KB4561945"} {
		if len(used[k]) == 0 {
			t.Errorf("no file uses %s: the scan is broken", k)
		}
	}
	for k, files := range used {
		if _, ok := Lookup(k); !ok {
			t.Errorf("source key %q (used in %s) is not in sources.yaml", k, strings.Join(dedupe(files), ", "))
		}
	}
}

// metadataSources reads the "sources: [A, B]" lines of # METADATA comment blocks.
var metaSourcesLine = regexp.MustCompile(`(?m)^#\s+sources:\s*\[([^\]]*)\]`)

func metadataSources(rego string) []string {
	var out []string
	for _, m := range metaSourcesLine.FindAllStringSubmatch(rego, -1) {
		out = append(out, Keys(m[1])...)
	}
	return out
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}
