package catalog

import (
	"slices"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/catalog/sources"
)

func planProfiles(t *testing.T, names []string, cloud string, vals TemplateValues) ([]Target, []Unfilled) {
	t.Helper()
	cats, err := LoadProfiles(names)
	if err != nil {
		t.Fatal(err)
	}
	var entries []Entry
	for _, c := range cats {
		entries = append(entries, c.Entries...)
	}
	filled, unfilled, err := ExpandTemplates(entries, vals, cloud)
	if err != nil {
		t.Fatal(err)
	}
	targets, _ := Plan(filled, PlanOptions{Edition: EditionCurrent, Cloud: cloud})
	return targets, unfilled
}

func byID(ts []Target) map[string]Target {
	m := map[string]Target{}
	for _, t := range ts {
		m[t.ID] = t
	}
	return m
}

// Every profile plans checks in both clouds and records the page and date it was checked
// against, which must be the date the sources table gives that page.
func TestEveryProfileBothClouds(t *testing.T) {
	want := []string{"scp", "scp-connect", "sup", "mp", "cmg", "client", "console"}
	for _, name := range want {
		if !slices.Contains(Profiles(), name) {
			t.Fatalf("profile %s missing from %v", name, Profiles())
		}
		c, err := LoadProfile(name)
		if err != nil {
			t.Fatal(err)
		}
		if c.CheckedAgainst == nil || c.Machine == "" || c.Proxy == "" {
			t.Errorf("%s: checkedAgainst, machine and proxy are required: %+v", name, c)
			continue
		}
		src, ok := sources.Lookup(c.CheckedAgainst.Source)
		if !ok || src.Date != c.CheckedAgainst.Date || c.CheckedAgainst.Date != "2026-06-08" {
			t.Errorf("%s: checked against %+v, sources table says %+v", name, c.CheckedAgainst, src)
		}
		for _, cloud := range []string{"public", "usgov"} {
			ts, _ := planProfiles(t, []string{name}, cloud, TemplateValues{})
			if len(ts) == 0 {
				t.Errorf("%s/%s: no checks", name, cloud)
			}
			for _, tg := range ts {
				if !slices.Equal(tg.Profiles, []string{name}) {
					t.Errorf("%s/%s: %s profiles = %v", name, cloud, tg.ID, tg.Profiles)
				}
			}
		}
	}
}

func TestProfileFacts(t *testing.T) {
	cases := []struct {
		profile, cloud string
		want, absent   []string
	}{
		// The updates wildcard is for every cloud: usgov keeps its probe hosts.
		{"scp", "usgov", []string{"sccm.manage.microsoft.com:443", "configmgrbits.cdn.manage.microsoft.com:443", "management.usgovcloudapi.net:443", "graph.windows.net:443"}, []string{"management.azure.com:443"}},
		{"scp-connect", "usgov", []string{"sccm.manage.microsoft.com:443"}, nil},
		{"sup", "public", []string{"windowsupdate.microsoft.com:80", "download.windowsupdate.com:80", "download.microsoft.com:80", "ntservicepack.microsoft.com:80", "officecdn.microsoft.com:443"}, []string{"download.windowsupdate.com:443"}},
		{"mp", "public", []string{"login.microsoftonline.com:443", "sts.windows.net:443"}, []string{"login.microsoftonline.us:443"}},
		{"mp", "usgov", []string{"login.microsoftonline.us:443", "sts.windows.net:443"}, []string{"login.microsoftonline.com:443"}},
		{"cmg", "public", []string{"management.azure.com:443", "graph.microsoft.com:443"}, nil},
		{"cmg", "usgov", []string{"management.usgovcloudapi.net:443"}, nil},
		{"client", "usgov", []string{"login.microsoftonline.us:443", "aka.ms:443", "geo.prod.do.dsp.mp.microsoft.com:443"}, nil},
		// Delivery Optimization's wildcard is probed at its documented Geo host, in every cloud.
		{"client", "public", []string{"geo.prod.do.dsp.mp.microsoft.com:443"}, nil},
		{"console", "public", []string{"petrol.office.microsoft.com:443", "github.com:443", "communityhub.microsoft.com:443", "aadcdn.msauth.net:443", "dl.delivery.mp.microsoft.com:80", "edgeupdates.microsoft.com:443"}, nil},
		{"console", "usgov", []string{"login.microsoftonline.us:443"}, []string{"aadcdn.msauth.net:443"}},
	}
	for _, c := range cases {
		ts := byID(mustPlan(t, c.profile, c.cloud))
		for _, id := range c.want {
			if _, ok := ts[id]; !ok {
				t.Errorf("%s/%s lacks %s", c.profile, c.cloud, id)
			}
		}
		for _, id := range c.absent {
			if _, ok := ts[id]; ok {
				t.Errorf("%s/%s has %s", c.profile, c.cloud, id)
			}
		}
	}
	mp := byID(mustPlan(t, "mp", "public"))
	if u := mp["login.microsoftonline.com:443"].URL; u != "https://login.microsoftonline.com/common/.well-known/openid-configuration" {
		t.Errorf("mp request = %q, want Microsoft's own openid-configuration test", u)
	}
	scp := byID(mustPlan(t, "scp", "public"))
	if tg := scp["graph.windows.net:443"]; tg.Required {
		t.Error("graph.windows.net (endpoint analytics only) is required")
	}
	if tg := scp["aka.ms:443"]; !tg.Required {
		t.Error("aka.ms is not required")
	}
}

func mustPlan(t *testing.T, profile, cloud string) []Target {
	ts, _ := planProfiles(t, []string{profile}, cloud, TemplateValues{})
	return ts
}

func TestSharedCheckListsBothProfiles(t *testing.T) {
	ts := byID(mustPlanMany(t, []string{"scp", "sup"}))
	tg, ok := ts["download.windowsupdate.com:443"]
	if !ok || !slices.Equal(tg.Profiles, []string{"scp"}) {
		t.Errorf("download.windowsupdate.com:443 = %+v", tg)
	}
	tg = ts["aka.ms:443"]
	if !slices.Equal(tg.Profiles, []string{"scp", "sup"}) {
		t.Errorf("aka.ms:443 profiles = %v, want scp and sup", tg.Profiles)
	}
	if _, ok := ts["ntservicepack.microsoft.com:80"]; !ok {
		t.Error("the sup checks are missing from a run over scp,sup")
	}
}

func mustPlanMany(t *testing.T, names []string) []Target {
	ts, _ := planProfiles(t, names, "public", TemplateValues{})
	return ts
}

func TestTemplates(t *testing.T) {
	// Without values: every templated entry is unfilled, named with its flag, none planned.
	ts, unfilled := planProfiles(t, []string{"cmg"}, "public", TemplateValues{})
	if len(unfilled) != 4 {
		t.Fatalf("unfilled = %d, want the 4 public CMG names", len(unfilled))
	}
	for _, tg := range ts {
		if strings.Contains(tg.Host, "<") || strings.Contains(tg.Host, "sample") {
			t.Errorf("template planned: %s", tg.ID)
		}
	}
	n := unfilled[0].Note()
	if !strings.Contains(n, "--cmg-name") || !strings.Contains(n, "--cmg-region") || !strings.Contains(n, "not checked") {
		t.Errorf("note = %q", n)
	}
	c := unfilled[0].Check(EditionCurrent)
	if c.Status != "skip" || !c.Required || c.Kind != "template" || c.Profiles[0] != "cmg" {
		t.Errorf("check = %+v", c)
	}
	// With values.
	vals, err := NewTemplateValues(map[string]string{"cmg-name": "GraniteFalls", "cmg-region": "westus", "logic-app-host": "prod1.westus2.logic.azure.com", "upstream-sup": "sup01.contoso.com"})
	if err != nil {
		t.Fatal(err)
	}
	ts, unfilled = planProfiles(t, []string{"cmg", "scp", "sup"}, "public", vals)
	if len(unfilled) != 0 {
		t.Errorf("unfilled = %+v", unfilled)
	}
	m := byID(ts)
	for _, id := range []string{"granitefalls.westus.cloudapp.azure.com:443", "granitefalls.vault.azure.net:443", "prod1.westus2.logic.azure.com:443", "sup01.contoso.com:8530", "sup01.contoso.com:8531"} {
		if _, ok := m[id]; !ok {
			t.Errorf("filled plan lacks %s", id)
		}
	}
	if tg := m["prod1.westus2.logic.azure.com:443"]; len(tg.Wildcards) != 1 || tg.Wildcards[0] != "*.westus2.logic.azure.com" {
		t.Errorf("logic app probe = %+v", tg)
	}
	if tg := m["sup01.contoso.com:8530"]; tg.URL != "http://sup01.contoso.com:8530/" {
		t.Errorf("upstream SUP URL = %q", tg.URL)
	}
	ts, unfilled = planProfiles(t, []string{"cmg"}, "usgov", vals)
	if len(unfilled) != 0 || byID(ts)["granitefalls.usgovcloudapp.net:443"].ID == "" {
		t.Errorf("usgov CMG: unfilled %v, plan %v", unfilled, ts)
	}
	// Bad values name the flag.
	for flag, v := range map[string]string{"cmg-name": "bad name", "cmg-region": "west-us!", "logic-app-host": "example.com", "upstream-sup": "sup01"} {
		if _, err := NewTemplateValues(map[string]string{flag: v}); err == nil || !strings.Contains(err.Error(), "--"+flag) {
			t.Errorf("--%s %q: err = %v", flag, v, err)
		}
	}
	// An unknown placeholder in a catalog is refused with file:line.
	if _, err := ParseCatalog("x.yaml", []byte("entries:\n  - {name: \"<nope>.example.com\"}\n"), true); err == nil || !strings.Contains(err.Error(), "x.yaml:2") || !strings.Contains(err.Error(), "<nope>") {
		t.Errorf("unknown placeholder: %v", err)
	}
}

func TestProfileArgsAndAuto(t *testing.T) {
	got, err := ParseProfileArgs([]string{"scp,sup", "mp", "SCP"})
	if err != nil || !slices.Equal(got, []string{"scp", "sup", "mp"}) {
		t.Errorf("ParseProfileArgs = %v, %v", got, err)
	}
	if _, err := ParseProfileArgs([]string{"scp,nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown profile: %v", err)
	}
	ch, err := ResolveAuto("cm01.contoso.com", []string{"SMS Site System", "SMS Dmp Connector", "sms management point", "SMS Software Update Point"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range ch {
		names = append(names, c.Profile)
		if !strings.Contains(c.Why, "cm01.contoso.com") {
			t.Errorf("why = %q", c.Why)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"mp", "scp", "sup"}) {
		t.Errorf("auto = %v", names)
	}
}

// Every profile's exact checks (host:port, "?" = optional) and wildcard patterns per cloud,
// with every template filled, as Microsoft's page of 2026-06-08 lists them
// (/work/shared/docs/roles-facts.md; the seed edition's entries are optional under current).
// A check missing here is a role that would fail after "all good"; an extra one is a false fail.
func TestProfileCheckSetsMatchThePage(t *testing.T) {
	upd := []string{"ceuswatcab01.blob.core.windows.net:443", "ceuswatcab02.blob.core.windows.net:443",
		"cmbitsstore.blob.core.windows.net:443", "configmgrbits.azureedge.net:443",
		"configmgrbits.cdn.manage.microsoft.com:443", "definitionupdates.microsoft.com:443",
		"download.microsoft.com:443", "download.visualstudio.microsoft.com:443", "download.windowsupdate.com:443",
		"eaus2watcab01.blob.core.windows.net:443", "eaus2watcab02.blob.core.windows.net:443", "go.microsoft.com:443",
		"sccm.manage.microsoft.com:443", "umwatsonc.events.data.microsoft.com:443",
		"weus2watcab01.blob.core.windows.net:443", "weus2watcab02.blob.core.windows.net:443",
		"aka.ms:443", "dl.delivery.mp.microsoft.com:443"}
	crl := []string{"crl3.digicert.com:80", "crl4.digicert.com:80", "ocsp.digicert.com:80", "www.d-trust.net:80",
		"root-c3-ca2-2009.ocsp.d-trust.net:80", "crl.microsoft.com:80", "oneocsp.microsoft.com:80",
		"ocsp.msocsp.com:80", "www.microsoft.com:80", "ctldl.windowsupdate.com:80", "mscrl.microsoft.com:80"}
	seed := []string{"blob.core.windows.net:443?", "blob.core.windows.net:80?", "bspmts.mp.microsoft.com:443?",
		"bspmts.mp.microsoft.com:80?", "configmgrbits.cdn.manage.microsoft.com:80?", "download.microsoft.com:80?",
		"download.windowsupdate.com:80?", "go.microsoft.com:80?", "login.microsoftonline.com:443?",
		"login.microsoftonline.com:80?", "manage.microsoft.com:443?", "manage.microsoft.com:80?",
		"sccm.manage.microsoft.com:80?", "sccmconnected-a01.cloudapp.net:443?", "sccmconnected-a01.cloudapp.net:80?"}
	scpCommon := slices.Concat(upd, crl, seed, []string{"graph.microsoft.com:443", "dc.services.visualstudio.com:443",
		"graph.windows.net:443?", "prod1.westus2.logic.azure.com:443?"})
	feedback := []string{"petrol.office.microsoft.com:443", "ceuswatcab01.blob.core.windows.net:443",
		"ceuswatcab02.blob.core.windows.net:443", "eaus2watcab01.blob.core.windows.net:443",
		"eaus2watcab02.blob.core.windows.net:443", "weus2watcab01.blob.core.windows.net:443",
		"weus2watcab02.blob.core.windows.net:443", "umwatsonc.events.data.microsoft.com:443"}
	console := slices.Concat(feedback, []string{"aka.ms:443", "go.microsoft.com:443", "raw.githubusercontent.com:443",
		"github.com:443", "communityhub.microsoft.com:443", "edgeupdates.microsoft.com:443",
		"dl.delivery.mp.microsoft.com:80", "config.office.com:443?"})
	sup := []string{"aka.ms:443", "go.microsoft.com:443", "windowsupdate.microsoft.com:80", "download.windowsupdate.com:80",
		"download.microsoft.com:80", "ntservicepack.microsoft.com:80", "officecdn.microsoft.com:443",
		"clients.config.office.net:443?", "sup01.contoso.com:8530?", "sup01.contoso.com:8531?"}
	supWild := []string{"*.windowsupdate.microsoft.com", "*.update.microsoft.com", "*.windowsupdate.com", "*.download.windowsupdate.com"}
	updWild := []string{"*.akamaiedge.net", "*.akamaitechnologies.com", "*.manage.microsoft.com", "*-umwatsonc.events.data.microsoft.com"}
	scpWild := slices.Concat(updWild, []string{"*manage.microsoft.com", "*.<logic-app-region>.logic.azure.com"})
	cases := []struct {
		profile, cloud string
		checks, wild   []string
	}{
		{"scp", "public", slices.Concat(scpCommon, []string{"management.azure.com:443"}), scpWild},
		{"scp", "usgov", slices.Concat(scpCommon, []string{"management.usgovcloudapi.net:443"}), slices.Concat(scpWild, []string{"*.manage.microsoft.us"})},
		{"scp-connect", "public", slices.Concat(upd, crl), updWild},
		{"scp-connect", "usgov", slices.Concat(upd, crl), updWild},
		{"sup", "public", sup, supWild},
		{"sup", "usgov", sup, supWild},
		{"mp", "public", []string{"login.microsoftonline.com:443", "sts.windows.net:443"}, nil},
		{"mp", "usgov", []string{"login.microsoftonline.us:443", "sts.windows.net:443"}, nil},
		{"cmg", "public", []string{"management.azure.com:443", "graph.microsoft.com:443", "granite.westus.cloudapp.azure.com:443",
			"granite.blob.core.windows.net:443", "granite.table.core.windows.net:443", "granite.vault.azure.net:443"}, nil},
		{"cmg", "usgov", []string{"management.usgovcloudapi.net:443", "graph.microsoft.com:443", "granite.usgovcloudapp.net:443",
			"granite.blob.core.usgovcloudapi.net:443", "granite.table.core.usgovcloudapi.net:443", "granite.vault.usgovcloudapi.net:443"}, nil},
		{"client", "public", []string{"aka.ms:443", "go.microsoft.com:443", "granite.westus.cloudapp.azure.com:443",
			"granite.blob.core.windows.net:443", "login.microsoftonline.com:443", "geo.prod.do.dsp.mp.microsoft.com:443"}, []string{"*.do.dsp.mp.microsoft.com"}},
		{"client", "usgov", []string{"aka.ms:443", "go.microsoft.com:443", "granite.usgovcloudapp.net:443",
			"granite.blob.core.usgovcloudapi.net:443", "login.microsoftonline.us:443", "geo.prod.do.dsp.mp.microsoft.com:443"}, []string{"*.do.dsp.mp.microsoft.com"}},
		{"console", "public", slices.Concat(console, []string{"login.microsoftonline.com:443", "aadcdn.msauth.net:443", "aadcdn.msftauth.net:443"}), []string{"*-umwatsonc.events.data.microsoft.com"}},
		{"console", "usgov", slices.Concat(console, []string{"login.microsoftonline.us:443"}), []string{"*-umwatsonc.events.data.microsoft.com"}},
	}
	vals, err := NewTemplateValues(map[string]string{"cmg-name": "granite", "cmg-region": "westus",
		"logic-app-host": "prod1.westus2.logic.azure.com", "upstream-sup": "sup01.contoso.com"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		ts, unfilled := planProfiles(t, []string{c.profile}, c.cloud, vals)
		if len(unfilled) != 0 {
			t.Errorf("%s/%s: templates left unfilled: %+v", c.profile, c.cloud, unfilled)
		}
		var got []string
		for _, tg := range ts {
			id := tg.ID
			if !tg.Required {
				id += "?"
			}
			got = append(got, id)
		}
		want := slices.Clone(c.checks)
		slices.Sort(got)
		slices.Sort(want)
		want = slices.Compact(want)
		if !slices.Equal(got, want) {
			for _, id := range want {
				if !slices.Contains(got, id) {
					t.Errorf("%s/%s: missing %s", c.profile, c.cloud, id)
				}
			}
			for _, id := range got {
				if !slices.Contains(want, id) {
					t.Errorf("%s/%s: not on the page: %s", c.profile, c.cloud, id)
				}
			}
		}
		cats, err := LoadProfiles([]string{c.profile})
		if err != nil {
			t.Fatal(err)
		}
		var wild []string
		for _, e := range cats[0].Entries {
			if e.Kind == "wildcard" && (e.Cloud == "" || e.Cloud == c.cloud) && !slices.Contains(wild, e.Name) {
				wild = append(wild, e.Name)
			}
		}
		slices.Sort(wild)
		wantWild := slices.Clone(c.wild)
		slices.Sort(wantWild)
		if !slices.Equal(wild, wantWild) {
			t.Errorf("%s/%s: wildcards %v, want %v", c.profile, c.cloud, wild, wantWild)
		}
	}
}

// A probe host taken from the troubleshooting article (TS) is credited to it: the entry's
// sources list TS beside the page that lists the wildcard.
func TestProbeHostsCiteTheirSource(t *testing.T) {
	cats, err := LoadProfiles(Profiles())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cats {
		for _, e := range c.Entries {
			if slices.Contains(e.Probes, "sccm.manage.microsoft.com") && !slices.Contains(e.Sources, "TS") {
				t.Errorf("%s:%d %s probes sccm.manage.microsoft.com (TS) but cites %v", e.File, e.Line, e.Name, e.Sources)
			}
		}
	}
}
