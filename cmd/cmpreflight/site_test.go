package main

import (
	"path/filepath"
	"testing"
)

// The three hierarchies of the site issue's acceptance: a stand-alone primary is compliant, a
// CAS with the SCP target on a child primary is "not top-level", and a hierarchy that already
// has an SCP on another server is a "second instance".
func TestSitePlacementVerdicts(t *testing.T) {
	inv := func(name string) string { return filepath.Join("..", "..", "checks", "site", "testdata", name) }
	cases := []struct {
		inventory, server string
		deny              string // "" = compliant
	}{
		{"standalone", "CM01.contoso.com", ""},
		{"cas-child", "PRI01.contoso.com", "scp.top_level"},
		{"existing-scp", "CM01.contoso.com", "scp.single_instance"},
	}
	for _, c := range cases {
		t.Run(c.inventory, func(t *testing.T) {
			r := runBin(t, nil, "run", "--checks", "site", "--inventory", inv(c.inventory), "--scp-server", c.server, "--quiet")
			if r.doc == nil || r.doc.Site == nil {
				t.Fatalf("no site facts: exit %d %s", r.code, r.stderr)
			}
			var denies []string
			for _, d := range r.doc.Verdict.Deny {
				denies = append(denies, d.Rule)
			}
			if c.deny == "" {
				if r.code != 0 || !r.doc.Verdict.Compliant || !r.doc.Site.TopLevel {
					t.Errorf("exit %d, denies %v, topLevel %v; want compliant", r.code, denies, r.doc.Site.TopLevel)
				}
				return
			}
			if r.code != 1 || !contains(denies, c.deny) {
				t.Errorf("exit %d, denies %v; want %s", r.code, denies, c.deny)
			}
		})
	}
}
