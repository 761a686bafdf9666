package main

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/checks/trust"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

// trustEndpoints is a small catalog in the SCP's shapes: a host served through a CDN, the
// wildcard that should cover the CDN's edge, a wildcard nothing exercises, an fwlink URL, a
// revocation URL on port 80 that redirects to a mirror no entry allows.
const trustEndpoints = `
entries:
  - {name: download.windowsupdate.com, kind: host, ports: [443, 80], group: updates and servicing, sources: [SEED, IE], noInspection: true}
  - {name: "*.akamaiedge.net", kind: wildcard, ports: [443], group: updates and servicing, sources: [IE]}
  - {name: "*.akamaitechnologies.com", kind: wildcard, ports: [443], group: updates and servicing, sources: [IE]}
  - {name: go.microsoft.com, kind: host, ports: [443], group: always allowed, sources: [IE]}
  - {name: "https://go.microsoft.com/fwlink/?LinkID=619849", kind: url, ports: [443], group: Windows servicing, sources: [IE]}
  - {name: download.microsoft.com, kind: host, ports: [443], group: updates and servicing, sources: [IE], noInspection: true}
  - {name: "*.manage.microsoft.com", kind: wildcard, ports: [443], group: tenant attach, sources: [IE], probes: [sccm.manage.microsoft.com]}
  - {name: "http://crl3.digicert.com/", kind: url, ports: [80], group: certificate revocation, sources: [IE]}
`

// The "Done when": through a squid that re-signs TLS with an inspection CA the machine
// was told to trust, every 443 endpoint fails at tls-intercepted naming that CA; the CNAME hop
// through a CDN domain no entry allows (and a redirect to an unlisted mirror) are gaps; the
// firewall request lists each catalog name and each gap exactly once.
func TestTrustInterceptionGapsAndFirewallThroughSquidBump(t *testing.T) {
	l := startCatalogLab(t)
	// download.windowsupdate.com → a CDN name nobody listed → an Akamai edge the list covers.
	l.dns.CNAME("download.windowsupdate.com", "x.edge.contoso-cdn.test")
	l.dns.CNAME("x.edge.contoso-cdn.test", "a.akamaiedge.net")
	l.dns.A("a.akamaiedge.net", l.web.IP)
	l.dns.A("crl.contoso-mirror.test", l.web.IP)
	l.web.Handle("crl3.digicert.com", lab.Route{Status: 302, Location: "http://crl.contoso-mirror.test/DigiCertGlobalRootG2.crl"})

	inspect, err := lab.NewCA("Contoso SSL Inspection CA")
	if err != nil {
		t.Fatal(err)
	}
	inspectFile := filepath.Join(l.dir, "inspection-ca.pem")
	if err := os.WriteFile(inspectFile, inspect.PEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	endpoints := filepath.Join(l.dir, "endpoints.yaml")
	if err := os.WriteFile(endpoints, []byte(trustEndpoints), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.LoadEndpointFile(endpoints)
	if err != nil {
		t.Fatal(err)
	}
	targets, _ := catalog.Plan(cat.Entries, catalog.PlanOptions{Edition: catalog.EditionCurrent, Cloud: "public"})
	hosts := map[string]string{"crl.contoso-mirror.test": l.web.IP}
	for _, tg := range targets {
		hosts[tg.Host] = l.web.IP
	}
	squid := lab.StartSquid(t, lab.SquidOptions{Bump: inspect, UpstreamCA: l.ca.PEM(), Hosts: hosts})

	r := runBin(t, nil, l.args("--proxy", squid.URL, "--ca-file", inspectFile, "--endpoints", endpoints, "--endpoints-only",
		"--timeout", "20s")...)
	if r.doc == nil {
		t.Fatalf("no report; exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if r.code != exitNotCompliant {
		t.Errorf("exit %d, want %d (intercepted endpoints are denied)", r.code, exitNotCompliant)
	}

	// Interception, per check.
	n443 := 0
	for _, c := range r.doc.Checks {
		if c.Route != facts.RouteProxy {
			t.Errorf("%s: route %s, want proxy", c.ID, c.Route)
		}
		switch c.Port {
		case 443:
			n443++
			tl := c.Evidence.TLS
			if c.Status != facts.StatusFail || c.Stage != facts.StageTLSIntercepted || tl == nil || !tl.Intercepted ||
				!strings.Contains(tl.InterceptingCA, "Contoso SSL Inspection CA") {
				t.Errorf("%s: %s at %s (%s) %s; TLS evidence %+v", c.ID, c.Status, c.Stage, c.Reason, c.Message, tl)
				if tl == nil && c.Evidence.Proxy != nil {
					t.Logf("proxy evidence: %+v", *c.Evidence.Proxy)
				}
			}
		case 80:
			// squid relays port 80, but the only HTTPS chains of the run are its re-signed
			// ones: nothing verified to the expected roots proves port 80's answers.
			if c.Status != facts.StatusWarn || c.Reason != "unverified-origin" {
				t.Errorf("%s: plain HTTP through squid: %s at %s (%s) %s; want warn unverified-origin", c.ID, c.Status, c.Stage, c.Reason, c.Message)
			}
		}
	}
	if n443 != 4 {
		t.Errorf("%d checks on 443, want 4 (download.windowsupdate.com, go.microsoft.com with the fwlink merged in, download.microsoft.com, sccm.manage.microsoft.com)", n443)
	}

	tf := r.doc.Trust
	if tf == nil {
		t.Fatalf("report has no trust section; stderr:\n%s", r.stderr)
	}
	// The CNAME chain is recorded (the product resolves with the lab DNS even through a proxy).
	wu := byID(r.doc)["download.windowsupdate.com:443"]
	if wu.Evidence.DNS == nil || strings.Join(wu.Evidence.DNS.CNAMEs, " ") != "x.edge.contoso-cdn.test a.akamaiedge.net" {
		t.Fatalf("CNAME evidence of download.windowsupdate.com:443 = %+v", wu.Evidence.DNS)
	}

	// Gaps: the CDN hop once (first seen on the 443 check, also on 80), the mirror once.
	gaps := map[string]facts.AllowlistHop{}
	for _, g := range tf.Gaps {
		if _, dup := gaps[g.Name]; dup {
			t.Errorf("gap %s listed twice", g.Name)
		}
		gaps[g.Name] = g
	}
	if len(gaps) != 2 {
		t.Errorf("gaps = %+v, want the CDN hop and the mirror", tf.Gaps)
	}
	if g := gaps["x.edge.contoso-cdn.test"]; g.Via != "cname" || g.Check != "download.windowsupdate.com:443" || !slices.Equal(g.Ports, []int{443, 80}) {
		t.Errorf("CDN gap = %+v", g)
	}
	if g := gaps["crl.contoso-mirror.test"]; g.Via != "redirect" || g.Check != "crl3.digicert.com:80" || !slices.Equal(g.Ports, []int{80}) {
		t.Errorf("mirror gap = %+v", g)
	}
	// The Akamai edge is a hop covered by the wildcard, which is thereby exercised.
	covered := false
	for _, h := range tf.Hops {
		if h.Name == "a.akamaiedge.net" && h.CoveredBy == "*.akamaiedge.net" {
			covered = true
		}
	}
	if !covered {
		t.Errorf("a.akamaiedge.net not covered by *.akamaiedge.net in %+v", tf.Hops)
	}
	wild := map[string]facts.WildcardCoverage{}
	for _, w := range tf.Wildcards {
		wild[w.Pattern] = w
	}
	// Its only passing check would have been port 80 through squid, which nothing proves
	// under TLS inspection (a warn): the wildcard stays unexercised.
	if w := wild["*.akamaiedge.net"]; w.Exercised || len(w.Hosts) != 0 {
		t.Errorf("*.akamaiedge.net = %+v, want not exercised (no proven check reached it)", w)
	}
	// Its probe was intercepted, so nothing proves the name is reachable for the role.
	if w := wild["*.manage.microsoft.com"]; w.Exercised || len(w.Hosts) != 0 {
		t.Errorf("*.manage.microsoft.com = %+v: an intercepted probe does not exercise it", w)
	}
	if w := wild["*.akamaitechnologies.com"]; w.Exercised || len(w.Hosts) != 0 {
		t.Errorf("*.akamaitechnologies.com = %+v, want never exercised", w)
	}
	warned := false
	for _, f := range r.doc.Verdict.Warn {
		if f.Rule == "scp.allowlist_gap" && strings.Contains(f.Message, "x.edge.contoso-cdn.test") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no scp.allowlist_gap finding for the CDN hop in %+v", r.doc.Verdict.Warn)
	}

	// Firewall request: exactly the catalog names and the two gaps, once each.
	var names []string
	for _, fr := range tf.Firewall {
		names = append(names, fr.Name)
		switch fr.Name {
		case "download.windowsupdate.com":
			if !fr.BypassInspect || !slices.Equal(fr.Ports, []int{443, 80}) || fr.Discovered {
				t.Errorf("%+v", fr)
			}
		case "x.edge.contoso-cdn.test":
			if !fr.Discovered || !fr.BypassInspect || fr.Check != "download.windowsupdate.com:443" || !fr.Required {
				t.Errorf("discovered CDN rule %+v (inherits the bypass of download.windowsupdate.com)", fr)
			}
		case "go.microsoft.com":
			if len(fr.URLs) != 1 || !strings.Contains(fr.Reason, "always allowed; Windows servicing") {
				t.Errorf("%+v", fr)
			}
		}
	}
	want := []string{"*.akamaiedge.net", "*.akamaitechnologies.com", "*.manage.microsoft.com", "crl3.digicert.com",
		"download.microsoft.com", "download.windowsupdate.com", "go.microsoft.com",
		"crl.contoso-mirror.test", "x.edge.contoso-cdn.test"}
	if !slices.Equal(names, want) {
		t.Errorf("firewall names =\n%v\nwant\n%v", names, want)
	}

	// Roots are looked for in the system bundle plus the --ca-file files; no Windows settings here.
	if len(tf.Roots) != 5 || !strings.Contains(tf.Roots[0].Store, "--ca-file "+inspectFile) {
		t.Errorf("roots = %+v", tf.Roots)
	}
	if tf.TLSConfig == nil || tf.TLSConfig.Source != "not-windows" {
		t.Errorf("tlsConfig = %+v", tf.TLSConfig)
	}
}

// `cmpreflight endpoints --format firewall` prints the request for the whole catalog: one line
// per name, no duplicates, the names that must bypass inspection marked; it lists the same
// names the trust package computes.
func TestFirewallEndpointsFormat(t *testing.T) {
	r := runBin(t, nil, "endpoints", "--format", "firewall", "--edition", "all")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if !strings.HasPrefix(lines[0], "NAME") || !strings.Contains(lines[0], "BYPASS TLS INSPECTION") {
		t.Fatalf("header %q", lines[0])
	}
	seen := map[string]string{}
	for _, ln := range lines[1:] {
		if strings.TrimSpace(ln) == "" {
			break
		}
		f := strings.Fields(ln)
		if _, dup := seen[f[0]]; dup {
			t.Errorf("%s listed twice", f[0])
		}
		seen[f[0]] = ln
	}
	cat, err := catalog.LoadProfile("scp")
	if err != nil {
		t.Fatal(err)
	}
	rules := trust.FirewallRequest(catalog.EntrySources(cat.Entries, catalog.EditionAll, "public"), nil)
	var want, got []string
	for _, fr := range rules {
		want = append(want, fr.Name)
	}
	for n := range seen {
		got = append(got, n)
	}
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(got, want) {
		t.Errorf("printed names %v\nwant %v", got, want)
	}
	// Every catalog host appears; URL entries are folded into their host.
	for _, n := range []string{"download.windowsupdate.com", "go.microsoft.com", "*manage.microsoft.com", "*.manage.microsoft.com", "crl3.digicert.com", "login.microsoftonline.com"} {
		if _, ok := seen[n]; !ok {
			t.Errorf("%s missing from the request", n)
		}
	}
	if ln := seen["download.windowsupdate.com"]; !strings.Contains(ln, "443,80") || !strings.Contains(ln, " yes ") {
		t.Errorf("download.windowsupdate.com line %q: want ports 443,80 and inspection bypass", ln)
	}
	if ln := seen["management.usgovcloudapi.net"]; ln != "" {
		t.Errorf("usgov name in a public request: %q", ln)
	}
	if !strings.Contains(r.stdout, "names must bypass TLS inspection") {
		t.Errorf("no bypass summary in\n%s", r.stdout)
	}
	t.Logf("%d names in the firewall request for both editions", len(seen))
}

// The same through the whole SCP catalog (both editions): every 443 check is intercepted and
// names the inspection CA, every port-80 check passes, the CDN hop is the only gap, and the
// firewall request is exactly the catalog's names plus that gap.
func TestTrustWholeCatalogThroughSquidBump(t *testing.T) {
	l := startCatalogLab(t)
	l.dns.CNAME("download.windowsupdate.com", "x.edge.contoso-cdn.test")
	l.dns.CNAME("x.edge.contoso-cdn.test", "a.akamaiedge.net")
	l.dns.A("a.akamaiedge.net", l.web.IP)
	inspect, err := lab.NewCA("Contoso SSL Inspection CA")
	if err != nil {
		t.Fatal(err)
	}
	inspectFile := filepath.Join(l.dir, "inspection-ca.pem")
	if err := os.WriteFile(inspectFile, inspect.PEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.LoadProfile("scp")
	if err != nil {
		t.Fatal(err)
	}
	targets, _ := catalog.Plan(cat.Entries, catalog.PlanOptions{Edition: catalog.EditionAll, Cloud: "public"})
	hosts := map[string]string{}
	for _, tg := range targets {
		hosts[tg.Host] = l.web.IP
	}
	squid := lab.StartSquid(t, lab.SquidOptions{Bump: inspect, UpstreamCA: l.ca.PEM(), Hosts: hosts})

	r := runBin(t, nil, l.args("--proxy", squid.URL, "--ca-file", inspectFile, "--edition", "all", "--timeout", "30s")...)
	if r.doc == nil || r.doc.Trust == nil {
		t.Fatalf("no report or no trust section; exit %d, stderr:\n%s", r.code, r.stderr)
	}
	n443, n80 := 0, 0
	for _, c := range r.doc.Checks {
		switch c.Port {
		case 443:
			n443++
			if c.Stage != facts.StageTLSIntercepted || c.Evidence.TLS == nil || !strings.Contains(c.Evidence.TLS.InterceptingCA, "Contoso SSL Inspection CA") {
				t.Errorf("%s: %s at %s (%s) %s", c.ID, c.Status, c.Stage, c.Reason, c.Message)
			}
		case 80:
			n80++
			// Unprovable under TLS inspection: warn, never pass; a URL that moves to HTTPS
			// meets the interception on its next hop.
			upgraded := c.Status == facts.StatusFail && c.Stage == facts.StageTLSIntercepted && strings.Contains(c.Message, "redirect hop 1")
			if !upgraded && (c.Status != facts.StatusWarn || c.Reason != "unverified-origin") {
				t.Errorf("%s: %s at %s (%s) %s; want warn unverified-origin", c.ID, c.Status, c.Stage, c.Reason, c.Message)
			}
		}
	}
	if n443 != len(targets)-n80 || n443 < 25 {
		t.Errorf("%d checks on 443 and %d on 80 of %d planned", n443, n80, len(targets))
	}
	tf := r.doc.Trust
	if len(tf.Gaps) != 1 || tf.Gaps[0].Name != "x.edge.contoso-cdn.test" {
		t.Errorf("gaps = %+v, want only the CDN hop", tf.Gaps)
	}
	want := []string{}
	for _, fr := range trust.FirewallRequest(catalog.EntrySources(cat.Entries, catalog.EditionAll, "public"), nil) {
		want = append(want, fr.Name)
	}
	want = append(want, "x.edge.contoso-cdn.test")
	var got []string
	for _, fr := range tf.Firewall {
		got = append(got, fr.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("firewall names =\n%v\nwant\n%v", got, want)
	}
	t.Logf("%d checks on 443 intercepted, %d on 80 unproven, %d firewall names, %d hops, exit %d", n443, n80, len(got), len(tf.Hops), r.code)
}
