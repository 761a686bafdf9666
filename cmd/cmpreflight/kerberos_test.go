package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cmpreflight/cmpreflight/checks/netprobe"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

const (
	labRealm   = "LAB.TEST"
	labMachine = "SCP01$"
	proxyName  = "proxy.lab.test"
)

// kerberosLab is a realm with the machine account SCP01$ (keytab and ticket cache) and a squid
// that accepts Negotiate for HTTP/proxy.lab.test, reached by that name through the lab DNS.
type kerberosLab struct {
	*catalogLab
	kdc      *lab.KDC
	keytab   string // SCP01$'s keytab
	ccache   string // SCP01$'s ticket-granting ticket
	squid    *lab.Proxy
	proxyURL string
	eps      string
}

func startKerberosLab(t *testing.T, o lab.SquidOptions) *kerberosLab {
	t.Helper()
	start := time.Now()
	l := startCatalogLab(t)
	k := &kerberosLab{catalogLab: l, kdc: lab.StartKDC(t, labRealm)}
	k.keytab = k.kdc.AddPrincipal(t, labMachine)
	k.ccache = k.kdc.Kinit(t, labMachine, k.keytab)
	o.Hosts = l.hostsFor(t)
	if o.Negotiate == nil {
		o.Negotiate = &lab.NegotiateOptions{}
	}
	o.Negotiate.KDC, o.Negotiate.SPN = k.kdc, "HTTP/"+proxyName
	k.squid = lab.StartSquid(t, o)
	ip, port, _ := strings.Cut(strings.TrimPrefix(k.squid.URL, "http://"), ":")
	_ = port
	l.dns.A(proxyName, ip)
	k.proxyURL = "http://" + proxyName + ":" + strings.Split(k.squid.Addr, ":")[1]
	k.eps = writeEndpoints(t, l.dir, "download.microsoft.com")
	t.Logf("realm, machine ticket and squid ready in %v", time.Since(start).Round(time.Millisecond))
	return k
}

// env is the Kerberos environment of one run: the lab's krb5.conf, the given cache and keytab
// (empty clears them), never the machine's.
func (k *kerberosLab) env(ccache, keytab string, more ...string) []string {
	if ccache == "" {
		ccache = filepath.Join(k.dir, "no-such-cache")
	}
	return append([]string{"KRB5_CONFIG=" + k.kdc.Conf, "KRB5CCNAME=FILE:" + ccache, "KRB5_CLIENT_KTNAME=" + keytab}, more...)
}

func (k *kerberosLab) run(t *testing.T, env []string, proxy string, extra ...string) facts.Check {
	t.Helper()
	r := runBin(t, env, k.args(append([]string{"--proxy", proxy, "--endpoints-only", "--endpoints", k.eps}, extra...)...)...)
	if r.doc == nil || len(r.doc.Checks) != 1 {
		t.Fatalf("exit %d, no single check; stderr %s", r.code, r.stderr)
	}
	return r.doc.Checks[0]
}

func authOf(c facts.Check) facts.ProxyAuthResult {
	if c.Evidence.Proxy == nil || c.Evidence.Proxy.Auth == nil {
		return facts.ProxyAuthResult{}
	}
	return *c.Evidence.Proxy.Auth
}

// The Linux binary passes a Kerberos-only squid as the machine account, from its ticket cache
// and from its keytab; squid's log names the principal; a CNAME to the proxy asks for the
// canonical name's SPN, as WinHTTP does.
func TestKerberosProxyFromCacheAndKeytab(t *testing.T) {
	k := startKerberosLab(t, lab.SquidOptions{})
	k.dns.CNAME("alias.lab.test", proxyName)
	alias := strings.Replace(k.proxyURL, proxyName, "alias.lab.test", 1)
	for _, tc := range []struct {
		name, ccache, keytab, auth, proxy string
	}{
		{"ccache negotiate", k.ccache, "", netprobe.AuthNegotiate, k.proxyURL},
		{"ccache auto", k.ccache, "", netprobe.AuthAuto, k.proxyURL},
		{"keytab kerberos", "", k.keytab, netprobe.AuthKerberos, k.proxyURL},
		{"ccache via CNAME", k.ccache, "", netprobe.AuthKerberos, alias},
	} {
		c := k.run(t, k.env(tc.ccache, tc.keytab), tc.proxy, "--proxy-auth", tc.auth)
		a := authOf(c)
		if c.Status != facts.StatusPass {
			t.Errorf("%s: %s at %s (%s): %s", tc.name, c.Status, c.Stage, c.Reason, c.Message)
		}
		if a.Package != netprobe.PackageKerberos || a.Principal != labMachine+"@"+labRealm || a.SPN != "HTTP/"+proxyName || !a.Accepted {
			t.Errorf("%s: auth evidence %+v", tc.name, a)
		}
	}
	log, _ := os.ReadFile(k.squid.LogPath)
	if !strings.Contains(string(log), labMachine+"@"+labRealm) {
		t.Errorf("squid's access log does not name %s@%s:\n%s", labMachine, labRealm, log)
	}
}

// Each Kerberos failure ends in its named cause, with the SPN in the report.
func TestKerberosProxyFailuresAreNamed(t *testing.T) {
	k := startKerberosLab(t, lab.SquidOptions{})
	k.dns.A("unknown.lab.test", strings.Split(k.squid.Addr, ":")[0])
	unknown := strings.Replace(k.proxyURL, proxyName, "unknown.lab.test", 1)
	pwFile := filepath.Join(k.dir, "pw")
	os.WriteFile(pwFile, []byte(labPassword+"\n"), 0o600)
	cases := []struct {
		name   string
		env    []string
		proxy  string
		args   []string
		reason string
		words  string
	}{
		{"SPN the KDC does not know", k.env(k.ccache, ""), unknown, []string{"--proxy-auth", "negotiate"}, netprobe.ReasonKerberosNoSPN, "setspn -Q HTTP/unknown.lab.test"},
		{"no ticket", k.env("", ""), k.proxyURL, []string{"--proxy-auth", "kerberos"}, netprobe.ReasonKerberosNoTicket, "kinit"},
		{"Kerberos-only proxy, only NTLM possible", k.env("", ""), k.proxyURL,
			[]string{"--proxy-auth", "negotiate", "--proxy-user", `CMPLAB\scp`, "--proxy-password-file", pwFile}, netprobe.ReasonKerberosRequired, "accepts only Kerberos"},
	}
	for _, tc := range cases {
		c := k.run(t, tc.env, tc.proxy, tc.args...)
		t.Logf("%s: %s (%s): %s", tc.name, c.Status, c.Reason, c.Message)
		if c.Status != facts.StatusFail || c.Stage != facts.StageProxyAuth || c.Reason != tc.reason || !strings.Contains(c.Message, tc.words) {
			t.Errorf("%s: %s at %s (%s): %s", tc.name, c.Status, c.Stage, c.Reason, c.Message)
		}
		if a := authOf(c); a.SPN == "" || a.Accepted {
			t.Errorf("%s: auth evidence %+v", tc.name, a)
		}
	}
	// Last: a KDC that does not answer.
	k.kdc.Stop()
	c := k.run(t, k.env(k.ccache, ""), k.proxyURL, "--proxy-auth", "negotiate")
	t.Logf("KDC down: %s (%s) after %d ms: %s", c.Status, c.Reason, c.Timings.Total, c.Message)
	if c.Status != facts.StatusFail || c.Reason != netprobe.ReasonKerberosKDCDown || !strings.Contains(c.Message, "port 88") {
		t.Errorf("KDC down: %s at %s (%s): %s", c.Status, c.Stage, c.Reason, c.Message)
	}
}

// A proxy whose keytab holds an old key of its SPN cannot decrypt the ticket: the refusal
// after a ticket was sent is named, not a generic 407.
func TestKerberosProxyWithAStaleKeyRejectsTheTicket(t *testing.T) {
	k := startKerberosLab(t, lab.SquidOptions{Negotiate: &lab.NegotiateOptions{StaleKey: true}})
	c := k.run(t, k.env(k.ccache, ""), k.proxyURL, "--proxy-auth", "kerberos")
	t.Logf("%s (%s): %s", c.Status, c.Reason, c.Message)
	if c.Status != facts.StatusFail || c.Reason != netprobe.ReasonKerberosRejected || !strings.Contains(c.Message, "setspn -X") {
		t.Errorf("%s at %s (%s): %s", c.Status, c.Stage, c.Reason, c.Message)
	}
	if a := authOf(c); a.Package != netprobe.PackageKerberos || a.Accepted || a.Legs != 1 {
		t.Errorf("auth %+v", a)
	}
}

// A squid that accepts Negotiate with Kerberos or NTLM inside (negotiate_wrapper_auth): with
// no ticket, Negotiate ends in NTLM with the account's password; the check passes and the
// verdict warns with the Kerberos cause.
func TestNegotiateThatEndsInNTLMWarns(t *testing.T) {
	user := fmt.Sprintf("scpneg%d", os.Getpid()%100000)
	k := startKerberosLab(t, lab.SquidOptions{Auth: lab.SquidNTLM, Users: map[string]string{user: labPassword},
		Negotiate: &lab.NegotiateOptions{NTLMFallback: true}})
	r := runBin(t, k.env("", "", "CMPREFLIGHT_PROXY_PASSWORD="+labPassword), k.args("--proxy", k.proxyURL, "--proxy-auth", "negotiate",
		"--proxy-user", lab.NTLMDomain+`\`+user, "--endpoints-only", "--endpoints", k.eps)...)
	if r.doc == nil || len(r.doc.Checks) != 1 {
		t.Fatalf("exit %d; stderr %s", r.code, r.stderr)
	}
	c := r.doc.Checks[0]
	a := authOf(c)
	if c.Status != facts.StatusPass || a.Package != netprobe.PackageNTLM || a.KerberosFailure != netprobe.ReasonKerberosNoTicket || !a.Accepted {
		t.Errorf("%s at %s (%s): %s; auth %+v", c.Status, c.Stage, c.Reason, c.Message, a)
	}
	if !findRule(r.doc.Verdict.Warn, "scp.proxy_kerberos") {
		t.Errorf("no scp.proxy_kerberos warning: %+v", r.doc.Verdict.Warn)
	}
	assertNoSecret(t, r)
}

func findRule(fs []facts.Finding, rule string) bool {
	for _, f := range fs {
		if f.Rule == rule {
			return true
		}
	}
	return false
}
