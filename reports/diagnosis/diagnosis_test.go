package diagnosis

import (
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/facts"
)

func dnsFail(id, server, reason string, required bool) facts.Check {
	return facts.Check{ID: id, Kind: "https", Status: facts.StatusFail, Stage: facts.StageDNS, Reason: reason,
		Route: facts.RouteDirect, Required: required, Evidence: facts.Evidence{DNS: &facts.DNSEvidence{Server: server}}}
}

// Failing checks that share stage, reason, route and DNS server are one cause with the
// findings that name them; a finding without checks is its own cause; denies come first.
func TestDiagnoseGroupsByWhatChecksShare(t *testing.T) {
	doc := &facts.Document{Checks: []facts.Check{
		dnsFail("a:443", "10.0.0.53:53", "unreachable", true),
		dnsFail("b:443", "10.0.0.53:53", "unreachable", true),
		dnsFail("c:80", "10.0.0.53:53", "unreachable", false),
		dnsFail("d:443", "10.0.0.54:53", "timeout", true),
		{ID: "e:443", Status: facts.StatusPass},
		{ID: "f:80", Status: facts.StatusSkip, Reason: "not-required"},
	}, Verdict: &facts.Verdict{
		Deny: []facts.Finding{{Rule: "scp.endpoint_reachable", Checks: []string{"a:443"}}, {Rule: "scp.endpoint_reachable", Checks: []string{"b:443"}}},
		Warn: []facts.Finding{{Rule: "scp.root_present", Message: "G2 missing", Remediation: "install G2"}, {Rule: "x.slow", Checks: []string{"d:443"}}},
	}}
	cs := Diagnose(doc)
	if len(cs) != 3 {
		t.Fatalf("%d causes, want 3: %+v", len(cs), cs)
	}
	c := cs[0]
	if c.Level != LevelDeny || len(c.Checks) != 3 || c.Rules[0].Count != 2 || !strings.HasPrefix(c.Headline, "3 of 6 checks failed at DNS (unreachable), direct") {
		t.Errorf("first cause %+v", c)
	}
	if !strings.Contains(c.Problem, "10.0.0.53:53 is not reachable") || !strings.Contains(c.Action, "--dns-server") {
		t.Errorf("problem %q action %q", c.Problem, c.Action)
	}
	// Warns: the DNS timeout (one check) and the root finding (no check), largest first.
	if cs[1].Level != LevelWarn || cs[2].Level != LevelWarn || cs[1].DNSServer == cs[2].DNSServer {
		t.Errorf("warn causes %+v / %+v", cs[1], cs[2])
	}
	for _, w := range cs[1:] {
		if w.DNSServer == "" && (w.Headline != "G2 missing" || w.Action != "install G2") {
			t.Errorf("finding cause %+v", w)
		}
		if w.DNSServer == "10.0.0.54:53" && !strings.Contains(w.Problem, "did not answer in time") {
			t.Errorf("timeout cause %+v", w)
		}
	}
}

// Checks no finding points at are information; not-required ones say so.
func TestDiagnoseInformation(t *testing.T) {
	doc := &facts.Document{Checks: []facts.Check{
		{ID: "go:80", Status: facts.StatusFail, Stage: facts.StageConnect, Reason: "refused", Route: facts.RouteProxy, ProxyURL: "http://p:3128"},
	}, Verdict: &facts.Verdict{Compliant: true}}
	cs := Diagnose(doc)
	if len(cs) != 1 || cs[0].Level != LevelInfo || !strings.Contains(cs[0].Headline, "not required") || !strings.Contains(cs[0].Headline, "through http://p:3128") {
		t.Errorf("%+v", cs)
	}
}

// Only a failed connection to the proxy is "does not accept connections": a proxy that took
// the connection and then ended it, or answered with nonsense, is said to have done so, and a
// tunnel ended after the 200 gets the proxy's advice, not TLS's.
func TestDiagnoseProxyThatAcceptedTheConnection(t *testing.T) {
	for _, tc := range []struct {
		stage, reason string
		want, not     string
	}{
		{facts.StageProxyConnect, "refused", "does not accept connections", "accepted"},
		{facts.StageProxyConnect, "timeout", "does not accept connections", "accepted"},
		{facts.StageProxyConnect, "dns-nxdomain", "does not accept connections", "accepted"},
		{facts.StageProxyConnect, "proxy-closed", "accepted the connection and the request, then closed it", "does not accept"},
		{facts.StageProxyConnect, "proxy-reset", "then reset it", "does not accept"},
		{facts.StageProxyConnect, "proxy-silent", "never answered", "does not accept"},
		{facts.StageProxyConnect, "bad-response", "did not answer as an HTTP proxy does", "does not accept"},
		{facts.StageProxyUpstream, "tunnel-closed", "answered 200 to CONNECT, then closed the tunnel", "TLS 1.2"},
		{facts.StageProxyUpstream, "tunnel-reset", "reset the tunnel", "SchUseStrongCrypto"},
		{facts.StageProxyUpstream, "tunnel-silent", "let nothing come back", "DigiCert"},
	} {
		doc := &facts.Document{Checks: []facts.Check{{ID: "a:443", Kind: "https", Status: facts.StatusFail, Stage: tc.stage, Reason: tc.reason,
			Route: facts.RouteProxy, ProxyURL: "http://p.contoso.com:3128", Required: true}}}
		cs := Diagnose(doc)
		if len(cs) != 1 {
			t.Fatalf("%s/%s: %d causes", tc.stage, tc.reason, len(cs))
		}
		text := cs[0].Problem + " / " + cs[0].Action
		if !strings.Contains(text, tc.want) || strings.Contains(text, tc.not) || !strings.Contains(cs[0].Problem, "p.contoso.com") {
			t.Errorf("%s/%s: %q; want %q and not %q", tc.stage, tc.reason, text, tc.want, tc.not)
		}
	}
}
