package netprobe

import (
	"testing"

	"github.com/cmpreflight/cmpreflight/facts"
)

// WinHTTP's SPN: HTTP/ and the host as resolved (last CNAME target), lower case, no port,
// no trailing dot; an IP address stays as it is.
func TestProxySPN(t *testing.T) {
	for _, tc := range []struct {
		host   string
		cnames []string
		want   string
	}{
		{"Proxy.Contoso.com", nil, "HTTP/proxy.contoso.com"},
		{"proxy", []string{"proxy-vip.contoso.com", "squid01.contoso.com."}, "HTTP/squid01.contoso.com"},
		{"10.0.0.8", []string{"ignored.example"}, "HTTP/10.0.0.8"},
	} {
		if got := proxySPN(tc.host, tc.cnames); got != tc.want {
			t.Errorf("proxySPN(%q, %v) = %q, want %q", tc.host, tc.cnames, got, tc.want)
		}
	}
}

func TestTokenPackage(t *testing.T) {
	if tokenPackage([]byte("NTLMSSP\x00\x01\x00\x00\x00")) != PackageNTLM {
		t.Error("raw NTLM negotiate message")
	}
	spnegoNTLM := append([]byte{0x60, 0x40, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}, []byte("....NTLMSSP\x00\x01")...)
	if tokenPackage(spnegoNTLM) != PackageNTLM {
		t.Error("NTLM inside SPNEGO")
	}
	if tokenPackage([]byte{0x60, 0x82, 0x02, 0x10, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}) != PackageKerberos {
		t.Error("Kerberos AP-REQ")
	}
}

// A final 407 after a Kerberos ticket is the proxy refusing the ticket; after a lone NTLM
// message to a proxy that offers only Negotiate, the proxy wanted Kerberos; anything else keeps
// the generic refusal.
func TestIntegratedRefusal(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   facts.ProxyEvidence
		want string
	}{
		{"ticket refused", facts.ProxyEvidence{AuthOffered: []string{"negotiate"}, Auth: &facts.ProxyAuthResult{Package: PackageKerberos, SPN: "HTTP/p", Legs: 1}}, ReasonKerberosRejected},
		{"Kerberos-only proxy", facts.ProxyEvidence{AuthOffered: []string{"negotiate"}, Auth: &facts.ProxyAuthResult{Package: PackageNTLM, SPN: "HTTP/p", Legs: 1, KerberosDetail: "no ticket"}}, ReasonKerberosRequired},
		{"NTLM challenged then refused", facts.ProxyEvidence{AuthOffered: []string{"negotiate"}, Auth: &facts.ProxyAuthResult{Package: PackageNTLM, Legs: 2}}, ""},
		{"proxy offers NTLM too", facts.ProxyEvidence{AuthOffered: []string{"negotiate", "ntlm"}, Auth: &facts.ProxyAuthResult{Package: PackageNTLM, Legs: 1}}, ""},
		{"accepted", facts.ProxyEvidence{Auth: &facts.ProxyAuthResult{Package: PackageKerberos, Legs: 1, Accepted: true}}, ""},
		{"no integrated auth", facts.ProxyEvidence{AuthTried: "basic"}, ""},
	} {
		pe := integratedRefusal(&tc.ev)
		got := ""
		if pe != nil {
			got = pe.Reason
			if pe.Stage != facts.StageProxyAuth || pe.Detail == "" {
				t.Errorf("%s: %+v", tc.name, pe)
			}
		}
		if got != tc.want {
			t.Errorf("%s: reason %q, want %q", tc.name, got, tc.want)
		}
	}
}
