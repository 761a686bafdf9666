package catalog

import (
	"strings"
	"testing"
)

func TestMatchPattern(t *testing.T) {
	cases := []struct {
		pattern, host string
		want          bool
	}{
		{"*.manage.microsoft.com", "sccm.manage.microsoft.com", true},
		{"*.manage.microsoft.com", "manage.microsoft.com", false},
		{"*manage.microsoft.com", "manage.microsoft.com", true},
		{"*manage.microsoft.com", "a.b.manage.microsoft.com", true},
		{"*manage.microsoft.com", "evilmanage.microsoft.com", false},
		{"*-umwatsonc.events.data.microsoft.com", "ceuswatcab-umwatsonc.events.data.microsoft.com", true},
		{"*-umwatsonc.events.data.microsoft.com", "umwatsonc.events.data.microsoft.com", false},
		{"go.microsoft.com", "GO.microsoft.com.", true},
		{"go.microsoft.com", "ago.microsoft.com", false},
		{"*.akamaiedge.net", "e1234.dscb.akamaiedge.net", true},
	}
	for _, c := range cases {
		if got := MatchPattern(c.pattern, c.host); got != c.want {
			t.Errorf("MatchPattern(%q, %q) = %v, want %v", c.pattern, c.host, got, c.want)
		}
	}
}

func TestSCPCatalogCoversBothEditions(t *testing.T) {
	c, err := LoadProfile("scp")
	if err != nil {
		t.Fatal(err)
	}
	targets, notes := Plan(c.Entries, PlanOptions{Edition: EditionCurrent, Cloud: "public"})
	if len(notes) != 1 || !strings.Contains(notes[0], "common") {
		t.Errorf("notes = %v, want the common-tenant note", notes)
	}
	byID := map[string]Target{}
	for _, tg := range targets {
		byID[tg.ID] = tg
	}
	// Every seed location on 443 and 80, every current host on 443, revocation on 80.
	want := []string{
		"download.windowsupdate.com:443", "download.windowsupdate.com:80",
		"sccmconnected-a01.cloudapp.net:80", "blob.core.windows.net:443",
		"bspmts.mp.microsoft.com:80", "login.microsoftonline.com:443",
		"sccm.manage.microsoft.com:443", "sccm.manage.microsoft.com:80",
		"configmgrbits.cdn.manage.microsoft.com:443", "manage.microsoft.com:443",
		"weus2watcab02.blob.core.windows.net:443", "dl.delivery.mp.microsoft.com:443",
		"management.azure.com:443", "graph.microsoft.com:443", "aka.ms:443",
		"dc.services.visualstudio.com:443", "crl3.digicert.com:80", "www.microsoft.com:80",
		"ctldl.windowsupdate.com:80", "mscrl.microsoft.com:80", "oneocsp.microsoft.com:80",
	}
	for _, id := range want {
		if _, ok := byID[id]; !ok {
			t.Errorf("plan lacks %s", id)
		}
	}
	if _, ok := byID["management.usgovcloudapi.net:443"]; ok {
		t.Error("public cloud plan includes the US Government endpoint")
	}
	if tg := byID["sccmconnected-a01.cloudapp.net:443"]; tg.Required || len(tg.RequiredIn) != 1 {
		t.Errorf("seed-only endpoint: required=%v requiredIn=%v; want not required under current", tg.Required, tg.RequiredIn)
	}
	if tg := byID["go.microsoft.com:443"]; !tg.Required || !strings.Contains(tg.URL, "fwlink") || !tg.FollowRedirects {
		t.Errorf("go.microsoft.com:443 = %+v; want required fwlink URL with redirects", tg)
	}
	if tg := byID["login.microsoftonline.com:443"]; tg.URL != "https://login.microsoftonline.com/common" {
		t.Errorf("tenant URL = %q", tg.URL)
	}
	if tg := byID["bspmts.mp.microsoft.com:80"]; tg.URL != "http://bspmts.mp.microsoft.com/V" {
		t.Errorf("port 80 variant of an https URL = %q", tg.URL)
	}
	if tg := byID["sccm.manage.microsoft.com:443"]; len(tg.Wildcards) != 2 {
		t.Errorf("sccm probe wildcards = %v", tg.Wildcards)
	}

	seed, _ := Plan(c.Entries, PlanOptions{Edition: EditionSeed, Cloud: "usgov", TenantID: "contoso"})
	for _, tg := range seed {
		if tg.ID == "management.usgovcloudapi.net:443" && tg.Required {
			t.Error("usgov endpoint is current-edition only; not required under seed")
		}
		if tg.ID == "sccmconnected-a01.cloudapp.net:80" && !tg.Required {
			t.Error("seed edition requires port 80 for every location")
		}
		if tg.ID == "management.azure.com:443" {
			t.Error("usgov plan includes the public Azure endpoint")
		}
	}
}

func TestParseCatalogErrorsNameTheLine(t *testing.T) {
	cases := map[string]string{
		"entries:\n  - {name: ok.example.com}\n  - {name: \"bad host!\"}\n": ":3:",
		"entries:\n  - {name: a.example.com, ports: [0]}\n":                 ":2:",
		"entries:\n  - {name: a.example.com, kind: thing}\n":                ":2:",
		"entries:\n  - {name: a.example.com, colour: red}\n":                `user.yaml:2: unknown key "colour" (valid keys: name, kind,`,
		"entries:\n  - {name: \"*.x.com\", probes: [x.com]}\n":              ":2:",
		"entries: [\n": "user.yaml",
		"entries:\n  - {name: \"ftp://x.com/\"}\n": ":2:",
	}
	for in, want := range cases {
		_, err := ParseCatalog("user.yaml", []byte(in), true)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "user.yaml") {
			t.Errorf("ParseCatalog(%q) error = %v, want it to contain %q", in, err, want)
		}
	}
}

// The embedded profiles are decoded without the strict pass a user's file gets: each must
// pass it here, so a misspelt field in them fails the tests instead of being ignored.
func TestEmbeddedProfilesAreStrict(t *testing.T) {
	for _, name := range Profiles() {
		data, err := catalogFS.ReadFile(name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		strict, err := ParseCatalog("profile "+name, data, true)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		loose, err := LoadProfile(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(strict.Entries) != len(loose.Entries) || strict.Proxy != loose.Proxy {
			t.Errorf("%s: %d entries strictly, %d from the node", name, len(strict.Entries), len(loose.Entries))
		}
	}
}
