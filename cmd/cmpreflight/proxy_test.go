package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/checks/netprobe"
	"github.com/cmpreflight/cmpreflight/checks/proxyconf"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
	"github.com/cmpreflight/cmpreflight/reports/diagnosis"
)

const labPassword = "S3cr3t-Pr0xy-Pa55"

// hostsFor maps every catalog name the plan probes to the lab web address, for proxies
// that resolve through a hosts file.
func (l *catalogLab) hostsFor(t *testing.T) map[string]string {
	cat, _ := catalog.LoadProfile("scp")
	targets, _ := catalog.Plan(cat.Entries, catalog.PlanOptions{Edition: catalog.EditionAll, Cloud: "public"})
	hosts := map[string]string{}
	for _, tg := range targets {
		hosts[tg.Host] = l.web.IP
	}
	return hosts
}

// assertNoSecret fails when the password shows in any output of a run.
func assertNoSecret(t *testing.T, r result, files ...string) {
	t.Helper()
	all := r.stdout + r.stderr + string(r.raw)
	for _, f := range files {
		b, _ := os.ReadFile(f)
		all += string(b)
	}
	if strings.Contains(all, labPassword) {
		t.Errorf("the proxy password appears in the output")
	}
}

func TestProxyBasicAuthWithDenyACL(t *testing.T) {
	l := startCatalogLab(t)
	sq := lab.StartSquid(t, lab.SquidOptions{Auth: "basic", Users: map[string]string{"svc-scp": labPassword},
		Deny: []string{".manage.microsoft.com"}, Hosts: l.hostsFor(t)})
	pwFile := filepath.Join(l.dir, "pw")
	os.WriteFile(pwFile, []byte(labPassword+"\n"), 0o600)
	html := filepath.Join(l.dir, "r.html")
	md := filepath.Join(l.dir, "r.md")

	r := runBin(t, nil, l.args("--proxy", sq.URL, "--proxy-auth", "basic", "--proxy-user", "svc-scp",
		"--proxy-password-file", pwFile, "--output", "html="+html, "--output", "markdown="+md)...)
	if r.doc == nil {
		t.Fatalf("no report: exit %d %s", r.code, r.stderr)
	}
	assertNoSecret(t, r, html, md)
	if r.doc.Proxy == nil || r.doc.Proxy.Source != "flag" || r.doc.Proxy.URL != sq.URL {
		t.Errorf("proxy facts = %+v", r.doc.Proxy)
	}
	denied := 0
	for _, c := range r.doc.Checks {
		if c.Route != facts.RouteProxy || c.ProxyURL != sq.URL {
			t.Errorf("%s went %s via %q", c.ID, c.Route, c.ProxyURL)
		}
		if strings.HasSuffix(c.Host, ".manage.microsoft.com") || c.Host == "manage.microsoft.com" {
			denied++
			if c.Status != facts.StatusFail || c.Stage != facts.StageProxyDenied || !strings.Contains(c.Message, c.Host) {
				t.Errorf("%s: %s at %s: %q; want proxy-denied naming the host", c.ID, c.Status, c.Stage, c.Message)
			}
			if c.Evidence.Proxy == nil || !strings.Contains(c.Evidence.Proxy.Headers["X-Squid-Error"], "ERR_ACCESS_DENIED") {
				t.Errorf("%s: proxy evidence %+v", c.ID, c.Evidence.Proxy)
			}
			continue
		}
		if c.Status != facts.StatusPass {
			t.Errorf("%s: %s at %s (%s): %s", c.ID, c.Status, c.Stage, c.Reason, c.Message)
		}
		if c.Port == 443 && (c.Evidence.Proxy == nil || c.Evidence.Proxy.AuthTried != "basic" || c.Evidence.TLS == nil || !c.Evidence.TLS.Verified) {
			t.Errorf("%s: evidence proxy=%+v tls=%+v", c.ID, c.Evidence.Proxy, c.Evidence.TLS)
		}
	}
	if denied < 4 {
		t.Errorf("%d checks of the denied domain; want the probe hosts on 443 and 80", denied)
	}
	if r.code != 1 {
		t.Errorf("exit %d; a denied required endpoint is not compliant", r.code)
	}

	// A wrong password fails every check at proxy-auth, listing what the proxy offers.
	bad := runBin(t, []string{"CMPREFLIGHT_PROXY_PASSWORD=" + labPassword + "-wrong"},
		l.args("--proxy", sq.URL, "--proxy-auth", "auto", "--proxy-user", "svc-scp", "--endpoints-only", "--endpoints", writeEndpoints(t, l.dir, "go.microsoft.com", "http://crl3.digicert.com/"))...)
	if bad.doc == nil {
		t.Fatalf("no report: %s", bad.stderr)
	}
	assertNoSecret(t, bad)
	for _, c := range bad.doc.Checks {
		if c.Stage != facts.StageProxyAuth || c.Evidence.Proxy == nil || !contains(c.Evidence.Proxy.AuthOffered, "basic") || c.Evidence.Proxy.AuthTried != "basic" {
			t.Errorf("%s: stage %s, proxy evidence %+v; want proxy-auth with basic offered and tried", c.ID, c.Stage, c.Evidence.Proxy)
		}
	}
}

func TestProxyNTLMOnTheConnectConnection(t *testing.T) {
	l := startCatalogLab(t)
	sq := lab.StartSquid(t, lab.SquidOptions{Auth: "ntlm-fake", Hosts: l.hostsFor(t)})
	eps := writeEndpoints(t, l.dir, "download.microsoft.com", "http://crl.microsoft.com/")
	r := runBin(t, []string{"CMPREFLIGHT_PROXY_PASSWORD=" + labPassword},
		l.args("--proxy", sq.URL, "--proxy-auth", "ntlm", "--proxy-user", `CONTOSO\svc-scp`, "--endpoints-only", "--endpoints", eps)...)
	if r.doc == nil {
		t.Fatalf("no report: %s", r.stderr)
	}
	assertNoSecret(t, r)
	for _, c := range r.doc.Checks {
		if c.Status != facts.StatusPass || c.Evidence.Proxy == nil || c.Evidence.Proxy.AuthTried != "ntlm" {
			t.Errorf("%s: %s at %s (%s) %s; proxy %+v", c.ID, c.Status, c.Stage, c.Reason, c.Message, c.Evidence.Proxy)
		}
	}
	// auto picks NTLM, the strongest scheme this proxy offers.
	r = runBin(t, []string{"CMPREFLIGHT_PROXY_PASSWORD=" + labPassword},
		l.args("--proxy", sq.URL, "--proxy-user", "svc-scp@contoso.com", "--endpoints-only", "--endpoints", eps)...)
	for _, c := range r.doc.Checks {
		if c.Status != facts.StatusPass || c.Evidence.Proxy.AuthTried != "ntlm" {
			t.Errorf("auto: %s: %s at %s; tried %q of %v", c.ID, c.Status, c.Stage, c.Evidence.Proxy.AuthTried, c.Evidence.Proxy.AuthOffered)
		}
	}
}

func TestTinyproxyWrongPasswordIsProxyAuth(t *testing.T) {
	l := startCatalogLab(t)
	tp := lab.StartTinyproxy(t, lab.TinyproxyOptions{User: "scp", Password: labPassword, Hosts: l.hostsFor(t)})
	eps := writeEndpoints(t, l.dir, "go.microsoft.com", "http://ocsp.digicert.com/")
	ok := runBin(t, []string{"CMPREFLIGHT_PROXY_PASSWORD=" + labPassword},
		l.args("--proxy", tp.URL, "--proxy-auth", "basic", "--proxy-user", "scp", "--endpoints-only", "--endpoints", eps)...)
	for _, c := range ok.doc.Checks {
		if c.Status != facts.StatusPass {
			t.Errorf("right password: %s: %s at %s (%s) %s", c.ID, c.Status, c.Stage, c.Reason, c.Message)
		}
	}
	bad := runBin(t, []string{"CMPREFLIGHT_PROXY_PASSWORD=nope"},
		l.args("--proxy", tp.URL, "--proxy-auth", "basic", "--proxy-user", "scp", "--endpoints-only", "--endpoints", eps)...)
	for _, c := range bad.doc.Checks {
		if c.Status != facts.StatusFail || c.Stage != facts.StageProxyAuth {
			t.Errorf("wrong password: %s: %s at %s (%s) %s", c.ID, c.Status, c.Stage, c.Reason, c.Message)
		}
	}
	assertNoSecret(t, ok)
}

func TestHostileProxiesFailInTheirLane(t *testing.T) {
	l := startCatalogLab(t)
	eps := writeEndpoints(t, l.dir, "go.microsoft.com", "http://crl3.digicert.com/")
	cases := []struct {
		behaviour, stage443, stage80, reason443 string
		reason80                                string
	}{
		{lab.HostileNeverAnswer, facts.StageProxyConnect, facts.StageProxyConnect, netprobe.ReasonProxySilent, netprobe.ReasonProxySilent},
		{lab.HostileGarbage, facts.StageProxyConnect, facts.StageProxyConnect, "bad-response", "bad-response"},
		{lab.HostileCloseMidTunnel, facts.StageProxyUpstream, "", "", ""},
		{lab.Hostile407NTLM, facts.StageProxyAuth, facts.StageProxyAuth, "status-407", ""},
		{lab.HostileBlockPage, facts.StageProxyDenied, facts.StageProxyDenied, "block-page", ""},
		// Issue 24: 200 to CONNECT, then the tunnel ends; on 80 the request is taken and
		// dropped. The proxy's doing, with the proxy's advice.
		{lab.HostileTunnelClose, facts.StageProxyUpstream, facts.StageProxyConnect, netprobe.ReasonTunnelClosed, netprobe.ReasonProxyClosed},
		{lab.HostileTunnelReset, facts.StageProxyUpstream, facts.StageProxyConnect, netprobe.ReasonTunnelReset, netprobe.ReasonProxyReset},
		{lab.HostileTunnelSilent, facts.StageProxyUpstream, facts.StageProxyConnect, netprobe.ReasonTunnelSilent, netprobe.ReasonProxySilent},
	}
	for _, c := range cases {
		t.Run(c.behaviour, func(t *testing.T) {
			p := lab.StartHostileProxy(t, c.behaviour)
			r := runBin(t, nil, l.args("--proxy", p.URL, "--timeout", "2s", "--endpoints-only", "--endpoints", eps)...)
			if r.doc == nil {
				t.Fatalf("no report: %s", r.stderr)
			}
			got := byID(r.doc)
			s443, s80 := got["go.microsoft.com:443"], got["crl3.digicert.com:80"]
			if s443.Stage != c.stage443 || (c.reason443 != "" && s443.Reason != c.reason443) {
				t.Errorf("443: %s at %s (%s) %q; want %s (%s)", s443.Status, s443.Stage, s443.Reason, s443.Message, c.stage443, c.reason443)
			}
			if c.stage80 != "" && s80.Stage != c.stage80 || (c.reason80 != "" && s80.Reason != c.reason80) {
				t.Errorf("80: %s at %s (%s) %q; want %s (%s)", s80.Status, s80.Stage, s80.Reason, s80.Message, c.stage80, c.reason80)
			}
			// A proxy that accepted the connection is never said not to accept connections,
			// TLS advice is only for TLS failures, and no message shows Go's error text.
			for _, g := range diagnosis.Diagnose(r.doc) {
				if strings.Contains(g.Problem, "does not accept connections") {
					t.Errorf("cause %q: %s", g.Headline, g.Problem)
				}
			}
			for _, f := range r.doc.Verdict.Deny {
				if strings.Contains(f.Remediation, "SchUseStrongCrypto") || strings.Contains(f.Remediation, "DigiCert") || strings.Contains(f.Remediation, "cannot reach its proxy") {
					t.Errorf("finding %q: remediation %q", f.Message, f.Remediation)
				}
			}
			for _, ch := range []facts.Check{s443, s80} {
				for _, w := range []string{"EOF", "broken pipe", "context deadline exceeded", "i/o timeout", "connection reset by peer"} {
					if strings.Contains(ch.Message, w) {
						t.Errorf("%s: message %q shows Go's %q", ch.ID, ch.Message, w)
					}
				}
			}
			if c.behaviour == lab.HostileBlockPage && (s80.Evidence.Proxy == nil || s80.Evidence.Proxy.PageTitle != lab.BlockPageTitle) {
				t.Errorf("block page title not recorded: %+v", s80.Evidence.Proxy)
			}
			if c.behaviour == lab.Hostile407NTLM && (s443.Evidence.Proxy == nil || !contains(s443.Evidence.Proxy.AuthOffered, "ntlm") || !contains(s443.Evidence.Proxy.AuthOffered, "negotiate")) {
				t.Errorf("offered schemes not recorded: %+v", s443.Evidence.Proxy)
			}
			for _, ch := range r.doc.Checks {
				if ch.Timings.Total > 2600 {
					t.Errorf("%s took %d ms; deadline 2 s", ch.ID, ch.Timings.Total)
				}
			}
		})
	}
}

func TestCompareDirectAndProxiedDNSIsInformational(t *testing.T) {
	l := startCatalogLab(t)
	sq := lab.StartSquid(t, lab.SquidOptions{Hosts: map[string]string{"only-proxy.lab.test": l.web.IP, "go.microsoft.com": l.web.IP}})
	eps := writeEndpoints(t, l.dir, "go.microsoft.com", "only-proxy.lab.test")
	r := runBin(t, nil, l.args("--proxy", sq.URL, "--compare-direct", "--endpoints-only", "--endpoints", eps)...)
	got := byID(r.doc)
	if c := got["go.microsoft.com:443@direct"]; c.Status != facts.StatusPass || c.Route != facts.RouteDirect {
		t.Errorf("direct: %+v", c)
	}
	if c := got["go.microsoft.com:443@proxy"]; c.Status != facts.StatusPass || c.Route != facts.RouteProxy {
		t.Errorf("proxy: %s %s %s", c.Status, c.Stage, c.Message)
	}
	// The client cannot resolve this name, the proxy can: through the proxy it passes and
	// the DNS failure is kept as information.
	if c := got["only-proxy.lab.test:443@direct"]; c.Stage != facts.StageDNS || c.Required {
		t.Errorf("direct to a name only the proxy resolves: %s at %s, required %v", c.Status, c.Stage, c.Required)
	}
	// The role goes through the proxy: the direct failure is information, not a deny.
	if r.code != 0 || !r.doc.Verdict.Compliant {
		t.Errorf("exit %d, deny %+v", r.code, r.doc.Verdict.Deny)
	}
	info := false
	for _, w := range r.doc.Verdict.Warn {
		info = info || (w.Rule == "scp.direct_path" && contains(w.Checks, "only-proxy.lab.test:443@direct"))
	}
	if !info {
		t.Errorf("no scp.direct_path warning: %+v", r.doc.Verdict.Warn)
	}
	c := got["only-proxy.lab.test:443@proxy"]
	if c.Status != facts.StatusPass || c.Evidence.DNS == nil || !c.Evidence.DNS.Informational || c.Evidence.DNS.Error == "" {
		t.Errorf("proxied: %s at %s; dns %+v", c.Status, c.Stage, c.Evidence.DNS)
	}
}

func writeEndpoints(t *testing.T, dir string, names ...string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("entries:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  - {name: %q}\n", n)
	}
	f, err := os.CreateTemp(dir, "endpoints-*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(b.String())
	f.Close()
	return f.Name()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestProxyRealNTLMChecksThePassword(t *testing.T) {
	l := startCatalogLab(t)
	user := fmt.Sprintf("scpntlm%d", os.Getpid()%100000)
	sq := lab.StartSquid(t, lab.SquidOptions{Auth: lab.SquidNTLM, Users: map[string]string{user: labPassword}, Hosts: l.hostsFor(t)})
	eps := writeEndpoints(t, l.dir, "download.microsoft.com", "http://crl.microsoft.com/")
	account := lab.NTLMDomain + `\` + user
	ok := runBin(t, []string{"CMPREFLIGHT_PROXY_PASSWORD=" + labPassword},
		l.args("--proxy", sq.URL, "--proxy-auth", "ntlm", "--proxy-user", account, "--endpoints-only", "--endpoints", eps)...)
	for _, c := range ok.doc.Checks {
		if c.Status != facts.StatusPass {
			t.Errorf("right password: %s: %s at %s (%s) %s", c.ID, c.Status, c.Stage, c.Reason, c.Message)
		}
	}
	bad := runBin(t, []string{"CMPREFLIGHT_PROXY_PASSWORD=" + labPassword + "x"},
		l.args("--proxy", sq.URL, "--proxy-auth", "ntlm", "--proxy-user", account, "--endpoints-only", "--endpoints", eps)...)
	for _, c := range bad.doc.Checks {
		if c.Status != facts.StatusFail || c.Stage != facts.StageProxyAuth || c.Evidence.Proxy.AuthTried != "ntlm" {
			t.Errorf("wrong password: %s: %s at %s (%s) %s", c.ID, c.Status, c.Stage, c.Reason, c.Message)
		}
	}
	assertNoSecret(t, ok)
	assertNoSecret(t, bad)
}

func TestIdleTunnelReportsAProxyThatClosesIt(t *testing.T) {
	l := startCatalogLab(t)
	eps := writeEndpoints(t, l.dir, "sccm.manage.microsoft.com")
	short := lab.StartSquid(t, lab.SquidOptions{Hosts: l.hostsFor(t), IdleTimeout: time.Second})
	r := runBin(t, nil, l.args("--proxy", short.URL, "--check-idle-timeout", "--idle-wait", "3s", "--endpoints-only", "--endpoints", eps)...)
	idle := byID(r.doc)["proxy/idle-tunnel"]
	if idle.Status != facts.StatusFail || idle.Reason != "idle-closed" || idle.Evidence.Proxy.IdleTunnel.Survived || idle.Host != "sccm.manage.microsoft.com" {
		t.Errorf("short idle limit: %s %s %s: %s", idle.Status, idle.Stage, idle.Reason, idle.Message)
	}
	long := lab.StartSquid(t, lab.SquidOptions{Hosts: l.hostsFor(t), IdleTimeout: 30 * time.Second})
	r = runBin(t, nil, l.args("--proxy", long.URL, "--check-idle-timeout", "--idle-wait", "2s", "--endpoints-only", "--endpoints", eps)...)
	idle = byID(r.doc)["proxy/idle-tunnel"]
	if idle.Status != facts.StatusPass || !idle.Evidence.Proxy.IdleTunnel.Survived {
		t.Errorf("long idle limit: %s %s %s: %s", idle.Status, idle.Stage, idle.Reason, idle.Message)
	}
}

func TestProxyFromEnvironmentWithUserinfoIsRedacted(t *testing.T) {
	l := startCatalogLab(t)
	sq := lab.StartSquid(t, lab.SquidOptions{Auth: "basic", Users: map[string]string{"envuser": labPassword}, Hosts: l.hostsFor(t)})
	eps := writeEndpoints(t, l.dir, "go.microsoft.com")
	withCreds := strings.Replace(sq.URL, "http://", "http://envuser:"+labPassword+"@", 1)
	html := filepath.Join(l.dir, "env.html")
	r := runBin(t, []string{"HTTPS_PROXY=" + withCreds, "HTTP_PROXY=" + withCreds},
		l.args("--proxy-auth", "basic", "--endpoints-only", "--endpoints", eps, "--output", "html="+html)...)
	assertNoSecret(t, r, html)
	if r.doc.Proxy == nil || r.doc.Proxy.Source != "env" || r.doc.Proxy.URL != sq.URL || r.doc.Proxy.User != "envuser" {
		t.Errorf("proxy facts %+v", r.doc.Proxy)
	}
	if c := byID(r.doc)["go.microsoft.com:443"]; c.Status != facts.StatusPass || c.Route != facts.RouteProxy {
		t.Errorf("%s at %s: %s", c.Status, c.Stage, c.Message)
	}
	// The same proxy from a config file is reported as such; --no-proxy sends a target direct.
	cfg := filepath.Join(l.dir, "cfg.yaml")
	os.WriteFile(cfg, []byte("proxy: "+sq.URL+"\nproxy-user: envuser\nproxy-auth: basic\nno-proxy: [\"*.microsoft.com\"]\n"), 0o644)
	r = runBin(t, []string{"CMPREFLIGHT_PROXY_PASSWORD=" + labPassword}, l.args("--config", cfg, "--endpoints-only", "--endpoints", eps)...)
	if r.doc.Proxy.Source != "config" {
		t.Errorf("source %q, want config", r.doc.Proxy.Source)
	}
	if c := byID(r.doc)["go.microsoft.com:443"]; c.Route != facts.RouteDirect || c.Status != facts.StatusPass {
		t.Errorf("bypassed target went %s: %s", c.Route, c.Status)
	}
}

// An https:// proxy from the environment is refused up front rather than sent credentials in
// clear text on its TLS port. On Windows the environment is not a proxy source at all (the
// role, a service running as SYSTEM, reads WinHTTP and the site system proxy, never the
// environment): the variable is reported as ignored and WinHTTP decides.
func TestHTTPSProxyIsRefused(t *testing.T) {
	dir := t.TempDir()
	eps := writeEndpoints(t, dir, "go.microsoft.com")
	r := runBin(t, []string{"HTTPS_PROXY=https://u:" + labPassword + "@proxy.lab.test:8443", "CMPREFLIGHT_PROXY_PASSWORD=" + labPassword},
		"run", "--endpoints-only", "--endpoints", eps, "--dns-server", "127.0.0.1:1", "--quiet")
	assertNoSecret(t, r)
	if runtime.GOOS == "windows" {
		if r.doc == nil || r.doc.Proxy == nil {
			t.Fatalf("exit %d, no proxy facts, stderr %q", r.code, r.stderr)
		}
		if r.doc.Proxy.Source != proxyconf.SourceWinHTTP || r.doc.Proxy.URL != "" ||
			!strings.Contains(strings.Join(r.doc.Proxy.Notes, "\n"), "HTTPS_PROXY is set but ignored") {
			t.Errorf("exit %d, proxy facts %+v", r.code, *r.doc.Proxy)
		}
		return
	}
	if r.code != 2 || !strings.Contains(r.stderr, "https://") || !strings.Contains(r.stderr, "env") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// Under --compare-direct, a target the proxy selection sends direct (--no-proxy) has no
// proxied route: the role reaches it directly, so its @direct check is the requirement and
// the proxied probe that cannot run must not deny the run.
func TestCompareDirectBypassedTargetIsNotDeniedForItsProxyRoute(t *testing.T) {
	l := startCatalogLab(t)
	sq := lab.StartSquid(t, lab.SquidOptions{Hosts: map[string]string{"go.microsoft.com": l.web.IP, "download.microsoft.com": l.web.IP}})
	eps := writeEndpoints(t, l.dir, "go.microsoft.com", "download.microsoft.com")
	r := runBin(t, nil, l.args("--proxy", sq.URL, "--no-proxy", "download.microsoft.com", "--compare-direct", "--endpoints-only", "--endpoints", eps)...)
	if r.doc == nil {
		t.Fatalf("no report: %s", r.stderr)
	}
	got := byID(r.doc)
	if c := got["download.microsoft.com:443@direct"]; c.Status != facts.StatusPass || !c.Required {
		t.Errorf("bypassed target, direct: %s required %v; want a required pass", c.Status, c.Required)
	}
	if c, ok := got["download.microsoft.com:443@proxy"]; ok && c.Required {
		t.Errorf("bypassed target, proxied: %s at %s (%s), required; the role never goes this way", c.Status, c.Stage, c.Reason)
	}
	if r.code != 0 || !r.doc.Verdict.Compliant {
		t.Errorf("exit %d, deny %+v, warn %+v", r.code, r.doc.Verdict.Deny, r.doc.Verdict.Warn)
	}
	for _, w := range r.doc.Verdict.Warn {
		if contains(w.Checks, "download.microsoft.com:443@proxy") {
			t.Errorf("a warning for a route the role does not use: %+v", w)
		}
	}
}
