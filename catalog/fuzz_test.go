package catalog

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzParseCatalog feeds arbitrary YAML to the catalog loader in both modes (a profile and a
// user's --endpoints file): it must never panic, every error must name the file, and what it
// accepts must plan into checks with a host, a port in range and a URL that parses.
func FuzzParseCatalog(f *testing.F) {
	for _, name := range Profiles() {
		if b, err := catalogFS.ReadFile(name + ".yaml"); err == nil {
			f.Add(b, false)
		}
	}
	for _, s := range []string{
		"entries:\n  - {name: a.example.com, ports: [443, 80]}\n  - {name: \"https://b.example.com/x?y=1\", required: false}\n",
		"entries:\n  - {name: \"*.example.com\", probes: [www.example.com]}\n  - {name: \"*example.net\"}\n",
		"entries:\n  - {name: \"https://login.example.com/{TenantID}/oauth2\", ports: [443, 8443]}\n",
		"entries:\n  - name: 127.0.0.1\n    ports: [1]\n    cloud: usgov\n    editions: [seed]\n",
		"entries:\n  - {name: \"no spaces.example.com\"}\n",
		"entries: []\n",
		"profile: x\nentries:\n  - {name: a.b, kind: url}\n",
		"entries:\n  - {name: a.b, bogus: 1}\n",
		"entries:\n  - {name: \"http://[::1]:99999/\"}\n",
		"",
	} {
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, user bool) {
		c, err := ParseCatalog("fuzz.yaml", data, user)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, e := range c.Entries {
			if e.Name == "" || (e.Kind != KindHost && e.Kind != KindURL && e.Kind != KindWildcard) || len(e.Ports) == 0 || e.User != user {
				t.Fatalf("accepted a malformed entry %+v", e)
			}
		}
		for _, o := range []PlanOptions{{Edition: EditionCurrent, Cloud: "public"}, {Edition: EditionAll, Cloud: "usgov", TenantID: "t/../x?"}} {
			targets, _ := Plan(c.Entries, o)
			for _, tg := range targets {
				if tg.Host == "" || tg.Port < 1 || tg.Port > 65535 {
					t.Fatalf("bad target %+v", tg)
				}
				u, err := url.Parse(tg.URL)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
					t.Fatalf("target %s has an unusable URL %q: %v", tg.ID, tg.URL, err)
				}
			}
			EntrySources(c.Entries, o.Edition, o.Cloud)
		}
	})
}
