//go:build windows

package netprobe

import (
	"net"
	"os"
	"slices"
	"strings"
	"testing"
)

// Under `make test-windows` Wine runs in a mount namespace whose resolv.conf names the lab
// (CMPREFLIGHT_WINE_DNS); GetAdaptersAddresses reports it as the adapters' DNS server.
func TestSystemDNSServersFromTheAdapters(t *testing.T) {
	servers, err := systemDNSServers()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range servers {
		if h, p, err := net.SplitHostPort(s); err != nil || net.ParseIP(h) == nil || p != "53" {
			t.Errorf("server %q is not ip:53", s)
		}
	}
	if want := os.Getenv("CMPREFLIGHT_WINE_DNS"); want != "" && !slices.Contains(servers, want) {
		t.Errorf("adapters' DNS servers %v, want %s among them", servers, want)
	}
}

// SSPI as the current identity under Wine: Wine's NTLM provider needs a running winbindd for
// single sign-on, so the first token is either a real NTLM negotiate message or an error;
// never an empty header or a panic.
func TestSSPICurrentIdentity(t *testing.T) {
	for _, scheme := range []string{"NTLM", "Negotiate"} {
		a, err := newSSPIAuth(scheme)
		if err != nil {
			t.Logf("%s: acquiring the current identity's credentials: %v", scheme, err)
			continue
		}
		want := AuthNTLM
		if scheme == "Negotiate" {
			want = AuthNegotiate
		}
		if a.scheme() != want {
			t.Errorf("%s: scheme %q", scheme, a.scheme())
		}
		h, err := a.next(nil)
		switch {
		case err != nil:
			t.Logf("%s: first token: %v", scheme, err)
		case !strings.HasPrefix(h, scheme+" TlRMTVNTUA") && !strings.HasPrefix(h, scheme+" YI"):
			t.Errorf("%s: first header %q is neither NTLMSSP nor SPNEGO", scheme, h)
		default:
			t.Logf("%s: first token produced", scheme)
		}
		fresh, _ := newSSPIAuth(scheme)
		if fresh != nil {
			if _, err := fresh.next([]byte("challenge")); err == nil {
				t.Errorf("%s: a challenge without a context was accepted", scheme)
			}
		}
	}
}
