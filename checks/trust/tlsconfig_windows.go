//go:build windows

package trust

import (
	"errors"
	"runtime"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"github.com/cmpreflight/cmpreflight/facts"
)

// ReadTLSConfig reads the KB4561945 settings from HKLM and decides with DecideTLS.
func ReadTLSConfig() *facts.TLSConfigFacts {
	r := RegistryTLS{DotNet: map[string]DotNetValues{}}
	r.Only64 = runtime.GOARCH == "386" && !isWow64()
	var firstErr error
	for _, k := range []string{DotNetKey, DotNetKeyWOW64} {
		v, err := readDotNet(k)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		r.DotNet[k] = v
	}
	if s, err := readString(CipherPolicyKey, "Functions"); err == nil {
		r.PolicyFunctions = SplitFunctions(s)
	}
	if k, err := registry.OpenKey(registry.LOCAL_MACHINE, CipherLocalKey, registry.QUERY_VALUE|registry.WOW64_64KEY); err == nil {
		if list, _, err := k.GetStringsValue("Functions"); err == nil {
			r.LocalFunctions = list
		}
		k.Close()
	}
	r.TLS12Enabled = readDWORD(TLS12ClientKey, "Enabled")
	r.TLS12DisabledByDefault = readDWORD(TLS12ClientKey, "DisabledByDefault")
	f := DecideTLS(r)
	if firstErr != nil {
		f.Error = firstErr.Error()
	}
	return f
}

// readDotNet reads one view; a missing key or value is "absent", not an error.
func readDotNet(path string) (DotNetValues, error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registry.QUERY_VALUE|registry.WOW64_64KEY)
	if errors.Is(err, registry.ErrNotExist) {
		return DotNetValues{}, nil
	}
	if err != nil {
		return DotNetValues{}, err
	}
	defer k.Close()
	return DotNetValues{
		SchUseStrongCrypto:       dword(k, "SchUseStrongCrypto"),
		SystemDefaultTLSVersions: dword(k, "SystemDefaultTlsVersions"),
	}, nil
}

func readDWORD(path, name string) *uint32 {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registry.QUERY_VALUE|registry.WOW64_64KEY)
	if err != nil {
		return nil
	}
	defer k.Close()
	return dword(k, name)
}

func readString(path, name string) (string, error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, path, registry.QUERY_VALUE|registry.WOW64_64KEY)
	if err != nil {
		return "", err
	}
	defer k.Close()
	s, _, err := k.GetStringValue(name)
	return s, err
}

func dword(k registry.Key, name string) *uint32 {
	v, typ, err := k.GetIntegerValue(name)
	if err != nil || (typ != registry.DWORD && typ != registry.QWORD) {
		return nil
	}
	u := uint32(v)
	return &u
}

// isWow64 is true for a 32-bit process on 64-bit Windows (then WOW6432Node exists).
func isWow64() bool {
	var wow bool
	if err := windows.IsWow64Process(windows.CurrentProcess(), &wow); err != nil {
		return true
	}
	return wow
}
