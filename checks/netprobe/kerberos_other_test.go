//go:build !windows

package netprobe

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gokrb5's errors name the KDC's code in their text; each known one becomes its cause.
func TestClassifyKerberos(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"[Root cause: KDC_Error] KDC_Error: TGS Exchange Error: kerberos error response from KDC: KRB Error: (7) KDC_ERR_S_PRINCIPAL_UNKNOWN Server not found in Kerberos database", ReasonKerberosNoSPN},
		{"KRB Error: (6) KDC_ERR_C_PRINCIPAL_UNKNOWN Client not found", ReasonKerberosClientUnknown},
		{"KRB Error: (37) KRB_AP_ERR_SKEW Clock skew too great", ReasonKerberosClockSkew},
		{"[Root cause: Networking_Error] Networking_Error: AS Exchange Error: failed sending AS_REQ to KDC < dial tcp 127.22.0.1:88: connect: connection refused", ReasonKerberosKDCDown},
		{"KRB Error: (24) KDC_ERR_PREAUTH_FAILED Pre-authentication information was invalid", ReasonKerberosNoTicket},
		{"something else", ReasonKerberosConfig},
	} {
		f := classifyKerberos(errors.New(tc.text), "HTTP/p.lab.test", "LAB.TEST")
		if f.Reason != tc.want || f.Detail == "" {
			t.Errorf("%q: %+v, want %s", tc.text, f, tc.want)
		}
	}
}

// Missing pieces are named before any network traffic: the configuration, the cache, the
// keytab.
func TestNewKerberosAuthNamesWhatIsMissing(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "krb5.conf")
	os.WriteFile(conf, []byte("[libdefaults]\n default_realm = LAB.TEST\n[realms]\n LAB.TEST = {\n  kdc = 127.0.0.1:1\n }\n"), 0o644)
	for _, tc := range []struct {
		name, config, ccache, keytab, want, words string
	}{
		{"no configuration", filepath.Join(dir, "none.conf"), "", "", ReasonKerberosConfig, "none.conf"},
		{"no cache", conf, filepath.Join(dir, "nocache"), "", ReasonKerberosNoTicket, "no credential cache"},
		{"keyring cache", conf, "KEYRING:persistent:0", "", ReasonKerberosNoTicket, "FILE:"},
		{"no keytab", conf, "", filepath.Join(dir, "none.keytab"), ReasonKerberosNoTicket, "none.keytab"},
	} {
		t.Setenv("KRB5_CONFIG", tc.config)
		t.Setenv("KRB5CCNAME", tc.ccache)
		t.Setenv("KRB5_CLIENT_KTNAME", tc.keytab)
		a, f := newKerberosAuth("HTTP/p.lab.test")
		if a != nil || f == nil || f.Reason != tc.want || !strings.Contains(f.Detail, tc.words) {
			t.Errorf("%s: %v %+v", tc.name, a, f)
		}
	}
	t.Setenv("KRB5_CLIENT_KTNAME", "")
	t.Setenv("KRB5CCNAME", filepath.Join(dir, "nocache"))
	if kerberosAvailable() {
		t.Error("no keytab and no cache file: Kerberos is not available")
	}
	t.Setenv("KRB5CCNAME", "FILE:"+conf)
	if !kerberosAvailable() {
		t.Error("a cache file exists: Kerberos is worth trying")
	}
}
