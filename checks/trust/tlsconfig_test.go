package trust

import (
	"runtime"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/facts"
)

func u32(v uint32) *uint32 { return &v }

func suites(f *facts.TLSConfigFacts) map[string]bool {
	m := map[string]bool{}
	for _, s := range f.Suites {
		m[s.Name] = s.Enabled
	}
	return m
}

func TestDecideTLS(t *testing.T) {
	good := DotNetValues{SchUseStrongCrypto: u32(1), SystemDefaultTLSVersions: u32(1)}

	// KB4561945 applied, no suite list: OS defaults, everything fine.
	f := DecideTLS(RegistryTLS{DotNet: map[string]DotNetValues{DotNetKey: good, DotNetKeyWOW64: good}})
	if f.Source != "windows-registry" || !f.StrongCrypto || !f.TLS12Client || f.CipherSuitesSource != "os-default" ||
		!f.SuitesEnabled || !f.ECDHEEnabled || len(f.DotNet) != 2 || len(f.Suites) != 4 {
		t.Errorf("defaults: %+v", f)
	}

	// Only the 64-bit view set: the 32-bit .NET code still uses old TLS.
	f = DecideTLS(RegistryTLS{DotNet: map[string]DotNetValues{DotNetKey: good}})
	if f.StrongCrypto || !f.DotNet[0].OK || f.DotNet[1].OK || f.DotNet[1].SchUseStrongCrypto != nil {
		t.Errorf("WOW6432Node missing: %+v", f)
	}
	if !strings.Contains(strings.Join(f.Notes, " "), "SchUseStrongCrypto=1") {
		t.Errorf("notes should say what to set: %v", f.Notes)
	}
	// SchUseStrongCrypto=0 is as bad as absent.
	f = DecideTLS(RegistryTLS{DotNet: map[string]DotNetValues{DotNetKey: {SchUseStrongCrypto: u32(0), SystemDefaultTLSVersions: u32(1)}, DotNetKeyWOW64: good}})
	if f.StrongCrypto || f.DotNet[0].OK {
		t.Errorf("SchUseStrongCrypto=0: %+v", f)
	}

	// A local list in the old naming style (curve suffixes) with only the ECDHE suites.
	f = DecideTLS(RegistryTLS{
		DotNet:         map[string]DotNetValues{DotNetKey: good, DotNetKeyWOW64: good},
		LocalFunctions: []string{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384_P384", "tls_ecdhe_rsa_with_aes_128_gcm_sha256_P256", "TLS_RSA_WITH_AES_256_GCM_SHA384"},
	})
	s := suites(f)
	if f.CipherSuitesSource != "local" || !s["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"] || !s["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"] ||
		s["TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"] || s["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"] || f.SuitesEnabled || !f.ECDHEEnabled {
		t.Errorf("local ECDHE only: %+v", f)
	}

	// Group Policy wins over the local list; here it has only the DHE suites.
	f = DecideTLS(RegistryTLS{
		DotNet:          map[string]DotNetValues{DotNetKey: good, DotNetKeyWOW64: good},
		PolicyFunctions: SplitFunctions(" TLS_DHE_RSA_WITH_AES_256_GCM_SHA384, TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,,"),
		LocalFunctions:  KB4561945Suites,
	})
	if f.CipherSuitesSource != "group-policy" || f.ECDHEEnabled || f.SuitesEnabled || !suites(f)["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"] {
		t.Errorf("policy DHE only: %+v", f)
	}

	// TLS 1.2 client switched off in Schannel, either way.
	for _, r := range []RegistryTLS{{TLS12Enabled: u32(0)}, {TLS12DisabledByDefault: u32(1)}} {
		r.DotNet = map[string]DotNetValues{DotNetKey: good, DotNetKeyWOW64: good}
		if f := DecideTLS(r); f.TLS12Client {
			t.Errorf("TLS 1.2 disabled: %+v", f)
		}
	}
	// A 32-bit system has one view only.
	if f := DecideTLS(RegistryTLS{Only64: true, DotNet: map[string]DotNetValues{DotNetKey: good}}); !f.StrongCrypto || len(f.DotNet) != 1 {
		t.Errorf("32-bit: %+v", f)
	}
}

func TestReadTLSConfigOffWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("reads the real registry on Windows")
	}
	f := ReadTLSConfig()
	if f.Source != "not-windows" || f.DotNet == nil || f.Suites == nil {
		t.Errorf("%+v", f)
	}
}
