package trust

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/facts"
)

// testCatalog is a small catalog in the real one's shapes: a host of both editions, a seed-only
// and a current-only wildcard of the same pattern, a no-dot wildcard, a URL entry.
const testCatalog = `
profile: test
entries:
  - {name: download.windowsupdate.com, kind: host, ports: [443, 80], group: updates and servicing, editions: [seed], sources: [SEED], noInspection: true}
  - {name: download.windowsupdate.com, kind: host, ports: [443], group: updates and servicing, editions: [current], sources: [IE], noInspection: true}
  - {name: "*.akamaiedge.net", kind: wildcard, ports: [443, 80], group: updates and servicing, editions: [seed], sources: [SEED]}
  - {name: "*.akamaiedge.net", kind: wildcard, ports: [443], group: updates and servicing, editions: [current], sources: [IE]}
  - {name: "*.akamaitechnologies.com", kind: wildcard, ports: [443], group: updates and servicing, editions: [current], sources: [IE]}
  - {name: "*.manage.microsoft.com", kind: wildcard, ports: [443], group: updates and servicing, editions: [current], sources: [IE], probes: [sccm.manage.microsoft.com]}
  - {name: "*manage.microsoft.com", kind: wildcard, ports: [443, 80], group: Microsoft Intune, editions: [seed], sources: [SEED], probes: [manage.microsoft.com]}
  - {name: "*.blob.example.net", kind: wildcard, ports: [443], group: history, editions: [seed], sources: [SEED]}
  - {name: download.microsoft.com, kind: host, ports: [443], group: updates and servicing, editions: [current], sources: [IE], noInspection: true}
  - {name: download.microsoft.com, kind: host, ports: [443], group: Windows servicing, editions: [current], sources: [IE], noInspection: true}
  - {name: "https://go.microsoft.com/fwlink/?LinkID=619849", kind: url, ports: [443], group: Windows servicing, editions: [current], sources: [IE]}
  - {name: go.microsoft.com, kind: host, ports: [443, 80], group: updates and servicing, editions: [seed], sources: [SEED]}
  - {name: management.usgovcloudapi.net, kind: host, ports: [443], group: Azure services, editions: [current], sources: [IE], cloud: usgov}
`

func loadTestCatalog(t *testing.T) []catalog.Entry {
	t.Helper()
	c, err := catalog.ParseCatalog("test.yaml", []byte(testCatalog), false)
	if err != nil {
		t.Fatal(err)
	}
	return c.Entries
}

func netCheck(id, host string, port int, cnames []string, redirects ...string) facts.Check {
	c := facts.Check{ID: id, Host: host, Port: port, Status: facts.StatusPass, Required: true}
	c.Evidence.DNS = &facts.DNSEvidence{CNAMEs: cnames, Addresses: []string{"127.0.0.1"}}
	if len(redirects) > 0 {
		h := &facts.HTTPEvidence{Method: "GET", URL: "https://" + host + "/"}
		for _, r := range redirects {
			// r is a URL; its host is the hop.
			host := strings.SplitN(strings.SplitN(r, "://", 2)[1], "/", 2)[0]
			if i := strings.LastIndex(host, ":"); i > 0 {
				host = host[:i]
			}
			h.Redirects = append(h.Redirects, facts.RedirectHop{URL: r, StatusCode: 302, Host: host})
		}
		c.Evidence.HTTP = h
	}
	return c
}

func analyzeDoc(t *testing.T, cs ...facts.Check) *facts.TrustFacts {
	t.Helper()
	entries := loadTestCatalog(t)
	doc := &facts.Document{Edition: catalog.EditionCurrent, Cloud: "public", Checks: cs}
	doc.Catalog = catalog.EntrySources(entries, doc.Edition, doc.Cloud)
	return AnalyzeWith(doc, entries, Options{})
}

func hopByName(tf *facts.TrustFacts, name string) *facts.AllowlistHop {
	for i := range tf.Hops {
		if tf.Hops[i].Name == name {
			return &tf.Hops[i]
		}
	}
	return nil
}

func coverage(tf *facts.TrustFacts, pattern string) facts.WildcardCoverage {
	for _, w := range tf.Wildcards {
		if w.Pattern == pattern {
			return w
		}
	}
	return facts.WildcardCoverage{Pattern: "(missing) " + pattern}
}

// A CNAME chain through a CDN domain nobody listed: the middle hop is a gap, the last hop is
// covered by the wildcard (which is then exercised), and the gap is reported once although two
// checks (443 and 80) saw it.
func TestAnalyzeCNAMEGapAndWildcardCover(t *testing.T) {
	chain := []string{"x.edge.contoso-cdn.test.", "a767.dscg3.akamaiedge.net."}
	tf := analyzeDoc(t,
		netCheck("download.windowsupdate.com:443", "download.windowsupdate.com", 443, chain),
		netCheck("download.windowsupdate.com:80", "download.windowsupdate.com", 80, chain),
	)
	if len(tf.Gaps) != 1 {
		t.Fatalf("gaps = %+v, want exactly x.edge.contoso-cdn.test", tf.Gaps)
	}
	g := tf.Gaps[0]
	if g.Name != "x.edge.contoso-cdn.test" || g.Via != ViaCNAME || g.Check != "download.windowsupdate.com:443" ||
		g.From != "download.windowsupdate.com" || !reflect.DeepEqual(g.Ports, []int{443, 80}) || g.CoveredBy != "" {
		t.Errorf("gap = %+v", g)
	}
	h := hopByName(tf, "a767.dscg3.akamaiedge.net")
	if h == nil || h.CoveredBy != "*.akamaiedge.net" {
		t.Errorf("akamai hop = %+v, want covered by *.akamaiedge.net", h)
	}
	if len(tf.Hops) != 4 {
		t.Errorf("hops = %d, want 4 (two names x two checks)", len(tf.Hops))
	}
	w := coverage(tf, "*.akamaiedge.net")
	if !w.Exercised || !reflect.DeepEqual(w.Hosts, []string{"a767.dscg3.akamaiedge.net"}) {
		t.Errorf("*.akamaiedge.net coverage = %+v", w)
	}
}

// "*.x" does not cover x itself; "*x" (no dot) covers x and its subdomains, not a name that
// merely ends with the same letters.
func TestAnalyzeDotAndNoDotWildcards(t *testing.T) {
	tf := analyzeDoc(t,
		netCheck("a.test:443", "a.test", 443, []string{"akamaiedge.net", "manage.microsoft.com", "eu.manage.microsoft.com", "evilmanage.microsoft.com"}),
	)
	cases := map[string]string{
		"akamaiedge.net":           "",                       // *.akamaiedge.net wants a subdomain
		"manage.microsoft.com":     "*manage.microsoft.com",  // the no-dot form takes the bare name
		"eu.manage.microsoft.com":  "*.manage.microsoft.com", // first matching entry in catalog order
		"evilmanage.microsoft.com": "",                       // not a subdomain of manage.microsoft.com
	}
	for name, want := range cases {
		h := hopByName(tf, name)
		if h == nil {
			t.Errorf("hop %s missing", name)
			continue
		}
		if h.CoveredBy != want {
			t.Errorf("%s covered by %q, want %q", name, h.CoveredBy, want)
		}
	}
	var gaps []string
	for _, g := range tf.Gaps {
		gaps = append(gaps, g.Name)
	}
	if !reflect.DeepEqual(gaps, []string{"akamaiedge.net", "evilmanage.microsoft.com"}) {
		t.Errorf("gaps = %v", gaps)
	}
}

// A redirect to a host no entry allows is a gap with its own port; a redirect to a listed host
// (through a URL entry's host) is covered; the check's own host is not a hop.
func TestAnalyzeRedirectHops(t *testing.T) {
	c := netCheck("go.microsoft.com:443", "go.microsoft.com", 443, nil,
		"https://go.microsoft.com/fwlink/?LinkID=619849",
		"http://dl.contoso-mirror.test:8080/pkg.cab",
		"https://download.microsoft.com/x.cab")
	tf := analyzeDoc(t, c)
	if len(tf.Hops) != 2 {
		t.Fatalf("hops = %+v, want the two other hosts", tf.Hops)
	}
	if tf.Hops[1].Name != "download.microsoft.com" || tf.Hops[1].CoveredBy != "download.microsoft.com" {
		t.Errorf("download hop = %+v", tf.Hops[1])
	}
	if len(tf.Gaps) != 1 || tf.Gaps[0].Name != "dl.contoso-mirror.test" || tf.Gaps[0].Via != ViaRedirect || !reflect.DeepEqual(tf.Gaps[0].Ports, []int{8080}) {
		t.Errorf("gaps = %+v", tf.Gaps)
	}
	// The URL entry's host allows the name too.
	tf = analyzeDoc(t, netCheck("x.test:443", "x.test", 443, []string{"go.microsoft.com"}))
	if h := hopByName(tf, "go.microsoft.com"); h == nil || h.CoveredBy != "https://go.microsoft.com/fwlink/?LinkID=619849" {
		t.Errorf("go.microsoft.com hop = %+v, want covered by the URL entry (first in catalog order)", h)
	}
}

// Wildcards are listed once per pattern across editions; probe hosts of checks that ran
// exercise them; a skipped probe does not; one with no probe and no hop stays unexercised.
func TestAnalyzeWildcardCoverage(t *testing.T) {
	skipped := netCheck("manage.microsoft.com:443", "manage.microsoft.com", 443, nil)
	skipped.Status = facts.StatusSkip
	probe := netCheck("sccm.manage.microsoft.com:443", "sccm.manage.microsoft.com", 443, nil)
	probe.Wildcards = []string{"*.manage.microsoft.com", "*manage.microsoft.com"}
	failed := netCheck("sccm.manage.microsoft.com:80", "sccm.manage.microsoft.com", 80, nil)
	failed.Status = facts.StatusFail
	tf := analyzeDoc(t, skipped, probe, failed)
	var patterns []string
	for _, w := range tf.Wildcards {
		patterns = append(patterns, w.Pattern)
	}
	want := []string{"*.akamaiedge.net", "*.akamaitechnologies.com", "*.manage.microsoft.com", "*manage.microsoft.com", "*.blob.example.net"}
	if !reflect.DeepEqual(patterns, want) {
		t.Errorf("patterns = %v, want %v (deduplicated, catalog order)", patterns, want)
	}
	if w := coverage(tf, "*.manage.microsoft.com"); !w.Exercised || !reflect.DeepEqual(w.Hosts, []string{"sccm.manage.microsoft.com"}) {
		t.Errorf("*.manage.microsoft.com = %+v", w)
	}
	if w := coverage(tf, "*manage.microsoft.com"); !reflect.DeepEqual(w.Hosts, []string{"sccm.manage.microsoft.com"}) {
		t.Errorf("*manage.microsoft.com = %+v (the skipped probe manage.microsoft.com must not count)", w)
	}
	for _, p := range []string{"*.akamaitechnologies.com", "*.blob.example.net", "*.akamaiedge.net"} {
		if w := coverage(tf, p); w.Exercised || w.Hosts == nil || len(w.Hosts) != 0 {
			t.Errorf("%s = %+v, want never exercised with an empty host list", p, w)
		}
	}
}

// With nothing seen, every list is an empty JSON array, never null; the usgov-only entry is
// not part of a public run's allowlist.
func TestAnalyzeEmptyIsArrays(t *testing.T) {
	tf := analyzeDoc(t, netCheck("x.test:443", "x.test", 443, []string{"management.usgovcloudapi.net"}))
	if len(tf.Gaps) != 1 {
		t.Errorf("a usgov name in a public run should be a gap: %+v", tf.Gaps)
	}
	tf = analyzeDoc(t)
	data, err := json.Marshal(tf)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"roots":[]`, `"gaps":[]`, `"hops":[]`} {
		if !strings.Contains(string(data), k) {
			t.Errorf("%s missing from %s", k, data)
		}
	}
	if strings.Contains(string(data), "null") {
		t.Errorf("null in %s", data)
	}
}

// A wildcard seen only on a failed check's chain was not exercised.
func TestWildcardNotExercisedByFailedChecks(t *testing.T) {
	c := facts.Check{ID: "download.windowsupdate.com:443", Host: "download.windowsupdate.com", Port: 443, Status: facts.StatusFail,
		Stage: facts.StageProxyDenied, Evidence: facts.Evidence{DNS: &facts.DNSEvidence{CNAMEs: []string{"a1.dscd.akamaiedge.net"}}}}
	hops := []facts.AllowlistHop{{Name: "a1.dscd.akamaiedge.net", Via: "cname", Check: c.ID}}
	cov := wildcardCoverage([]string{"*.akamaiedge.net"}, []facts.Check{c}, hops)
	if cov[0].Exercised {
		t.Errorf("coverage %+v: a proxy-denied check exercised nothing", cov[0])
	}
	c.Status = facts.StatusPass
	if cov = wildcardCoverage([]string{"*.akamaiedge.net"}, []facts.Check{c}, hops); !cov[0].Exercised {
		t.Errorf("coverage %+v: the passing check's hop exercises the wildcard", cov[0])
	}
}
