package preflight

import (
	"slices"
	"testing"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/checks/proxyconf"
)

// systemWinINET stands in for Local System's registry key (read for real under Wine by the
// proxyconf tests).
type systemWinINET struct{ s *proxyconf.WinINETSetting }

func (r systemWinINET) LocalSystemWinINET() (*proxyconf.WinINETSetting, error) { return r.s, nil }

// The management point takes Local System's WinINET proxy while the console takes the
// machine's (here the environment's); a host both need is checked once per way.
func TestRoleProxiesFollowEachProfilesRule(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://machine-proxy.contoso.com:3128")
	t.Setenv("HTTP_PROXY", "")
	o := baseOptions()
	o.WinINET = systemWinINET{&proxyconf.WinINETSetting{KeyFound: true, Enabled: true, Server: "mp-proxy.contoso.com:8080"}}
	loaded, err := o.LoadCatalog([]string{"console", "mp"})
	if err != nil {
		t.Fatal(err)
	}
	roles, err := chooseRoleProxies(&o, nil, loaded)
	if err != nil {
		t.Fatal(err)
	}
	if len(roles) != 2 || roles[0].rule != catalog.ProxyMachine || roles[1].rule != catalog.ProxyWinINETSystem {
		t.Fatalf("roles = %+v", roles)
	}
	mp := roles[1].facts
	if mp.Source != proxyconf.SourceWinINET || mp.URL != "http://mp-proxy.contoso.com:8080" || mp.WinINET == nil || !mp.WinINET.Enabled || !slices.Equal(mp.Profiles, []string{"mp"}) {
		t.Errorf("mp proxy facts = %+v", mp)
	}
	if roles[0].facts.Source != proxyconf.SourceEnv {
		t.Errorf("console proxy source = %s", roles[0].facts.Source)
	}
	targets, _ := catalog.Plan(loaded.Entries, catalog.PlanOptions{Edition: catalog.EditionCurrent, Cloud: "public"})
	got := map[string]string{}
	for _, rt := range routeByRole(targets, roles) {
		way := "primary"
		if rt.override {
			way = "direct"
			if rt.proxyFor != nil {
				way = rt.proxyFor(rt.Host, rt.Port, "https").URL.Host
			}
		}
		got[rt.ID] = way
	}
	want := map[string]string{
		"login.microsoftonline.com:443":    "primary",
		"login.microsoftonline.com:443@mp": "mp-proxy.contoso.com:8080",
		"sts.windows.net:443":              "mp-proxy.contoso.com:8080",
		"github.com:443":                   "primary",
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s goes %q, want %q", id, got[id], w)
		}
	}
	// The same proxy for both: one check naming both profiles.
	o.WinINET = systemWinINET{&proxyconf.WinINETSetting{KeyFound: true, Enabled: true, Server: "machine-proxy.contoso.com:3128"}}
	roles, _ = chooseRoleProxies(&o, nil, loaded)
	for _, rt := range routeByRole(targets, roles) {
		if rt.Host == "login.microsoftonline.com" && (rt.ID != "login.microsoftonline.com:443" || !slices.Equal(rt.Profiles, []string{"console", "mp"})) {
			t.Errorf("shared check = %s %v", rt.ID, rt.Profiles)
		}
	}
}
