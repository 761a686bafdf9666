//go:build windows

package trust

import (
	"bytes"
	"crypto/x509"
	"testing"

	"golang.org/x/sys/windows/registry"

	"github.com/cmpreflight/cmpreflight/internal/lab"
	"github.com/cmpreflight/cmpreflight/internal/wintest"
)

func TestReadTLSConfigFromTheRegistry(t *testing.T) {
	set := func(t *testing.T, v uint32) {
		for _, key := range []string{DotNetKey, DotNetKeyWOW64} {
			for _, name := range []string{"SchUseStrongCrypto", "SystemDefaultTlsVersions"} {
				wintest.SetValue(t, registry.LOCAL_MACHINE, key, name, func(k registry.Key) error { return k.SetDWordValue(name, v) })
			}
		}
	}
	t.Run("strong crypto on", func(t *testing.T) {
		set(t, 1)
		wintest.SetValue(t, registry.LOCAL_MACHINE, CipherLocalKey, "Functions", func(k registry.Key) error {
			return k.SetStringsValue("Functions", []string{"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"})
		})
		wintest.SetValue(t, registry.LOCAL_MACHINE, TLS12ClientKey, "Enabled", func(k registry.Key) error { return k.SetDWordValue("Enabled", 0) })
		f := ReadTLSConfig()
		if f.Source != "windows-registry" || f.Error != "" || !f.StrongCrypto || len(f.DotNet) != 2 {
			t.Fatalf("%+v", f)
		}
		if f.CipherSuitesSource != "local" || f.SuitesEnabled || !f.ECDHEEnabled || f.TLS12Client {
			t.Errorf("suites from %s, all four %v, ECDHE %v, TLS 1.2 client %v", f.CipherSuitesSource, f.SuitesEnabled, f.ECDHEEnabled, f.TLS12Client)
		}
	})
	t.Run("strong crypto off", func(t *testing.T) {
		set(t, 0)
		wintest.SetValue(t, registry.LOCAL_MACHINE, CipherPolicyKey, "Functions", func(k registry.Key) error {
			return k.SetStringValue("Functions", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_DHE_RSA_WITH_AES_256_GCM_SHA384,TLS_DHE_RSA_WITH_AES_128_GCM_SHA256")
		})
		f := ReadTLSConfig()
		if f.StrongCrypto || f.DotNet[0].SchUseStrongCrypto == nil || *f.DotNet[0].SchUseStrongCrypto != 0 {
			t.Errorf("%+v", f)
		}
		if f.CipherSuitesSource != "group-policy" || !f.SuitesEnabled {
			t.Errorf("suites from %s, all four %v", f.CipherSuitesSource, f.SuitesEnabled)
		}
	})
	t.Run("values absent", func(t *testing.T) {
		for _, key := range []string{DotNetKey, DotNetKeyWOW64} {
			wintest.DeleteValue(t, registry.LOCAL_MACHINE, key, "SchUseStrongCrypto")
		}
		if f := ReadTLSConfig(); f.StrongCrypto || f.DotNet[0].SchUseStrongCrypto != nil {
			t.Errorf("%+v", f)
		}
	})
	if isWow64() {
		t.Errorf("a 64-bit test binary reports itself as WOW64")
	}
}

func TestMachineRootStore(t *testing.T) {
	ca, err := lab.NewCA("cmpreflight wine store root")
	if err != nil {
		t.Fatal(err)
	}
	has := func() bool {
		t.Helper()
		roots, err := SystemStore(nil).Roots()
		if err != nil {
			t.Fatalf("%s: %v", SystemStore(nil).(NamedStore).Name(), err)
		}
		for _, c := range roots {
			if bytes.Equal(c.Raw, ca.Cert.Raw) {
				return true
			}
		}
		return false
	}
	if has() {
		t.Fatal("a fresh lab root is already in the store")
	}
	t.Run("added", func(t *testing.T) {
		wintest.AddMachineRoot(t, ca.Cert)
		if !has() {
			t.Error("a root added to LocalMachine\\ROOT is not listed")
		}
		t.Run("removed", func(t *testing.T) {
			wintest.RemoveMachineRoot(t, ca.Cert)
			if has() {
				t.Error("a root removed from LocalMachine\\ROOT is still listed")
			}
		})
	})
}

func TestMachineRootStoreName(t *testing.T) {
	if n := SystemStore(nil).(NamedStore).Name(); n != `LocalMachine\ROOT` {
		t.Errorf("name %q", n)
	}
}

// The Windows trust verifies a chain to a --ca-file root through the system pool (for every
// chain and for the AdminService client), while the root analysis reads LocalMachine\ROOT
// only: the role's service account does not see --ca-file.
func TestLoadMachineWindows(t *testing.T) {
	ca, leaf := labLeaf(t, "cmpreflight wine ca-file root", "wine-leaf.lab.test")
	m := LoadMachine([]*x509.Certificate{ca.Cert}, []string{`C:\lab\ca.pem`})
	for name, pool := range map[string]*x509.CertPool{"pool for the chain": m.PoolFor([]*x509.Certificate{leaf}), "whole pool": m.Pool()} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: "wine-leaf.lab.test"}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, otherLeaf := labLeaf(t, "cmpreflight wine unknown root", "wine-other.lab.test")
	if _, err := otherLeaf.Verify(x509.VerifyOptions{Roots: m.PoolFor([]*x509.Certificate{otherLeaf}), DNSName: "wine-other.lab.test"}); err == nil {
		t.Error("a chain to a root neither the machine nor --ca-file trusts verified")
	}
	if n := m.Store.(NamedStore).Name(); n != `LocalMachine\ROOT` {
		t.Errorf("store %q", n)
	}
	roots, err := m.Store.Roots()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range roots {
		if bytes.Equal(c.Raw, ca.Cert.Raw) {
			t.Error("the --ca-file root is in the root analysis's store")
		}
	}
}

// labLeaf is a new lab CA and a leaf it issued for host.
func labLeaf(t *testing.T, caName, host string) (*lab.CA, *x509.Certificate) {
	t.Helper()
	ca, err := lab.NewCA(caName)
	if err != nil {
		t.Fatal(err)
	}
	tc, err := ca.Leaf(host)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(tc.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	return ca, leaf
}
