package catalog

import (
	"slices"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/sources"
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
		{"client", "usgov", []string{"login.microsoftonline.us:443", "aka.ms:443"}, nil},
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
