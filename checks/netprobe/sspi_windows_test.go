//go:build windows

package netprobe

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Every SSPI status the code names ends in its cause, never in a bare number.
func TestClassifySSPINamesEveryStatus(t *testing.T) {
	for _, tc := range []struct {
		err    syscall.Errno
		pkg    string
		reason string
	}{
		{secETargetUnknown, "Kerberos", ReasonKerberosNoSPN},
		{secENoAuthenticatingAuth, "Negotiate", ReasonKerberosKDCDown},
		{secETimeSkew, "Kerberos", ReasonKerberosClockSkew},
		{secEWrongPrincipal, "Negotiate", ReasonKerberosRejected},
		{statusNTLMBlocked, "NTLM", ReasonNTLMRefused},
		{hresultNTLMBlocked, "Negotiate", ReasonNTLMRefused},
		{secENoCredentials, "Kerberos", ReasonKerberosNoTicket},
		{secENoCredentials, "NTLM", ReasonNoSecurityPackage},
		{secELogonDenied, "NTLM", ReasonNTLMRefused},
		{secESecpkgNotFound, "NTLM", ReasonNoSecurityPackage},
		{syscall.Errno(0x80091234), "NTLM", ReasonSSPI},
	} {
		err := classifySSPI(tc.err, tc.pkg, "HTTP/proxy.lab.test", nil)
		var af *authFailure
		if !errors.As(err, &af) || af.Reason != tc.reason {
			t.Errorf("%s from %s: %v, want %s", sspiStatusName(tc.err), tc.pkg, err, tc.reason)
			continue
		}
		if strings.Contains(af.Detail, "#") || strings.Contains(af.Detail, "2148") {
			t.Errorf("%s: detail shows a raw number: %s", tc.reason, af.Detail)
		}
	}
	if got := sspiStatusName(syscall.Errno(0x80091234)); got != "SSPI status 0x80091234" {
		t.Errorf("unnamed status shown as %q", got)
	}
	var af *authFailure
	if !errors.As(classifySSPI(errors.New("boom"), "NTLM", "", nil), &af) || af.Reason != ReasonSSPI {
		t.Errorf("a non-status error: %+v", af)
	}
}

// The KDCs of the default realm come from the krb5.conf KRB5_CONFIG names, and a KDC that
// accepts no connection turns an unspecific status into "KDC unreachable".
func TestDiagnoseKerberosProbesTheKDC(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := closed.Addr().String()
	closed.Close()
	dir := t.TempDir()
	write := func(kdc string) string {
		p := filepath.Join(dir, "krb5.conf")
		conf := "[libdefaults]\n default_realm = LAB.TEST\n# comment\n[realms]\n OTHER.TEST = {\n  kdc = 192.0.2.1\n }\n LAB.TEST = {\n  kdc = " + kdc + "\n }\n"
		if err := os.WriteFile(p, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("KRB5_CONFIG", write(ln.Addr().String()))
	if addrs, realm := kdcAddresses(); realm != "LAB.TEST" || len(addrs) != 1 || addrs[0] != ln.Addr().String() {
		t.Fatalf("kdcAddresses = %v %q", addrs, realm)
	}
	if f := diagnoseKerberos("SEC_E_INTERNAL_ERROR", "HTTP/p.lab.test"); f.Reason != ReasonKerberosTicketRefused || !strings.Contains(f.Detail, "setspn -Q HTTP/p.lab.test") {
		t.Errorf("KDC up: %+v", f)
	}
	t.Setenv("KRB5_CONFIG", write(deadAddr))
	if f := diagnoseKerberos("SEC_E_INTERNAL_ERROR", "HTTP/p.lab.test"); f.Reason != ReasonKerberosKDCDown {
		t.Errorf("KDC down: %+v", f)
	}
	if addrs, _ := krb5ConfKDCs(filepath.Join(dir, "missing.conf")); addrs != nil {
		t.Errorf("missing file: %v", addrs)
	}
	t.Setenv("KRB5_CONFIG", "")
	if f := diagnoseKerberos("SEC_E_INTERNAL_ERROR", "HTTP/p.lab.test"); f.Reason != ReasonKerberosTicketRefused && f.Reason != ReasonKerberosKDCDown {
		t.Errorf("no KDC known: %+v", f)
	}
}

// Negotiate as the current identity names the SPN and asks Kerberos alone why it failed;
// the report says which package ran. Under Wine without a ticket cache nor winbindd both
// packages fail: the error is a named cause.
func TestSSPINegotiateNamesItsSPN(t *testing.T) {
	t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(t.TempDir(), "none"))
	p := &ProxyConfig{}
	for _, only := range []bool{false, true} {
		a, err := newIntegratedAuth(p, "HTTP/proxy.lab.test", only)
		if err != nil {
			var af *authFailure
			if !errors.As(err, &af) {
				t.Errorf("kerberos only %v: unnamed error %v", only, err)
			}
			continue
		}
		if a.scheme() != AuthNegotiate {
			t.Errorf("scheme %s", a.scheme())
		}
		if v, ok := a.(mutualVerifier); ok {
			if err := v.verifyFinal([]byte{1}); err != nil {
				t.Errorf("verifyFinal before any leg: %v", err)
			}
		}
		h, err := a.next(nil)
		var af *authFailure
		switch {
		case err != nil && !errors.As(err, &af):
			t.Errorf("kerberos only %v: unnamed error %v", only, err)
		case err != nil:
			t.Logf("kerberos only %v: %s: %s", only, af.Reason, af.Detail)
		default:
			t.Logf("kerberos only %v: first header %.24s...", only, h)
		}
		if r := a.(authResulter).result(); r == nil || r.SPN != "HTTP/proxy.lab.test" {
			t.Errorf("kerberos only %v: result %+v", only, r)
		}
	}
	// The SSPI context on its own: the SPN, the package probe when NTLM ran, release.
	s, err := newSSPI("Negotiate", "Negotiate", "HTTP/proxy.lab.test")
	if err != nil {
		t.Fatalf("Negotiate credentials: %v", err)
	}
	if err := s.verifyFinal([]byte{1}); err != nil {
		t.Errorf("verifyFinal before any leg: %v", err)
	}
	s.next(nil)
	s.used = PackageNTLM
	if r := s.result(); r.SPN != "HTTP/proxy.lab.test" || r.KerberosFailure == "" {
		t.Errorf("NTLM in Negotiate: %+v", r)
	}
	s.release()
	withUser, err := newIntegratedAuth(&ProxyConfig{User: `LAB\u`, Password: "p"}, "HTTP/x", false)
	if err != nil || withUser.scheme() != AuthNegotiate {
		t.Errorf("explicit credentials: %v %v", withUser, err)
	}
	t.Logf("current account: %q", currentAccount())
	if !kerberosAvailable() {
		t.Error("Windows always tries Negotiate as the current identity")
	}
}
