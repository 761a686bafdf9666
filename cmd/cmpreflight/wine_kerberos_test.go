//go:build linux && winelab

package main

// cmpreflight.exe under Wine against a real KDC and squid: SSPI Negotiate as the machine
// account. Wine's Kerberos provider loads the host's libkrb5, so the KRB5_CONFIG and
// KRB5CCNAME given to the Wine process are the ticket cache of "the current identity".

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/checks/netprobe"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

func TestWineKerberosProxyAsMachineAccount(t *testing.T) {
	k := startKerberosLab(t, lab.SquidOptions{})
	for _, auth := range []string{netprobe.AuthNegotiate, netprobe.AuthKerberos, netprobe.AuthAuto} {
		c := k.run(t, k.env(k.ccache, ""), k.proxyURL, "--proxy-auth", auth)
		a := authOf(c)
		t.Logf("%s: %s (%s) auth %+v", auth, c.Status, c.Reason, a)
		if c.Status != facts.StatusPass {
			t.Errorf("%s: %s at %s (%s): %s", auth, c.Status, c.Stage, c.Reason, c.Message)
		}
		if a.Package != netprobe.PackageKerberos || a.SPN != "HTTP/"+proxyName || !a.Accepted {
			t.Errorf("%s: auth evidence %+v", auth, a)
		}
	}
	log, _ := os.ReadFile(k.squid.LogPath)
	if !strings.Contains(string(log), labMachine+"@"+labRealm) {
		t.Errorf("squid's access log does not name %s@%s:\n%s", labMachine, labRealm, log)
	}
}

func TestWineKerberosFailuresAreNamed(t *testing.T) {
	k := startKerberosLab(t, lab.SquidOptions{})
	k.dns.A("unknown.lab.test", strings.Split(k.squid.Addr, ":")[0])
	unknown := strings.Replace(k.proxyURL, proxyName, "unknown.lab.test", 1)
	// Wine's provider reports an unknown SPN as SEC_E_INTERNAL_ERROR (Windows says
	// SEC_E_TARGET_UNKNOWN): the product proves the KDC answers and names the checks to make,
	// the SPN first. Negotiate then goes on with NTLM, as Windows does, which this Kerberos-only
	// squid never challenges: kerberos-required, with the Kerberos cause in the report.
	for _, tc := range []struct {
		name, ccache, proxy, auth, reason, kfail, words string
	}{
		{"SPN the KDC does not know", k.ccache, unknown, netprobe.AuthKerberos, netprobe.ReasonKerberosTicketRefused, netprobe.ReasonKerberosTicketRefused, "setspn -Q HTTP/unknown.lab.test"},
		{"SPN the KDC does not know, Negotiate", k.ccache, unknown, netprobe.AuthNegotiate, netprobe.ReasonKerberosRequired, netprobe.ReasonKerberosTicketRefused, "setspn -Q HTTP/unknown.lab.test"},
		{"no ticket, Kerberos", "", k.proxyURL, netprobe.AuthKerberos, netprobe.ReasonKerberosNoTicket, netprobe.ReasonKerberosNoTicket, "klist"},
		{"no ticket, Negotiate", "", k.proxyURL, netprobe.AuthNegotiate, netprobe.ReasonKerberosRequired, netprobe.ReasonKerberosNoTicket, "accepts only Kerberos"},
	} {
		c := k.run(t, k.env(tc.ccache, ""), tc.proxy, "--proxy-auth", tc.auth)
		a := authOf(c)
		t.Logf("%s: %s (%s): %s", tc.name, c.Status, c.Reason, c.Message)
		if c.Status != facts.StatusFail || c.Stage != facts.StageProxyAuth || c.Reason != tc.reason || !strings.Contains(c.Message, tc.words) || strings.Contains(c.Message, "winapi error") {
			t.Errorf("%s: %s at %s (%s): %s", tc.name, c.Status, c.Stage, c.Reason, c.Message)
		}
		if a.KerberosFailure != tc.kfail || a.SPN == "" || a.Accepted {
			t.Errorf("%s: auth %+v", tc.name, a)
		}
	}
	k.kdc.Stop()
	c := k.run(t, k.env(k.ccache, ""), k.proxyURL, "--proxy-auth", netprobe.AuthKerberos)
	t.Logf("KDC down: %s (%s): %s", c.Status, c.Reason, c.Message)
	if c.Status != facts.StatusFail || c.Reason != netprobe.ReasonKerberosKDCDown {
		t.Errorf("KDC down: %s at %s (%s): %s", c.Status, c.Stage, c.Reason, c.Message)
	}
}

// NTLM as the current identity (Wine runs as root): the .exe runs in the squid's mount
// namespace, where a standalone winbindd holds root's password and squid checks it with
// ntlm_auth. The first InitializeSecurityContext gets no input buffer.
func TestWineNTLMAsCurrentIdentity(t *testing.T) {
	l := startCatalogLab(t)
	sq := lab.StartSquid(t, lab.SquidOptions{Auth: lab.SquidNTLM, Users: map[string]string{"root": labPassword},
		SingleSignOn: "root", Hosts: l.hostsFor(t)})
	inSquidNamespace(t, sq, l.dir)
	eps := writeEndpoints(t, l.dir, "download.microsoft.com")
	for _, auth := range []string{netprobe.AuthNTLM, netprobe.AuthAuto} {
		r := runBin(t, nil, l.args("--proxy", sq.URL, "--proxy-auth", auth, "--endpoints-only", "--endpoints", eps)...)
		if r.doc == nil || len(r.doc.Checks) != 1 {
			t.Fatalf("%s: exit %d; stderr %s", auth, r.code, r.stderr)
		}
		c := r.doc.Checks[0]
		a := authOf(c)
		t.Logf("%s: %s (%s) %s; auth %+v", auth, c.Status, c.Reason, c.Message, a)
		if c.Status != facts.StatusPass || a.Package != netprobe.PackageNTLM || !a.Accepted || a.Legs != 2 {
			t.Errorf("%s: %s at %s (%s): %s; auth %+v", auth, c.Status, c.Stage, c.Reason, c.Message, a)
		}
	}
	log, _ := os.ReadFile(sq.LogPath)
	if !strings.Contains(strings.ToLower(string(log)), "root") {
		t.Errorf("squid's access log does not name root:\n%s", log)
	}
}

// inSquidNamespace makes runBin start the .exe in squid's mount namespace, where its winbindd
// answers Wine's ntlm_auth (the Wine client's NTLM single sign-on).
func inSquidNamespace(t *testing.T, sq *lab.Proxy, dir string) {
	t.Helper()
	inNS := filepath.Join(dir, "cmpreflight-in-squid-ns")
	script := fmt.Sprintf("#!/bin/sh\nexec nsenter -t %d -m -- %q \"$@\"\n", sq.PID, binPath)
	if err := os.WriteFile(inNS, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	orig := binPath
	binPath = inNS
	t.Cleanup(func() { binPath = orig })
}

// With no ticket, Windows' Negotiate goes on with NTLM as the current identity: through a
// squid that accepts both (negotiate_wrapper_auth) the check passes, the report says NTLM and
// why Kerberos failed, and the verdict warns; through a Kerberos-only squid the NTLM message is
// never challenged and the failure says the proxy wants Kerberos.
func TestWineNegotiateThatEndsInNTLM(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fallback bool
	}{{"Negotiate accepting NTLM", true}, {"Kerberos-only proxy", false}} {
		o := lab.SquidOptions{Users: map[string]string{"root": labPassword}, SingleSignOn: "root",
			Negotiate: &lab.NegotiateOptions{NTLMFallback: tc.fallback}}
		if tc.fallback {
			o.Auth = lab.SquidNTLM
		}
		k := startKerberosLab(t, o)
		inSquidNamespace(t, k.squid, k.dir)
		r := runBin(t, k.env("", ""), k.args("--proxy", k.proxyURL, "--proxy-auth", netprobe.AuthNegotiate, "--endpoints-only", "--endpoints", k.eps)...)
		if r.doc == nil || len(r.doc.Checks) != 1 {
			t.Fatalf("%s: exit %d; stderr %s", tc.name, r.code, r.stderr)
		}
		c := r.doc.Checks[0]
		a := authOf(c)
		t.Logf("%s: %s (%s) %s; auth %+v", tc.name, c.Status, c.Reason, c.Message, a)
		if a.Package != netprobe.PackageNTLM || a.SPN != "HTTP/"+proxyName {
			t.Errorf("%s: auth %+v", tc.name, a)
		}
		if tc.fallback {
			if c.Status != facts.StatusPass || a.KerberosFailure != netprobe.ReasonKerberosNoTicket || !findRule(r.doc.Verdict.Warn, "scp.proxy_kerberos") {
				t.Errorf("%s: %s (%s); warnings %+v", tc.name, c.Status, c.Reason, r.doc.Verdict.Warn)
			}
		} else if c.Status != facts.StatusFail || c.Reason != netprobe.ReasonKerberosRequired {
			t.Errorf("%s: %s at %s (%s): %s", tc.name, c.Status, c.Stage, c.Reason, c.Message)
		}
	}
}

// A proxy holding a stale key of its SPN refuses the machine's ticket: kerberos-rejected,
// through SSPI as through gokrb5.
func TestWineKerberosStaleKeyIsRejected(t *testing.T) {
	k := startKerberosLab(t, lab.SquidOptions{Negotiate: &lab.NegotiateOptions{StaleKey: true}})
	c := k.run(t, k.env(k.ccache, ""), k.proxyURL, "--proxy-auth", netprobe.AuthKerberos)
	t.Logf("%s (%s): %s", c.Status, c.Reason, c.Message)
	if c.Status != facts.StatusFail || c.Reason != netprobe.ReasonKerberosRejected {
		t.Errorf("%s at %s (%s): %s", c.Status, c.Stage, c.Reason, c.Message)
	}
	if a := authOf(c); a.Package != netprobe.PackageKerberos || a.Accepted || a.Legs != 1 {
		t.Errorf("auth %+v", a)
	}
}
