package trust

import (
	"strings"

	"github.com/cmpreflight/cmpreflight/facts"
)

// Registry locations KB4561945 and Schannel use (HKLM).
const (
	DotNetKey       = `SOFTWARE\Microsoft\.NETFramework\v4.0.30319`
	DotNetKeyWOW64  = `SOFTWARE\WOW6432Node\Microsoft\.NETFramework\v4.0.30319`
	CipherLocalKey  = `SYSTEM\CurrentControlSet\Control\Cryptography\Configuration\Local\SSL\00010002`
	CipherPolicyKey = `SOFTWARE\Policies\Microsoft\Cryptography\Configuration\SSL\00010002`
	TLS12ClientKey  = `SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.2\Client`
)

// KB4561945Suites are the four suites the service connection point needs (two ECDHE, two
// DHE); a Go client can only negotiate the ECDHE ones, so the DHE ones are read from Windows.
var KB4561945Suites = []string{
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_DHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
}

// RegistryTLS is what was read from the registry; nil pointers and nil lists mean "absent".
type RegistryTLS struct {
	// DotNet maps a key (DotNetKey, DotNetKeyWOW64) to its values.
	DotNet map[string]DotNetValues
	// PolicyFunctions is the Group Policy suite order (a comma-separated REG_SZ, split).
	PolicyFunctions []string
	// LocalFunctions is the local suite list (REG_MULTI_SZ "Functions").
	LocalFunctions []string
	// TLS12Enabled and TLS12DisabledByDefault are Schannel's client switches for TLS 1.2.
	TLS12Enabled           *uint32
	TLS12DisabledByDefault *uint32
	// Only64 is true on a 32-bit system, where there is no WOW6432Node view to check.
	Only64 bool
}

// DotNetValues are the two strong-crypto DWORDs of one registry view.
type DotNetValues struct {
	SchUseStrongCrypto       *uint32
	SystemDefaultTLSVersions *uint32
}

// DecideTLS turns registry values into facts: .NET uses TLS 1.2 when both DWORDs are 1 in
// every view; the suite list is the Group Policy one when set, else the local one, else the
// OS defaults (which, from Windows Server 2016 on, enable all four suites).
func DecideTLS(r RegistryTLS) *facts.TLSConfigFacts {
	f := &facts.TLSConfigFacts{Source: "windows-registry", DotNet: []facts.DotNetTLS{}, Suites: []facts.SuiteState{}}
	keys := []string{DotNetKey, DotNetKeyWOW64}
	if r.Only64 {
		keys = keys[:1]
	}
	f.StrongCrypto = true
	for _, k := range keys {
		v := r.DotNet[k]
		d := facts.DotNetTLS{Key: `HKLM\` + k, SchUseStrongCrypto: v.SchUseStrongCrypto, SystemDefaultTLSVersions: v.SystemDefaultTLSVersions}
		d.OK = isOne(v.SchUseStrongCrypto) && isOne(v.SystemDefaultTLSVersions)
		f.StrongCrypto = f.StrongCrypto && d.OK
		f.DotNet = append(f.DotNet, d)
	}
	f.TLS12Client = !(r.TLS12Enabled != nil && *r.TLS12Enabled == 0) && !isOne(r.TLS12DisabledByDefault)

	var list []string
	switch {
	case len(r.PolicyFunctions) > 0:
		f.CipherSuitesSource, list = "group-policy", r.PolicyFunctions
	case len(r.LocalFunctions) > 0:
		f.CipherSuitesSource, list = "local", r.LocalFunctions
	default:
		f.CipherSuitesSource = "os-default"
		f.Notes = append(f.Notes, "no cipher suite list is configured: the OS defaults apply (Windows Server 2016 and later enable all four KB4561945 suites; on older versions confirm with Get-TlsCipherSuite)")
	}
	enabled := map[string]bool{}
	for _, s := range list {
		enabled[suiteBase(s)] = true
	}
	f.SuitesEnabled = true
	for _, s := range KB4561945Suites {
		on := list == nil || enabled[s]
		f.Suites = append(f.Suites, facts.SuiteState{Name: s, Enabled: on})
		f.SuitesEnabled = f.SuitesEnabled && on
		if on && strings.HasPrefix(s, "TLS_ECDHE_") {
			f.ECDHEEnabled = true
		}
	}
	if !f.StrongCrypto {
		f.Notes = append(f.Notes, `set SchUseStrongCrypto=1 and SystemDefaultTlsVersions=1 (DWORD) under HKLM\`+DotNetKey+` and HKLM\`+DotNetKeyWOW64+` and restart SMS_Executive (KB4561945)`)
	}
	if !f.TLS12Client {
		f.Notes = append(f.Notes, `Schannel's TLS 1.2 client protocol is disabled (HKLM\`+TLS12ClientKey+`)`)
	}
	return f
}

// SplitFunctions splits the Group Policy REG_SZ suite list (comma-separated).
func SplitFunctions(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// suiteBase removes the curve suffix older Windows versions append (…_P256, _P384, _P521) and
// normalises case, so both naming styles compare equal.
func suiteBase(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	for _, suf := range []string{"_P256", "_P384", "_P521"} {
		s = strings.TrimSuffix(s, suf)
	}
	return s
}

func isOne(v *uint32) bool { return v != nil && *v == 1 }

// notWindows is the TLS configuration fact on other systems: nothing to read.
func notWindows() *facts.TLSConfigFacts {
	return &facts.TLSConfigFacts{
		Source: "not-windows", DotNet: []facts.DotNetTLS{}, Suites: []facts.SuiteState{},
		Notes: []string{"the .NET and Schannel settings of KB4561945 exist only on Windows; the TLS evidence of each 443 check shows what this machine negotiated"},
	}
}
