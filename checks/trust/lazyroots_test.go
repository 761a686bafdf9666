package trust

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"os"
	"testing"
	"time"
)

type testCert struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// issue makes a certificate for cn with key (a new one when nil), signed by parent (self-signed
// when nil).
func issue(t *testing.T, cn string, key *ecdsa.PrivateKey, parent *testCert, ca bool, dns ...string) *testCert {
	t.Helper()
	if key == nil {
		var err error
		if key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			t.Fatal(err)
		}
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn, Organization: []string{"lab"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: ca, BasicConstraintsValid: true, DNSNames: dns,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{c, key}
}

// The subject read without a parse is the parsed RawSubject, for every root this machine and
// the required-roots table hold.
func TestRawSubjectMatchesTheParser(t *testing.T) {
	var all []*x509.Certificate
	for _, r := range RequiredRoots() {
		if r.Cert != nil {
			all = append(all, r.Cert)
		}
	}
	if data, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt"); err == nil {
		all = append(all, ParsePEMCerts(data)...)
	}
	for _, c := range all {
		got, ok := rawSubject(c.Raw)
		if !ok || !bytes.Equal(got, c.RawSubject) {
			t.Errorf("%s: subject read %q (ok %v), parsed %q", c.Subject, got, ok, c.RawSubject)
		}
	}
	if _, ok := rawSubject([]byte{0x30, 0x03, 0x02, 0x01, 0x01}); ok {
		t.Error("a truncated certificate gave a subject")
	}
}

// Verifying a chain against the pool built for it gives what verifying against every root
// gives: direct chains, a cross-signed intermediate reaching a second root, a re-keyed root
// of the same name, a chain to no trusted root, and a trusted leaf.
func TestPoolForVerifiesAsTheWholeStore(t *testing.T) {
	rootA := issue(t, "Root A", nil, nil, true)
	rootB := issue(t, "Root B", nil, nil, true)
	rootA2 := issue(t, "Root A", nil, nil, true) // same name, another key
	inter := issue(t, "Issuing CA", nil, rootA, true)
	cross := issue(t, "Issuing CA", inter.key, rootB, true) // the same CA, signed by B
	leaf := issue(t, "host.lab.test", nil, inter, false, "host.lab.test")
	selfLeaf := issue(t, "self.lab.test", nil, nil, false, "self.lab.test")
	var filler [][]byte
	for i := range 40 {
		filler = append(filler, issue(t, fmt.Sprintf("Other Root %d", i), nil, nil, true).cert.Raw)
	}
	stores := map[string][]*testCert{
		"A":           {rootA},
		"B":           {rootB},
		"A re-keyed":  {rootA2},
		"A and A2":    {rootA2, rootA},
		"none":        {},
		"self leaf":   {selfLeaf},
		"B and A2":    {rootB, rootA2},
		"A2 and self": {rootA2, selfLeaf},
		"leaf itself": {leaf},
	}
	chains := map[string][]*x509.Certificate{
		"leaf, inter":        {leaf.cert, inter.cert},
		"leaf, inter, cross": {leaf.cert, inter.cert, cross.cert},
		"leaf, cross":        {leaf.cert, cross.cert},
		"self":               {selfLeaf.cert},
	}
	for sname, store := range stores {
		ders := append([][]byte{}, filler...)
		var certs []*x509.Certificate
		for _, c := range store {
			ders = append(ders, c.cert.Raw)
			certs = append(certs, c.cert)
		}
		roots := newLazyRoots(ders)
		whole := poolOf(certs)
		for cname, chain := range chains {
			name := chain[0].Subject.CommonName
			wantChains, wantErr := verifyFor(chain, name, whole)
			gotChains, gotErr := verifyFor(chain, name, roots.poolFor(chain, nil))
			if (wantErr == nil) != (gotErr == nil) || len(wantChains) != len(gotChains) {
				t.Errorf("store %s, chain %s: whole store: %d chains, %v; pool for the chain: %d chains, %v", sname, cname, len(wantChains), wantErr, len(gotChains), gotErr)
			}
		}
	}
	// The cases above are not all failures or all successes.
	if _, err := verifyFor(chains["leaf, inter, cross"], "host.lab.test", newLazyRoots([][]byte{rootB.cert.Raw}).poolFor(chains["leaf, inter, cross"], nil)); err != nil {
		t.Errorf("cross-signed chain to B: %v", err)
	}
	if _, err := verifyFor(chains["leaf, inter"], "host.lab.test", newLazyRoots([][]byte{rootA2.cert.Raw}).poolFor(chains["leaf, inter"], nil)); err == nil {
		t.Error("a root of the same name and another key verified the chain")
	}
	// Roots the chain cannot use are not parsed.
	roots := newLazyRoots(append(filler, rootA.cert.Raw))
	roots.poolFor(chains["leaf, inter"], nil)
	parsed := 0
	for _, r := range roots.all {
		if r.cert != nil {
			parsed++
		}
	}
	if parsed != 1 {
		t.Errorf("%d roots parsed for one chain, want 1", parsed)
	}
	// A root that does not parse is left out, as the standard pool leaves it out.
	if n := len(newLazyRoots([][]byte{{0x30, 0x00}}).all); n != 0 {
		t.Errorf("%d unparsable roots kept", n)
	}
}

func verifyFor(chain []*x509.Certificate, name string, roots *x509.CertPool) ([][]*x509.Certificate, error) {
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	return chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: name})
}
