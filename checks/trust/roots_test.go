package trust

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The reference certificates are the real roots: each parses, has the subject it is named
// after and the fingerprint the table states; Baltimore is history only.
func TestRequiredRootsAreTheRealOnes(t *testing.T) {
	rs := RequiredRoots()
	if len(rs) != 5 {
		t.Fatalf("%d roots", len(rs))
	}
	required := 0
	for _, r := range rs {
		if r.Cert == nil {
			t.Errorf("%s: no reference certificate", r.Name)
			continue
		}
		if r.Cert.Subject.CommonName != r.Name || fingerprint(r.Cert) != r.SHA256 || !r.Cert.IsCA {
			t.Errorf("%s: subject %q fingerprint %s", r.Name, r.Cert.Subject.CommonName, fingerprint(r.Cert))
		}
		if r.Required {
			required++
		}
		if r.Name == "Baltimore CyberTrust Root" && (r.Required || r.KB != "KB3187516") {
			t.Errorf("Baltimore must be history only (KB3187516): %+v", r)
		}
	}
	if required != 4 {
		t.Errorf("%d required roots, want 4", required)
	}
}

func certs(names ...string) []*x509.Certificate {
	var out []*x509.Certificate
	for _, r := range RequiredRoots() {
		for _, n := range names {
			if r.Name == n {
				out = append(out, r.Cert)
			}
		}
	}
	return out
}

// A store that lacks DigiCert Global Root CA and Baltimore: the first is reported missing and
// required, the second missing but not required; the others present.
func TestCheckRootsInjectedStore(t *testing.T) {
	s := StaticStore{Label: "test store", Certs: certs("DigiCert Global Root G2", "Microsoft RSA Root Certificate Authority 2017", "Microsoft ECC Root Certificate Authority 2017")}
	got := CheckRoots(s)
	for _, p := range got {
		if p.Store != "test store" {
			t.Errorf("store = %q", p.Store)
		}
		switch p.Name {
		case "DigiCert Global Root CA":
			if p.Present || !p.Required || p.KB != "G2" {
				t.Errorf("%+v", p)
			}
		case "Baltimore CyberTrust Root":
			if p.Present || p.Required {
				t.Errorf("%+v", p)
			}
		default:
			if !p.Present || !p.Required || p.StoreSHA256 != "" {
				t.Errorf("%+v", p)
			}
		}
	}
	// An unreadable store: nothing present, the error said.
	for _, p := range CheckRoots(StaticStore{Err: errors.New("access denied")}) {
		if p.Present || p.Error != "access denied" || p.Store != "" {
			t.Errorf("%+v", p)
		}
	}
}

func selfSigned(t *testing.T, key *ecdsa.PrivateKey, cn string, serial int64, notAfter time.Time) *x509.Certificate {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn, Organization: []string{"Test Roots"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A re-issued root (same subject and key, new validity) counts as present and its own
// fingerprint is reported; the same subject with another key does not count.
func TestCheckRootsReissuedRoot(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ref := selfSigned(t, key, "Test Root", 1, time.Now().Add(24*time.Hour))
	reissued := selfSigned(t, key, "Test Root", 2, time.Now().Add(48*time.Hour))
	impostor := selfSigned(t, other, "Test Root", 3, time.Now().Add(24*time.Hour))
	want := []RequiredRoot{{Name: "Test Root", SHA256: fingerprint(ref), Required: true, Cert: ref}}

	got := checkRoots(StaticStore{Certs: []*x509.Certificate{impostor, reissued}}, want)
	if !got[0].Present || got[0].StoreSHA256 != fingerprint(reissued) || got[0].Store != "" {
		t.Errorf("re-issued root: %+v", got[0])
	}
	got = checkRoots(StaticStore{Certs: []*x509.Certificate{impostor}}, want)
	if got[0].Present {
		t.Errorf("a root with another key was taken for the required one: %+v", got[0])
	}
	got = checkRoots(StaticStore{Certs: []*x509.Certificate{ref}}, want)
	if !got[0].Present || got[0].StoreSHA256 != "" {
		t.Errorf("the reference itself: %+v", got[0])
	}
}

// The file store reads the first bundle that exists (not the later ones) plus every extra
// file, and names what it read.
func TestFileStore(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, cs ...*x509.Certificate) string {
		var b strings.Builder
		b.WriteString("# comment lines and non-certificate blocks are skipped\n")
		pem.Encode(&b, &pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1, 2, 3}})
		for _, c := range cs {
			pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	g2 := certs("DigiCert Global Root G2")
	rsa := certs("Microsoft RSA Root Certificate Authority 2017")
	ecc := certs("Microsoft ECC Root Certificate Authority 2017")
	first := write("bundle1.pem", g2...)
	second := write("bundle2.pem", rsa...)
	extra := write("extra.pem", ecc...)
	s := NewFileStore([]string{filepath.Join(dir, "missing.pem"), first, second}, []string{extra})
	got := CheckRoots(s)
	present := map[string]bool{}
	for _, p := range got {
		present[p.Name] = p.Present
		if p.Error != "" {
			t.Errorf("error %q", p.Error)
		}
	}
	if !present["DigiCert Global Root G2"] || present["Microsoft RSA Root Certificate Authority 2017"] || !present["Microsoft ECC Root Certificate Authority 2017"] {
		t.Errorf("present = %v", present)
	}
	if want := first + " + --ca-file " + extra; got[0].Store != want {
		t.Errorf("store = %q, want %q", got[0].Store, want)
	}
	// Nothing readable at all is an error, not a silent "all missing".
	none := CheckRoots(NewFileStore([]string{filepath.Join(dir, "missing.pem")}, nil))
	if none[0].Error == "" || none[0].Present {
		t.Errorf("no bundle: %+v", none[0])
	}
}
