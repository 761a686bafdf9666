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
	// the SPN first.
	for _, tc := range []struct {
		name, ccache, proxy, auth, reason, words string
	}{
		{"SPN the KDC does not know", k.ccache, unknown, netprobe.AuthKerberos, netprobe.ReasonKerberosTicketRefused, "setspn -Q HTTP/unknown.lab.test"},
		{"SPN the KDC does not know, Negotiate", k.ccache, unknown, netprobe.AuthNegotiate, netprobe.ReasonKerberosTicketRefused, "setspn -Q HTTP/unknown.lab.test"},
		{"no ticket", "", k.proxyURL, netprobe.AuthNegotiate, netprobe.ReasonKerberosNoTicket, "klist"},
	} {
		c := k.run(t, k.env(tc.ccache, ""), tc.proxy, "--proxy-auth", tc.auth)
		t.Logf("%s: %s (%s): %s", tc.name, c.Status, c.Reason, c.Message)
		if c.Status != facts.StatusFail || c.Stage != facts.StageProxyAuth || c.Reason != tc.reason || !strings.Contains(c.Message, tc.words) || strings.Contains(c.Message, "winapi error") {
			t.Errorf("%s: %s at %s (%s): %s", tc.name, c.Status, c.Stage, c.Reason, c.Message)
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
	inNS := filepath.Join(l.dir, "cmpreflight-in-squid-ns")
	script := fmt.Sprintf("#!/bin/sh\nexec nsenter -t %d -m -- %q \"$@\"\n", sq.PID, binPath)
	if err := os.WriteFile(inNS, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	orig := binPath
	binPath = inNS
	t.Cleanup(func() { binPath = orig })
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
