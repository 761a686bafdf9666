//go:build linux && winelab

package main

// The product's Windows build (cmpreflight.exe) under Wine against the lab: run by
// `make test-windows` (scripts/wine/test-windows.sh), which builds the .exe, points
// CMPREFLIGHT_BIN at a wrapper that runs it under Wine, and runs this file in a mount namespace
// whose resolv.conf names 127.0.0.1 (so Wine's adapters report the lab's DNS server there).

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cmpreflight/cmpreflight/checks/proxyconf"
	"github.com/cmpreflight/cmpreflight/checks/trust"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

const winHTTPKey = `HKLM\Software\Microsoft\Windows\CurrentVersion\Internet Settings\Connections`

// wineReg runs `wine reg ARGS...` in the test prefix.
func wineReg(t *testing.T, args ...string) {
	t.Helper()
	wine := os.Getenv("CMPREFLIGHT_WINE")
	if wine == "" || os.Getenv("WINEPREFIX") == "" {
		t.Fatal("CMPREFLIGHT_WINE and WINEPREFIX are not set: run through scripts/wine/test-windows.sh")
	}
	out, err := exec.Command(wine, append([]string{"reg"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("wine reg %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// wineRegDelete deletes a value or key, whether or not it exists.
func wineRegDelete(args ...string) {
	_ = exec.Command(os.Getenv("CMPREFLIGHT_WINE"), append([]string{"reg", "delete"}, append(args, "/f")...)...).Run()
}

// winHTTPHex is a WinHttpSettings value as `netsh winhttp set proxy` writes it, in hex.
func winHTTPHex(proxy, bypass string) string {
	b := binary.LittleEndian.AppendUint32(nil, 0x28)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint32(b, 3) // direct | proxy
	for _, s := range []string{proxy, bypass} {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	b = binary.LittleEndian.AppendUint32(b, 0)
	return hex.EncodeToString(b)
}

func TestWineWinHTTPProxyThroughSquid(t *testing.T) {
	l := startCatalogLab(t)
	l.dns.A("cm.contoso.com", l.web.IP)
	sq := lab.StartSquid(t, lab.SquidOptions{Hosts: l.hostsFor(t)})
	eps := writeEndpoints(t, l.dir, "go.microsoft.com", "cm.contoso.com")
	proxy := strings.TrimPrefix(sq.URL, "http://")
	t.Cleanup(func() { wineRegDelete(winHTTPKey, "/v", "WinHttpSettings") })

	wineReg(t, "add", winHTTPKey, "/v", "WinHttpSettings", "/t", "REG_BINARY", "/d", winHTTPHex(proxy, "*.contoso.com;<local>"), "/f")
	r := runBin(t, nil, l.args("--endpoints-only", "--endpoints", eps)...)
	if r.doc == nil || r.doc.Proxy == nil {
		t.Fatalf("exit %d, no proxy facts; stderr %s", r.code, r.stderr)
	}
	if r.doc.Proxy.Source != proxyconf.SourceWinHTTP || r.doc.Proxy.URL != sq.URL || !contains(r.doc.Proxy.Bypass, "*.contoso.com") {
		t.Errorf("proxy facts %+v, want winhttp %s with its bypass list", *r.doc.Proxy, sq.URL)
	}
	if c := byID(r.doc)["go.microsoft.com:443"]; c.Status != facts.StatusPass || c.Route != facts.RouteProxy {
		t.Errorf("go.microsoft.com:443 %s via %s at %s: %s", c.Status, c.Route, c.Stage, c.Message)
	}
	if c := byID(r.doc)["cm.contoso.com:443"]; c.Status != facts.StatusPass || c.Route != facts.RouteDirect {
		t.Errorf("bypassed cm.contoso.com:443 %s via %s at %s: %s", c.Status, c.Route, c.Stage, c.Message)
	}

	wineRegDelete(winHTTPKey, "/v", "WinHttpSettings")
	r = runBin(t, nil, l.args("--endpoints-only", "--endpoints", eps)...)
	if r.doc == nil || r.doc.Proxy == nil || r.doc.Proxy.Source != proxyconf.SourceWinHTTP || r.doc.Proxy.URL != "" {
		t.Fatalf("without a WinHTTP value: exit %d, proxy %+v", r.code, r.doc.Proxy)
	}
	if c := byID(r.doc)["go.microsoft.com:443"]; c.Status != facts.StatusPass || c.Route != facts.RouteDirect {
		t.Errorf("direct go.microsoft.com:443 %s via %s at %s: %s", c.Status, c.Route, c.Stage, c.Message)
	}
}

func TestWineStrongCryptoFlipsTLSConfig(t *testing.T) {
	l := startCatalogLab(t)
	eps := writeEndpoints(t, l.dir, "go.microsoft.com")
	// One `wine reg import` per state: every Wine process start costs seconds.
	regFile := filepath.Join(l.dir, "dotnet.reg")
	set := func(v string) {
		var b strings.Builder
		b.WriteString("Windows Registry Editor Version 5.00\r\n")
		for _, k := range []string{trust.DotNetKey, trust.DotNetKeyWOW64} {
			b.WriteString("\r\n[HKEY_LOCAL_MACHINE\\" + k + "]\r\n")
			for _, n := range []string{"SchUseStrongCrypto", "SystemDefaultTlsVersions"} {
				if v == "-" {
					b.WriteString(`"` + n + `"=-` + "\r\n")
				} else {
					b.WriteString(`"` + n + `"=dword:0000000` + v + "\r\n")
				}
			}
		}
		if err := os.WriteFile(regFile, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		wineReg(t, "import", regFile)
	}
	t.Cleanup(func() { set("-") })
	for _, tc := range []struct {
		value string
		deny  bool
	}{{"1", false}, {"0", true}} {
		set(tc.value)
		r := runBin(t, nil, l.args("--endpoints-only", "--endpoints", eps)...)
		if r.doc == nil || r.doc.Trust == nil || r.doc.Trust.TLSConfig == nil {
			t.Fatalf("strong crypto %s: exit %d, no TLS configuration facts; stderr %s", tc.value, r.code, r.stderr)
		}
		t.Logf("strong crypto %s: run %d ms, checks %+v", tc.value, r.doc.DurationMs, r.doc.Checks[0].Timings)
		tc2 := r.doc.Trust.TLSConfig
		if tc2.Source != "windows-registry" || tc2.StrongCrypto == tc.deny {
			t.Errorf("strong crypto %s: facts %+v", tc.value, *tc2)
		}
		if got := findRule(r.doc.Verdict.Deny, "scp.tls_config") || findRule(r.doc.Verdict.Warn, "scp.tls_config"); got != tc.deny {
			t.Errorf("strong crypto %s: scp.tls_config reported %v, want %v", tc.value, got, tc.deny)
		}
	}
}

// With no --dns-server the Windows build asks the adapters' servers: in this namespace Wine
// reports 127.0.0.1, where a lab DNS answers on port 53.
func TestWineAdaptersDNSServer(t *testing.T) {
	l := startCatalogLab(t)
	d, err := lab.StartDNS("127.0.0.1", 53)
	if err != nil {
		t.Fatalf("lab DNS on 127.0.0.1:53 (test-windows holds the Wine lock for it): %v", err)
	}
	t.Cleanup(d.Close)
	d.A("go.microsoft.com", l.web.IP)
	eps := writeEndpoints(t, l.dir, "go.microsoft.com")
	r := runBin(t, nil, "run", "--ca-file", l.caFile, "--expected-roots", l.caFile, "--quiet", "--endpoints-only", "--endpoints", eps)
	if r.doc == nil {
		t.Fatalf("exit %d; stderr %s", r.code, r.stderr)
	}
	c := byID(r.doc)["go.microsoft.com:443"]
	if c.Status != facts.StatusPass || c.Evidence.DNS == nil || c.Evidence.DNS.Server != "127.0.0.1:53" {
		t.Errorf("%s at %s: %s; DNS evidence %+v", c.Status, c.Stage, c.Message, c.Evidence.DNS)
	}
	if d.Queries() == 0 {
		t.Error("the lab DNS on 127.0.0.1:53 was never asked")
	}
}

// The required roots are read from LocalMachine\ROOT. Wine 8 fills that store from the host's
// CA bundle in each process (not from the registry), so a root is removed for the .exe by
// bind-mounting, in this test's private mount namespace, a bundle without it; then
// scp.required_roots must deny.
func TestWineMachineRootStore(t *testing.T) {
	l := startCatalogLab(t)
	eps := writeEndpoints(t, l.dir, "go.microsoft.com")
	args := l.args("--endpoints-only", "--endpoints", eps)
	r := runBin(t, nil, args...)
	if r.doc == nil || r.doc.Trust == nil {
		t.Fatalf("exit %d, no trust facts; stderr %s", r.code, r.stderr)
	}
	present := map[string]bool{}
	for _, rp := range r.doc.Trust.Roots {
		if rp.Store != `LocalMachine\ROOT` {
			t.Errorf("root %s read from %q", rp.Name, rp.Store)
		}
		if rp.Required && !rp.Present {
			t.Errorf("required root %s is missing from Wine's store (the host's ca-certificates)", rp.Name)
		}
		present[rp.Name] = rp.Present
	}
	var victim *trust.RequiredRoot
	for _, rr := range trust.RequiredRoots() {
		if rr.Required && rr.Cert != nil && present[rr.Name] {
			victim = &rr
			break
		}
	}
	if findRule(r.doc.Verdict.Deny, "scp.required_roots") {
		t.Errorf("scp.required_roots denies with every required root present: %+v", r.doc.Verdict.Deny)
	}
	if victim == nil {
		t.Fatal("no required root with a reference certificate to remove")
	}
	hideHostRoot(t, l.dir, victim.Cert.Raw)
	r = runBin(t, nil, args...)
	if r.doc == nil || r.doc.Trust == nil {
		t.Fatalf("exit %d, no trust facts; stderr %s", r.code, r.stderr)
	}
	for _, rp := range r.doc.Trust.Roots {
		if rp.Name == victim.Name && rp.Present {
			t.Errorf("%s still present after its deletion from LocalMachine\\ROOT", rp.Name)
		}
	}
	if !findRule(r.doc.Verdict.Deny, "scp.required_roots") {
		t.Errorf("scp.required_roots does not deny with %s removed: %+v", victim.Name, r.doc.Verdict.Deny)
	}
}

// hostBundle is the first file Wine's crypt32 reads the host's trusted roots from.
const hostBundle = "/etc/ssl/certs/ca-certificates.crt"

// hideHostRoot bind-mounts a copy of the host's CA bundle without der over hostBundle, for
// the rest of the test. It refuses to run outside a private mount namespace: the mount would
// change the machine's trust for everyone.
func hideHostRoot(t *testing.T, dir string, der []byte) {
	t.Helper()
	self, _ := os.Readlink("/proc/self/ns/mnt")
	host, _ := os.Readlink("/proc/1/ns/mnt")
	if self == "" || self == host {
		t.Fatal("not in a private mount namespace: run through scripts/wine/test-windows.sh")
	}
	in, err := os.ReadFile(hostBundle)
	if err != nil {
		t.Fatal(err)
	}
	var out []byte
	removed := 0
	for rest := in; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if bytes.Equal(b.Bytes, der) {
			removed++
			continue
		}
		out = append(out, pem.EncodeToMemory(b)...)
	}
	if removed == 0 {
		t.Fatalf("the root to hide is not in %s", hostBundle)
	}
	filtered := filepath.Join(dir, "ca-certificates.crt")
	if err := os.WriteFile(filtered, out, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount(filtered, hostBundle, "", syscall.MS_BIND, ""); err != nil {
		t.Fatalf("bind-mount %s: %v", hostBundle, err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(hostBundle, 0) })
	// crypt32 copies the host's roots into a volatile registry key that lives as long as the
	// prefix's wineserver, which lingers a few seconds after the last Wine process: a quick
	// next run would still list the hidden root. End it (this prefix only, held under the
	// test-windows lock) so the next process reads the filtered bundle.
	if out, err := exec.Command("wineserver", "-k").CombinedOutput(); err != nil && len(out) > 0 {
		t.Logf("wineserver -k: %v: %s", err, out)
	}
	if out, err := exec.Command("wineserver", "-w").CombinedOutput(); err != nil {
		t.Logf("wineserver -w: %v: %s", err, out)
	}
}
