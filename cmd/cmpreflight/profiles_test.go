package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

// templateArgs fill every placeholder but --upstream-sup, which the tests leave unfilled to
// see it listed as not checked.
var templateArgs = []string{"--cmg-name", "GraniteFalls", "--cmg-region", "westus", "--logic-app-host", "prod1.westus2.logic.azure.com"}

// planFor is what the binary should check for profiles, as the catalog package plans it.
func planFor(t *testing.T, profiles []string, cloud string) []catalog.Target {
	t.Helper()
	vals, err := catalog.NewTemplateValues(map[string]string{"cmg-name": "GraniteFalls", "cmg-region": "westus", "logic-app-host": "prod1.westus2.logic.azure.com"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := catalog.Load(catalog.LoadOptions{Profiles: profiles, Values: vals, Cloud: cloud})
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := catalog.Plan(l.Entries, catalog.PlanOptions{Edition: catalog.EditionCurrent, Cloud: cloud})
	return ts
}

// serveProfiles points every name the profiles check, in both clouds, at the lab web server.
func serveProfiles(t *testing.T, l *catalogLab) {
	for _, cloud := range []string{"public", "usgov"} {
		for _, tg := range planFor(t, catalog.Profiles(), cloud) {
			l.dns.A(tg.Host, l.web.IP)
		}
	}
}

// Each profile, run through the binary against the lab in both clouds: every planned check
// is in the report, passes, and names its profile; templates without a value are listed as
// skipped checks naming the flag; the report records the profile's machine, proxy rule and
// the page it was checked against.
func TestRunEachProfileAgainstTheLab(t *testing.T) {
	l := startCatalogLab(t)
	serveProfiles(t, l)
	for _, p := range []string{"scp", "scp-connect", "sup", "mp", "cmg", "client", "console"} {
		for _, cloud := range []string{"public", "usgov"} {
			t.Run(p+"/"+cloud, func(t *testing.T) {
				r := runBin(t, nil, l.args(append([]string{"--profile", p, "--cloud", cloud}, templateArgs...)...)...)
				if r.doc == nil {
					t.Fatalf("no report; exit %d, stderr:\n%s", r.code, r.stderr)
				}
				checks := byID(r.doc)
				plan := planFor(t, []string{p}, cloud)
				if len(plan) == 0 {
					t.Fatal("empty plan")
				}
				for _, tg := range plan {
					c, ok := checks[tg.ID]
					if !ok {
						t.Errorf("%s missing from the report", tg.ID)
						continue
					}
					if c.Status != facts.StatusPass || !slices.Equal(c.Profiles, []string{p}) {
						t.Errorf("%s: %s %s/%s, profiles %v", c.ID, c.Status, c.Stage, c.Reason, c.Profiles)
					}
				}
				if len(r.doc.Profiles) != 1 || r.doc.Profiles[0].Name != p || r.doc.Profiles[0].CheckedAgainst == nil ||
					r.doc.Profiles[0].CheckedAgainst.Date != "2026-06-08" || r.doc.Profiles[0].Proxy == "" {
					t.Errorf("profiles = %+v", r.doc.Profiles)
				}
				if p == "sup" {
					// The upstream SUP is optional: not a check, but a note and a catalog
					// line that name the missing flag.
					notChecked := 0
					for _, e := range r.doc.Catalog {
						if e.NotChecked != "" {
							notChecked++
						}
					}
					if notChecked != 2 || !strings.Contains(strings.Join(r.doc.Notes, "\n"), "--upstream-sup") {
						t.Errorf("%d catalog entries not checked, notes %v; want the two upstream SUP URLs named", notChecked, r.doc.Notes)
					}
				}
				if r.code != 0 {
					t.Errorf("exit %d; verdict %+v; stderr %s", r.code, r.doc.Verdict, r.stderr)
				}
			})
		}
	}
}

// A required templated name without its value is a skipped check naming the flag, and a
// warning; it is never dropped silently nor passed.
func TestRunUnfilledTemplateIsSkippedAndWarned(t *testing.T) {
	l := startCatalogLab(t)
	serveProfiles(t, l)
	r := runBin(t, nil, l.args("--profile", "cmg")...)
	if r.doc == nil {
		t.Fatalf("no report; exit %d, stderr:\n%s", r.code, r.stderr)
	}
	skipped := 0
	for _, c := range r.doc.Checks {
		if c.Kind == "template" {
			skipped++
			if c.Status != facts.StatusSkip || !c.Required || !strings.Contains(c.Message, "--cmg-name") {
				t.Errorf("unfilled: %+v", c)
			}
		}
	}
	if skipped != 4 {
		t.Errorf("%d skipped template checks, want the 4 CMG names", skipped)
	}
	warned := false
	for _, w := range r.doc.Verdict.Warn {
		if w.Rule == "catalog.template_unfilled" && strings.Contains(w.Message, "--cmg-name") {
			warned = true
		}
	}
	if !warned || r.code != 0 {
		t.Errorf("exit %d, deny %+v; want a template warning and exit 0", r.code, r.doc.Verdict.Deny)
	}
	if r := runBin(t, nil, l.args("--profile", "cmg", "--fail-on", "warn")...); r.code != 1 {
		t.Errorf("--fail-on warn with an unchecked required name: exit %d, want 1", r.code)
	}
}

// One run over two profiles checks both; a host:port both need is one check naming both.
func TestRunTwoProfilesIsOneRun(t *testing.T) {
	l := startCatalogLab(t)
	serveProfiles(t, l)
	r := runBin(t, nil, l.args(append([]string{"--profile", "scp,sup", "--profile", "console"}, templateArgs...)...)...)
	if r.doc == nil {
		t.Fatalf("no report; exit %d, stderr:\n%s", r.code, r.stderr)
	}
	checks := byID(r.doc)
	for _, tg := range planFor(t, []string{"scp", "sup", "console"}, "public") {
		if c, ok := checks[tg.ID]; !ok || c.Status != facts.StatusPass {
			t.Errorf("%s: %+v", tg.ID, c)
		}
	}
	if got := checks["aka.ms:443"].Profiles; !slices.Equal(got, []string{"scp", "sup", "console"}) {
		t.Errorf("aka.ms:443 profiles = %v, want all three", got)
	}
	if _, ok := checks["ntservicepack.microsoft.com:80"]; !ok {
		t.Error("sup check missing")
	}
	if _, ok := checks["petrol.office.microsoft.com:443"]; !ok {
		t.Error("console check missing")
	}
	if r.doc.Profile != "scp,sup,console" || len(r.doc.Profiles) != 3 {
		t.Errorf("profile = %q, profiles %+v", r.doc.Profile, r.doc.Profiles)
	}
}

// `endpoints --profile P` works for every profile in both clouds and shows the page and date
// the list was checked against and the templates it could not fill.
func TestEndpointsEveryProfileBothClouds(t *testing.T) {
	for _, p := range catalog.Profiles() {
		for _, cloud := range []string{"public", "usgov"} {
			code, out, errOut := runCLI(t, "endpoints", "--profile", p, "--cloud", cloud, "--format", "json")
			if code != 0 {
				t.Fatalf("%s/%s: exit %d: %s", p, cloud, code, errOut)
			}
			var doc struct {
				Checks         []map[string]any `json:"checks"`
				CheckedAgainst []string         `json:"checkedAgainst"`
				Warnings       []string         `json:"warnings"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Checks) == 0 || len(doc.CheckedAgainst) != 1 || !strings.Contains(doc.CheckedAgainst[0], "2026-06-08") {
				t.Errorf("%s/%s: %d checks, checked against %v", p, cloud, len(doc.Checks), doc.CheckedAgainst)
			}
			if p == "cmg" && (len(doc.Warnings) != 4 || !strings.Contains(errOut, "--cmg-name")) {
				t.Errorf("cmg/%s: warnings %v, stderr %q", cloud, doc.Warnings, errOut)
			}
		}
	}
	code, out, _ := runCLI(t, "endpoints", "--profile", "cmg", "--cmg-name", "gf", "--cmg-region", "westus")
	if code != 0 || !strings.Contains(out, "gf.westus.cloudapp.azure.com") || strings.Contains(out, "NOT CHECKED") || !strings.Contains(out, "checked against") {
		t.Errorf("filled cmg table: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "endpoints", "--profile", "sup")
	if code != 0 || !strings.Contains(out, "NOT CHECKED: no value for <upstream-sup> (--upstream-sup)") || !strings.Contains(out, "warning: http://<upstream-sup>/") {
		t.Errorf("unfilled sup table: exit %d\n%s", code, out)
	}
	for _, bad := range [][]string{{"--cmg-name", "not a label"}, {"--cmg-region", "west us"}, {"--logic-app-host", "x.example.com"}, {"--upstream-sup", "nodot"}, {"--profile", "scp,nope"}} {
		code, _, errOut := runCLI(t, append([]string{"endpoints"}, bad...)...)
		if code != 2 || !strings.Contains(errOut, bad[0]) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming the flag", bad, code, errOut)
		}
	}
}

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	r := runBin(t, nil, args...)
	return r.code, r.stdout, r.stderr
}

// Each role goes through its own proxy: with the machine's proxy in the environment, the
// console's checks go through squid while the management point (Local System's WinINET,
// unset here) goes direct; login.microsoftonline.com, which both need, is checked both ways.
func TestEachRoleUsesItsOwnProxy(t *testing.T) {
	l := startCatalogLab(t)
	serveProfiles(t, l)
	hosts := map[string]string{}
	for _, tg := range planFor(t, []string{"mp", "console"}, "public") {
		hosts[tg.Host] = l.web.IP
	}
	sq := lab.StartSquid(t, lab.SquidOptions{Hosts: hosts})
	r := runBin(t, []string{"HTTPS_PROXY=" + sq.URL, "HTTP_PROXY=" + sq.URL}, l.args("--profile", "mp,console")...)
	if r.doc == nil {
		t.Fatalf("no report; exit %d, stderr:\n%s", r.code, r.stderr)
	}
	checks := byID(r.doc)
	con, mp := checks["login.microsoftonline.com:443"], checks["login.microsoftonline.com:443@mp"]
	if con.Route != facts.RouteProxy || con.ProxyURL != sq.URL || !slices.Equal(con.Profiles, []string{"console"}) || con.Status != facts.StatusPass {
		t.Errorf("console's check: %s via %s %q, profiles %v", con.Status, con.Route, con.ProxyURL, con.Profiles)
	}
	if mp.Route != facts.RouteDirect || !slices.Equal(mp.Profiles, []string{"mp"}) || mp.Status != facts.StatusPass {
		t.Errorf("mp's check: %s via %s, profiles %v", mp.Status, mp.Route, mp.Profiles)
	}
	if c := checks["sts.windows.net:443"]; c.Route != facts.RouteDirect {
		t.Errorf("sts.windows.net went %s", c.Route)
	}
	if c := checks["petrol.office.microsoft.com:443"]; c.Route != facts.RouteProxy {
		t.Errorf("console check went %s", c.Route)
	}
	if len(r.doc.RoleProxies) != 2 || r.doc.RoleProxies[0].Rule != "machine" || r.doc.RoleProxies[0].Source != "env" ||
		r.doc.RoleProxies[1].Rule != "wininet-system" || r.doc.RoleProxies[1].URL != "" || r.doc.Proxy.Rule != "machine" {
		t.Errorf("role proxies = %+v", r.doc.RoleProxies)
	}
}

// --profile auto picks the profiles from the roles the inventory gives the target server and
// says why, in the report and on the terminal; a server with no such role is exit 2.
func TestProfileAutoFromInventory(t *testing.T) {
	l := startCatalogLab(t)
	serveProfiles(t, l)
	inv := filepath.Join("..", "..", "checks", "site", "testdata")
	txt := filepath.Join(t.TempDir(), "r.txt")
	args := func(dir, server string) []string {
		return append(l.args("--profile", "auto", "--inventory", filepath.Join(inv, dir), "--scp-server", server), "--output", "text="+txt)
	}
	r := runBin(t, nil, args("standalone", "CM01.contoso.com")...)
	if r.doc == nil {
		t.Fatalf("no report; exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if r.doc.Profile != "mp" || len(r.doc.Profiles) != 1 || !strings.Contains(r.doc.Profiles[0].Why, "SMS Management Point") {
		t.Errorf("auto on the standalone site server: profile %q, %+v", r.doc.Profile, r.doc.Profiles)
	}
	text, _ := os.ReadFile(txt)
	if !strings.Contains(string(text), `Profiles: mp (CM01.contoso.com holds the role "SMS Management Point")`) || !strings.Contains(strings.Join(r.doc.Notes, "\n"), "--profile auto chose mp") {
		t.Errorf("the reason is not shown: text report %q notes %v", text, r.doc.Notes)
	}
	if _, ok := byID(r.doc)["sts.windows.net:443"]; !ok {
		t.Error("the mp checks did not run")
	}
	r = runBin(t, nil, args("offline-role", "CM01.contoso.com")...)
	if r.doc == nil || r.doc.Profile != "scp" {
		t.Errorf("auto on the SCP server: exit %d, stderr %s", r.code, r.stderr)
	}
	r = runBin(t, nil, args("standalone", "DP01.contoso.com")...)
	if r.code != 2 || !strings.Contains(r.stderr, "--profile auto") || !strings.Contains(r.stderr, "SMS Distribution Point") {
		t.Errorf("auto on a DP: exit %d, stderr %q; want 2 naming its roles", r.code, r.stderr)
	}
	if r := runBin(t, nil, l.args("--profile", "auto")...); r.code != 2 || !strings.Contains(r.stderr, "--inventory") {
		t.Errorf("auto without an inventory: exit %d, stderr %q", r.code, r.stderr)
	}
}
