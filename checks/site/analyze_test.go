package site

import (
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/facts"
)

func load(t *testing.T, dir string) *Inventory {
	t.Helper()
	inv, err := LoadInventory("testdata/" + dir)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func checkByID(t *testing.T, cs []facts.Check, id string) facts.Check {
	t.Helper()
	for _, c := range cs {
		if c.ID == id {
			if c.Kind != "site" {
				t.Errorf("%s kind = %q", id, c.Kind)
			}
			return c
		}
	}
	t.Fatalf("no check %s in %v", id, cs)
	return facts.Check{}
}

func boolp(b bool) *bool { return &b }

func TestAnalyzeHierarchies(t *testing.T) {
	cases := []struct {
		name, dir string
		o         Options
		// want
		site, typeName                      string
		topLevel, hasCAS, remote, expansion bool
		existing                            int
		mode, modeSource                    string
		status                              map[string]string
		msgHas                              map[string]string
	}{
		{
			name: "(a) stand-alone primary, SCP on the site server", dir: "standalone",
			o:    Options{SCPServer: "cm01.contoso.com"},
			site: "P01", typeName: "primary", topLevel: true,
			status: map[string]string{"site/top-level": "pass", "site/single-instance": "pass", "site/expansion": "pass",
				"site/mode": "skip", "site/configured-proxy": "pass", "site/install-account": "skip", "site/target-site": "pass"},
		},
		{
			name: "(a) short name matches the first label", dir: "standalone",
			o:    Options{SCPServer: "CM01", Mode: "online"},
			site: "P01", typeName: "primary", topLevel: true, mode: "online", modeSource: "flag",
			status: map[string]string{"site/top-level": "pass", "site/mode": "pass"},
		},
		{
			name: "(a) remote host not yet a site system, site from --site-server", dir: "standalone",
			o:    Options{SCPServer: "scp09.contoso.com", SiteServer: "CM01"},
			site: "P01", typeName: "primary", topLevel: true, remote: true,
			status: map[string]string{"site/top-level": "pass", "site/install-account": "skip", "site/configured-proxy": "skip"},
		},
		{
			name: "(b) CAS, SCP target on a child primary", dir: "cas-child",
			o:    Options{SCPServer: "PRI01.contoso.com"},
			site: "P01", typeName: "primary", hasCAS: true,
			status: map[string]string{"site/top-level": "fail", "site/single-instance": "pass", "site/expansion": "pass"},
			msgHas: map[string]string{"site/top-level": "reports to CAS"},
		},
		{
			name: "(b) CAS, SCP target on the CAS", dir: "cas-child",
			o:    Options{SCPServer: "cas01.CONTOSO.com."},
			site: "CAS", typeName: "CAS", topLevel: true, hasCAS: true,
			status: map[string]string{"site/top-level": "pass"},
		},
		{
			name: "(b) secondary site server", dir: "cas-child",
			o:    Options{SCPServer: "SEC01.contoso.com"},
			site: "S01", typeName: "secondary", hasCAS: true,
			status: map[string]string{"site/top-level": "fail"},
		},
		{
			name: "(c) SCP already on another server", dir: "existing-scp",
			o:    Options{SCPServer: "CM01.contoso.com"},
			site: "P01", typeName: "primary", topLevel: true, existing: 1, mode: "online", modeSource: "existing-role",
			status: map[string]string{"site/top-level": "pass", "site/single-instance": "fail"},
			msgHas: map[string]string{"site/single-instance": "SCP01.contoso.com (site P01)"},
		},
		{
			name: "(c) re-checking the host that has the SCP", dir: "existing-scp",
			o:    Options{SCPServer: "scp01", Mode: "offline", IntuneSubscription: boolp(true)},
			site: "P01", typeName: "primary", topLevel: true, remote: true, existing: 1, mode: "offline", modeSource: "flag",
			status: map[string]string{"site/single-instance": "pass", "site/mode": "fail", "site/install-account": "pass"},
			msgHas: map[string]string{"site/mode": "Intune", "site/install-account": `CONTOSO\svc-cminstall`},
		},
		{
			name: "remote host with a configured proxy and credentials", dir: "proxy-creds",
			o:    Options{SCPServer: "SCP02.contoso.com"},
			site: "P01", typeName: "primary", topLevel: true, remote: true,
			status: map[string]string{"site/configured-proxy": "pass", "site/install-account": "pass"},
			msgHas: map[string]string{"site/configured-proxy": `http://proxy.contoso.com:8080 for SCP02.contoso.com (account CONTOSO\svc-proxy)`},
		},
		{
			name: "expansion in progress, SCP still on the primary", dir: "expansion",
			o:    Options{SCPServer: "CAS01.contoso.com"},
			site: "CAS", typeName: "CAS", topLevel: true, hasCAS: true, expansion: true, existing: 1,
			mode: "online", modeSource: "existing-role",
			status: map[string]string{"site/expansion": "fail", "site/single-instance": "fail"},
			msgHas: map[string]string{"site/expansion": "uninstall it there first"},
		},
		{
			name: "expansion: the primary is no longer top-level", dir: "expansion",
			o:    Options{SCPServer: "CM01.contoso.com"},
			site: "P01", typeName: "primary", hasCAS: true, expansion: true, existing: 1, mode: "online", modeSource: "existing-role",
			status: map[string]string{"site/top-level": "fail", "site/single-instance": "pass"},
		},
		{
			name: "offline existing role, flag switches it online", dir: "offline-role",
			o:    Options{SCPServer: "CM01.contoso.com", Mode: "Online"},
			site: "P01", typeName: "primary", topLevel: true, existing: 1, mode: "online", modeSource: "flag",
			status: map[string]string{"site/mode": "pass", "site/single-instance": "pass"},
			msgHas: map[string]string{"site/mode": "existing role is offline"},
		},
		{
			name: "unknown server", dir: "standalone",
			o:      Options{SCPServer: "nowhere.fabrikam.com"},
			status: map[string]string{"site/target-site": "fail", "site/top-level": "skip"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, cs := Analyze(load(t, c.dir), c.o)
			if c.site == "" {
				if f.Site != nil {
					t.Errorf("site = %+v, want none", f.Site)
				}
			} else if f.Site == nil || f.Site.SiteCode != c.site || f.Site.TypeName != c.typeName {
				t.Errorf("site = %+v, want %s %s", f.Site, c.site, c.typeName)
			}
			if f.TopLevel != c.topLevel || f.HasCAS != c.hasCAS || f.Remote != c.remote || f.Expansion != c.expansion {
				t.Errorf("topLevel=%v hasCAS=%v remote=%v expansion=%v; want %v %v %v %v",
					f.TopLevel, f.HasCAS, f.Remote, f.Expansion, c.topLevel, c.hasCAS, c.remote, c.expansion)
			}
			if len(f.ExistingSCPs) != c.existing {
				t.Errorf("existing SCPs = %+v, want %d", f.ExistingSCPs, c.existing)
			}
			if f.Mode != c.mode || f.ModeSource != c.modeSource {
				t.Errorf("mode = %q from %q, want %q from %q", f.Mode, f.ModeSource, c.mode, c.modeSource)
			}
			if f.Source != "inventory" || f.SCPServer != c.o.SCPServer {
				t.Errorf("source=%q scpServer=%q", f.Source, f.SCPServer)
			}
			for id, want := range c.status {
				if got := checkByID(t, cs, id); got.Status != want {
					t.Errorf("%s = %s (%s), want %s", id, got.Status, got.Message, want)
				}
			}
			for id, want := range c.msgHas {
				if got := checkByID(t, cs, id); !strings.Contains(got.Message, want) {
					t.Errorf("%s message %q lacks %q", id, got.Message, want)
				}
			}
			for _, ch := range cs {
				if !strings.HasPrefix(ch.ID, "site/") || ch.Message == "" {
					t.Errorf("check %+v: want a site/ id and a message", ch)
				}
			}
		})
	}
}

func TestAnalyzeConfiguredProxyAndAccounts(t *testing.T) {
	f, _ := Analyze(load(t, "proxy-creds"), Options{SCPServer: "scp02"})
	want := facts.ConfiguredProxy{UseProxy: true, Name: "proxy.contoso.com", Port: 8080, User: `CONTOSO\svc-proxy`, Anonymous: false}
	if f.ConfiguredProxy == nil || *f.ConfiguredProxy != want {
		t.Fatalf("proxy = %+v, want %+v", f.ConfiguredProxy, want)
	}
	if f.InstallAccount != `CONTOSO\svc-cminstall` || f.UseMachineAccount == nil || *f.UseMachineAccount {
		t.Errorf("install account = %q, machine = %v", f.InstallAccount, f.UseMachineAccount)
	}
	if f.SiteServer != "CM01.contoso.com" || !f.Remote {
		t.Errorf("site server = %q remote = %v", f.SiteServer, f.Remote)
	}

	f, _ = Analyze(load(t, "standalone"), Options{SCPServer: "CM01.contoso.com"})
	if f.ConfiguredProxy == nil || f.ConfiguredProxy.UseProxy || !f.ConfiguredProxy.Anonymous {
		t.Errorf("standalone proxy = %+v", f.ConfiguredProxy)
	}
	if f.UseMachineAccount == nil || !*f.UseMachineAccount || f.Remote {
		t.Errorf("machine account = %v remote = %v", f.UseMachineAccount, f.Remote)
	}
	if len(f.TargetRoles) == 0 || f.SiteSource != "site-system" {
		t.Errorf("roles = %v source = %q", f.TargetRoles, f.SiteSource)
	}
}

func TestAnalyzeExistingModes(t *testing.T) {
	f, _ := Analyze(load(t, "offline-role"), Options{SCPServer: "CM01.contoso.com"})
	if len(f.ExistingSCPs) != 1 {
		t.Fatalf("%+v", f.ExistingSCPs)
	}
	r := f.ExistingSCPs[0]
	if r.Mode != "offline" || !r.OnTarget || r.SiteCode != "P01" || r.SiteType != 2 || r.ServerName != "CM01.contoso.com" {
		t.Errorf("role = %+v", r)
	}
	if f.Mode != "offline" || f.ModeSource != "existing-role" || f.ExistingMode != "offline" {
		t.Errorf("mode %q from %q existing %q", f.Mode, f.ModeSource, f.ExistingMode)
	}
}

func TestConfiguredProxyURL(t *testing.T) {
	cases := []struct {
		cp   *facts.ConfiguredProxy
		want string
	}{
		{nil, ""},
		{&facts.ConfiguredProxy{UseProxy: false, Name: "p", Port: 8080}, ""},
		{&facts.ConfiguredProxy{UseProxy: true, Name: "proxy.contoso.com", Port: 8080}, "http://proxy.contoso.com:8080"},
		{&facts.ConfiguredProxy{UseProxy: true, Name: "proxy.contoso.com"}, "http://proxy.contoso.com:80"},
		{&facts.ConfiguredProxy{UseProxy: true, Name: "http://proxy:3128/", Port: 8080}, "http://proxy:3128"},
		{&facts.ConfiguredProxy{UseProxy: true, Name: "fd00::1", Port: 8080}, "http://[fd00::1]:8080"},
	}
	for _, c := range cases {
		if got := ConfiguredProxyURL(c.cp); got != c.want {
			t.Errorf("%+v: %q, want %q", c.cp, got, c.want)
		}
	}
}

func TestSameServer(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"CM01.contoso.com", "cm01.CONTOSO.com.", true},
		{"CM01", "cm01.contoso.com", true},
		{`\\CM01.contoso.com`, "CM01", true},
		{"CM01.contoso.com", "CM01.fabrikam.com", false},
		{"CM01", "CM02", false},
		{"", "", false},
		{"10.0.0.1", "10", false},
	}
	for _, c := range cases {
		if got := SameServer(c.a, c.b); got != c.want {
			t.Errorf("SameServer(%q, %q) = %v", c.a, c.b, got)
		}
	}
}
