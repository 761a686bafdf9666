package trust

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writePEM(t *testing.T, path string, cs ...*x509.Certificate) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("# comments and other blocks are skipped\n")
	pem.Encode(&b, &pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}})
	for _, c := range cs {
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The machine's trust is read as Go's system pool reads it (SSL_CERT_FILE, then every file of
// SSL_CERT_DIR except links within it), each certificate once, with --ca-file added to both
// the pool and the store.
func TestLoadMachineReadsEachRootOnce(t *testing.T) {
	g2 := certs("DigiCert Global Root G2")
	rsa := certs("Microsoft RSA Root Certificate Authority 2017")
	ecc := certs("Microsoft ECC Root Certificate Authority 2017")
	ca := certs("DigiCert Global Root CA")
	dir, certDir, outside := t.TempDir(), t.TempDir(), t.TempDir()
	bundle := writePEM(t, filepath.Join(dir, "bundle.crt"), append(g2, rsa...)...)
	writePEM(t, filepath.Join(certDir, "bundle.crt"), append(g2, rsa...)...) // the bundle again, as on Debian
	writePEM(t, filepath.Join(certDir, "ecc.pem"), ecc...)
	if err := os.Symlink("ecc.pem", filepath.Join(certDir, "0a1b2c3d.0")); err != nil {
		t.Fatal(err)
	}
	// A link to a file elsewhere counts (Debian's /etc/ssl/certs/*.pem point into /usr/share).
	extraRoot := certs("Baltimore CyberTrust Root")
	if err := os.Symlink(writePEM(t, filepath.Join(outside, "balt.crt"), extraRoot...), filepath.Join(certDir, "balt.pem")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", bundle)
	t.Setenv("SSL_CERT_DIR", filepath.Join(dir, "missing")+":"+certDir)

	m := LoadMachine(ca, []string{"/x/ca.pem"})
	have, err := m.Store.Roots()
	if err != nil {
		t.Fatal(err)
	}
	if len(have) != 5 {
		t.Errorf("store holds %d certificates, want the 5 distinct ones", len(have))
	}
	want := poolOf(append(append(append(append(g2, rsa...), ecc...), extraRoot...), ca...))
	if !m.Pool().Equal(want) {
		t.Error("the pool is not the system roots plus --ca-file")
	}
	if n := m.Store.(NamedStore).Name(); n != bundle+" + --ca-file /x/ca.pem" {
		t.Errorf("store name %q", n)
	}
	for _, p := range CheckRoots(m.Store) {
		if !p.Present || p.Error != "" {
			t.Errorf("%s: %+v", p.Name, p)
		}
	}

	// Nothing readable at all is an error in the root analysis, not a silent "all missing".
	t.Setenv("SSL_CERT_FILE", filepath.Join(dir, "missing.pem"))
	t.Setenv("SSL_CERT_DIR", filepath.Join(dir, "missing"))
	none := CheckRoots(LoadMachine(nil, nil).Store)
	if none[0].Error == "" || none[0].Present {
		t.Errorf("no bundle: %+v", none[0])
	}
}

// On this machine the pool holds exactly what Go's own system pool holds.
func TestLoadMachineMatchesGoSystemPool(t *testing.T) {
	sys, err := x509.SystemCertPool()
	if err != nil {
		t.Fatal(err)
	}
	m := LoadMachine(nil, nil)
	if !m.Pool().Equal(sys) {
		t.Error("the machine pool differs from x509.SystemCertPool")
	}
	// Not two empty pools: where the system bundle exists, both hold its roots.
	if data, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt"); err == nil && len(ParsePEMCerts(data)) > 0 {
		if roots, _ := m.Store.Roots(); len(roots) < len(ParsePEMCerts(data)) {
			t.Errorf("the store holds %d roots, the bundle alone %d", len(roots), len(ParsePEMCerts(data)))
		}
	}
}
