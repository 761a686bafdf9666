package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Bad input files: each refused with exit 2, naming the file and the line the user must edit.
func TestBadInputFilesNameFileAndLine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		return p
	}
	big := filepath.Join(dir, "big.yaml")
	os.WriteFile(big, []byte("timeout: 5s\n"+strings.Repeat("# padding\n", 1<<20)), 0o644)
	for name, c := range map[string]struct {
		args []string
		want []string
	}{
		"yaml line":        {[]string{"run", "--config", write("c1.yaml", "timeout: 5s\nproxy: [unclosed\n")}, []string{"c1.yaml: yaml: line 2: "}},
		"yaml flow map":    {[]string{"run", "--config", write("c2.yaml", "a: 1\n\nproxy: {unclosed\n")}, []string{"c2.yaml: yaml: line 3: "}},
		"password in URL":  {[]string{"run", "--config", write("c3.yaml", "timeout: 5s\nproxy: http://svc:S3cret@proxy.contoso.com:8080\n")}, []string{"c3.yaml:2: \"proxy\": a password in a URL is refused", "CMPREFLIGHT_PROXY_PASSWORD"}},
		"size cap":         {[]string{"run", "--config", big}, []string{"big.yaml: larger than 8 MB"}},
		"endpoints keys":   {[]string{"endpoints", "--endpoints", write("e1.yaml", "entries:\n  - {name: a.example.com, prots: [443]}\n  - {name: b.example.com}\n  - {name: c.example.com, colour: red}\n")}, []string{"e1.yaml:2: unknown key \"prots\" (valid keys: name, kind, ports,", "e1.yaml:4: unknown key \"colour\""}},
		"endpoints every":  {[]string{"endpoints", "--endpoints", write("e2.yaml", "entries:\n  - {name: a.example.com, kind: hostt}\n  - {name: ok.example.com}\n  - {name: \"http://\", kind: url}\n")}, []string{"e2.yaml:2: entry \"a.example.com\": kind must be", "e2.yaml:4: entry \"http://\""}},
		"endpoints syntax": {[]string{"endpoints", "--endpoints", write("e3.yaml", "entries:\n  - {name: a.example.com\n")}, []string{"e3.yaml: yaml: line 2: "}},
	} {
		r := runBin(t, nil, c.args...)
		if r.code != 2 {
			t.Errorf("%s: exit %d, want 2; stderr %q", name, r.code, r.stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr %q lacks %q", name, r.stderr, w)
			}
		}
		if strings.Contains(r.stderr, "S3cret") {
			t.Errorf("%s: the password is echoed: %q", name, r.stderr)
		}
	}
}
