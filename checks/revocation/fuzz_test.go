package revocation

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// FuzzVerify feeds hostile bodies to every kind of request: Verify must never panic, and a
// proof must name the kind asked for. The seeds are genuine answers of a fixed CA (a key made
// from a fixed scalar, so the corpus stays valid) and a block page.
func FuzzVerify(f *testing.F) {
	ca := fuzzCA(f)
	at := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	crl, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: at.Add(-time.Hour), NextUpdate: at.Add(time.Hour)}, ca.cert, ca.key)
	if err != nil {
		f.Fatal(err)
	}
	resp, err := ocsp.CreateResponse(ca.cert, ca.cert, ocsp.Response{Status: ocsp.Good, SerialNumber: big.NewInt(5), ThisUpdate: at.Add(-time.Hour), NextUpdate: at.Add(time.Hour)}, ca.key)
	if err != nil {
		f.Fatal(err)
	}
	for kind := range 3 {
		f.Add(uint8(kind), uint8(0), crl)
		f.Add(uint8(kind), uint8(1), resp)
		f.Add(uint8(kind), uint8(2), ca.cert.Raw)
		f.Add(uint8(kind), uint8(3), []byte("<html><title>Blocked</title></html>"))
	}
	types := []string{"application/pkix-crl", "application/ocsp-response", "application/pkix-cert", "text/html", ""}
	f.Fuzz(func(t *testing.T, kind, ct uint8, body []byte) {
		var req *Request
		switch kind % 3 {
		case 0:
			req = crlRequest(mustURL("http://crl.example.test/root.crl"), ca.cert)
		case 1:
			req, _ = ocspRequest(mustURL("http://ocsp.example.test/"), ca.cert, big.NewInt(5))
		default:
			req = &Request{Kind: KindCert, URL: mustURL("http://ctl.example.test/en/root.crt"), Method: http.MethodGet, Issuer: ca.cert, MaxBody: MaxCertBody}
		}
		h := http.Header{}
		h.Set("Content-Type", types[int(ct)%len(types)])
		p, err := Verify(req, Answer{Status: 200, Header: h, Body: body}, at)
		if (p == nil) == (err == nil) {
			t.Fatalf("proof %v and error %v", p, err)
		}
		if p != nil && p.By != map[string]string{KindCRL: BySignedCRL, KindOCSP: BySignedOCSP, KindCert: BySignedCert}[req.Kind] {
			t.Fatalf("a %s request proven by %s", req.Kind, p.By)
		}
	})
}

type fuzzKey struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// fuzzCA is a CA whose key is fixed, so that seeds signed in one run verify in the next.
func fuzzCA(f *testing.F) fuzzKey {
	f.Helper()
	curve := elliptic.P256()
	d := new(big.Int).SetBytes([]byte("cmpreflight fuzz seed key scalar"))
	key := &ecdsa.PrivateKey{D: d}
	key.PublicKey.Curve = curve
	key.PublicKey.X, key.PublicKey.Y = curve.ScalarBaseMult(d.Bytes())
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Fuzz Root"},
		NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		f.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return fuzzKey{cert: cert, key: key}
}
