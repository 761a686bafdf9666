package trust

import (
	"reflect"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/facts"
)

// One line per name: editions and groups merged (ports, sources, groups, editions), URL entries
// folded into their host, inspection bypass from any noInspection entry; discovered gaps after
// the catalog, once each, with the check that saw them.
func TestFirewallRequestDedupes(t *testing.T) {
	entries := loadTestCatalog(t)
	cat := catalog.EntrySources(entries, catalog.EditionCurrent, "public")
	gaps := []facts.AllowlistHop{
		{Name: "x.edge.contoso-cdn.test", Via: ViaCNAME, Check: "download.windowsupdate.com:443", From: "download.windowsupdate.com", Ports: []int{443}},
		{Name: "X.Edge.Contoso-CDN.test.", Via: ViaCNAME, Check: "download.windowsupdate.com:80", From: "download.windowsupdate.com", Ports: []int{80}},
		{Name: "dl.contoso-mirror.test", Via: ViaRedirect, Check: "go.microsoft.com:443", From: "go.microsoft.com", Ports: []int{8080}},
	}
	rules := FirewallRequest(cat, gaps)
	var names []string
	byName := map[string]facts.FirewallRule{}
	for _, r := range rules {
		names = append(names, r.Name)
		if _, dup := byName[r.Name]; dup {
			t.Errorf("%s listed twice", r.Name)
		}
		byName[r.Name] = r
		if r.Protocol != "tcp" || len(r.Ports) == 0 || r.Reason == "" {
			t.Errorf("incomplete rule %+v", r)
		}
	}
	want := []string{
		"*.akamaiedge.net", "*.akamaitechnologies.com", "*.blob.example.net", "*.manage.microsoft.com", "*manage.microsoft.com",
		"download.microsoft.com", "download.windowsupdate.com", "go.microsoft.com",
		"dl.contoso-mirror.test", "x.edge.contoso-cdn.test",
	}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("names =\n%v\nwant\n%v", names, want)
	}

	wu := byName["download.windowsupdate.com"]
	if !reflect.DeepEqual(wu.Ports, []int{443, 80}) || !wu.BypassInspect || !wu.Required ||
		!reflect.DeepEqual(wu.Sources, []string{"SEED", "IE"}) || !reflect.DeepEqual(wu.Editions, []string{"seed", "current"}) {
		t.Errorf("download.windowsupdate.com = %+v", wu)
	}
	if !strings.Contains(wu.Reason, "443 required by edition current, seed") || !strings.Contains(wu.Reason, "80 by edition seed") {
		t.Errorf("reason %q should say which edition requires which port", wu.Reason)
	}
	dm := byName["download.microsoft.com"]
	if !reflect.DeepEqual(dm.Groups, []string{"updates and servicing", "Windows servicing"}) || !strings.HasPrefix(dm.Reason, "updates and servicing; Windows servicing; 443") {
		t.Errorf("download.microsoft.com = %+v", dm)
	}
	gm := byName["go.microsoft.com"]
	if !reflect.DeepEqual(gm.URLs, []string{"https://go.microsoft.com/fwlink/?LinkID=619849"}) || !reflect.DeepEqual(gm.Ports, []int{443, 80}) || gm.BypassInspect ||
		!strings.HasSuffix(gm.Reason, "; URLs https://go.microsoft.com/fwlink/?LinkID=619849") {
		t.Errorf("go.microsoft.com = %+v", gm)
	}
	if byName["*.blob.example.net"].Required {
		t.Errorf("a seed-only entry is not required for the current edition")
	}

	cdn := byName["x.edge.contoso-cdn.test"]
	if !cdn.Discovered || cdn.Check != "download.windowsupdate.com:443" || !reflect.DeepEqual(cdn.Ports, []int{443, 80}) || !cdn.BypassInspect ||
		!strings.Contains(cdn.Reason, "CNAME chain of download.windowsupdate.com") {
		t.Errorf("discovered CDN rule = %+v (bypass inherited from download.windowsupdate.com)", cdn)
	}
	mirror := byName["dl.contoso-mirror.test"]
	if !mirror.Discovered || mirror.BypassInspect || !reflect.DeepEqual(mirror.Ports, []int{8080}) || !strings.Contains(mirror.Reason, "redirect chain") {
		t.Errorf("discovered mirror rule = %+v", mirror)
	}

	// Deterministic: the same input in another order gives the same request.
	rev := make([]facts.EntrySource, len(cat))
	for i := range cat {
		rev[len(cat)-1-i] = cat[i]
	}
	again := FirewallRequest(rev, gaps)
	for i := range again {
		if again[i].Name != rules[i].Name || !reflect.DeepEqual(again[i].Ports, rules[i].Ports) {
			t.Errorf("order-dependent output at %d: %+v vs %+v", i, again[i], rules[i])
		}
	}
}

// A gap that the run saw is also in Analyze's firewall section, marked required when the
// check that saw it was required.
func TestAnalyzeFirewallCarriesGaps(t *testing.T) {
	tf := analyzeDoc(t, netCheck("download.windowsupdate.com:443", "download.windowsupdate.com", 443, []string{"x.edge.contoso-cdn.test", "a1.akamaiedge.net"}))
	n := 0
	for _, r := range tf.Firewall {
		if r.Name == "x.edge.contoso-cdn.test" {
			n++
			if !r.Discovered || !r.Required {
				t.Errorf("gap rule %+v", r)
			}
		}
		if r.Name == "a1.akamaiedge.net" {
			t.Errorf("a covered hop must not be requested: %+v", r)
		}
	}
	if n != 1 {
		t.Errorf("gap listed %d times in %+v", n, tf.Firewall)
	}
}

// A name no entry requires is not presented to the network team as required.
func TestFirewallOptionalNameIsNotRequired(t *testing.T) {
	cat := []facts.EntrySource{{Name: "graph.windows.net", Kind: "host", Ports: []int{443}, Group: "endpoint analytics",
		Editions: []string{"current"}, Required: false}}
	rules := FirewallRequest(cat, nil)
	if len(rules) != 1 || rules[0].Required {
		t.Fatalf("rules = %+v", rules)
	}
	if r := rules[0].Reason; strings.Contains(r, "required") || !strings.Contains(r, "443 optional in edition current") {
		t.Errorf("reason %q", r)
	}
}
