//go:build !windows

package netprobe

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Without Windows there is no current-identity NTLM; Negotiate and Kerberos speak Kerberos
// from a credential cache or a keytab (kerberos_other.go).
const sspiAvailable = false

func newSSPIAuth(string) (authenticator, error) { return nil, errNoSSPI }

// kerberosAvailable reports whether Kerberos credentials are there to try: a keytab named by
// KRB5_CLIENT_KTNAME, or a credential cache file.
func kerberosAvailable() bool {
	if os.Getenv("KRB5_CLIENT_KTNAME") != "" {
		return true
	}
	path := os.Getenv("KRB5CCNAME")
	if path == "" {
		path = filepath.Join(os.TempDir(), "krb5cc_"+strconv.Itoa(os.Getuid()))
	}
	_, err := os.Stat(strings.TrimPrefix(path, "FILE:"))
	return err == nil
}

// newIntegratedAuth builds Negotiate (kerberosOnly false) or Kerberos alone for the proxy's
// SPN. Negotiate falls back to NTLM inside the Negotiate header only when explicit
// credentials were given, and remembers why Kerberos failed.
func newIntegratedAuth(p *ProxyConfig, spn string, kerberosOnly bool) (authenticator, error) {
	krb, kfail := newKerberosAuth(spn)
	if kerberosOnly {
		if kfail != nil {
			return nil, kfail
		}
		return krb, nil
	}
	n := &negotiateFallback{spn: spn, kfail: kfail}
	if krb != nil {
		n.krb = krb
	}
	if p.User != "" {
		n.ntlm = &ntlmAuth{user: p.User, pass: p.Password, headerScheme: "Negotiate"}
	}
	if krb == nil && n.ntlm == nil {
		return nil, kfail
	}
	return n, nil
}
