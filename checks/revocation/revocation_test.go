package revocation

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/ocsp"

	"github.com/cmpreflight/cmpreflight/catalog"
)

var now = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// newRoot makes a self-signed CA named cn.
func newRoot(t *testing.T, cn string) *testCA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn, Organization: []string{"test"}},
		NotBefore: now.Add(-time.Hour * 24), NotAfter: now.Add(24 * 365 * time.Hour),
		IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testCA{cert: c, key: key}
}

// issue makes a certificate signed by ca; tweak edits the template.
func (ca *testCA) issue(t *testing.T, cn string, serial int64, tweak func(*x509.Certificate)) *testCA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	if tweak != nil {
		tweak(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &testCA{cert: c, key: key}
}

func (ca *testCA) crl(t *testing.T, this, next time.Time) []byte {
	t.Helper()
	der, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number: big.NewInt(7), ThisUpdate: this, NextUpdate: next,
	}, ca.cert, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// ocspAnswer signs an answer about serial with signer (the CA itself or a responder it issued).
func ocspAnswer(t *testing.T, issuer *x509.Certificate, signer *testCA, serial int64, status int, this, next time.Time) []byte {
	t.Helper()
	tmpl := ocsp.Response{Status: status, SerialNumber: big.NewInt(serial), ThisUpdate: this, NextUpdate: next}
	if status == ocsp.Revoked {
		tmpl.RevokedAt = this
	}
	if signer.cert != issuer {
		tmpl.Certificate = signer.cert
	}
	der, err := ocsp.CreateResponse(issuer, signer.cert, tmpl, signer.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

func crlReq(issuer *x509.Certificate) *Request {
	r := crlRequest(mustURL("http://crl.example.test/root.crl"), issuer)
	r.From = FromCatalog
	return r
}

func ocspReq(t *testing.T, issuer *x509.Certificate, serial int64) *Request {
	t.Helper()
	r, err := ocspRequest(mustURL("http://ocsp.example.test/"), issuer, big.NewInt(serial))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func hdr(ct string) http.Header {
	h := http.Header{}
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	return h
}

func TestVerifyCRL(t *testing.T) {
	root := newRoot(t, "Test Root G2")
	forger := newRoot(t, "Test Root G2") // same name, another key
	other := newRoot(t, "Other Root")
	good := root.crl(t, now.Add(-time.Hour), now.Add(7*24*time.Hour))
	html := []byte("<html><head><title>Zugriff verweigert</title></head><body>Diese Seite ist gesperrt</body></html>")
	cases := []struct {
		name   string
		ans    Answer
		reason string
	}{
		{"genuine", Answer{Status: 200, Header: hdr("application/pkix-crl"), Body: good}, ""},
		{"genuine, no content type", Answer{Status: 200, Header: hdr(""), Body: good}, ""},
		{"genuine, octet-stream", Answer{Status: 200, Header: hdr("application/octet-stream"), Body: good}, ""},
		{"forged: same issuer name, another key", Answer{Status: 200, Header: hdr("application/pkix-crl"), Body: forger.crl(t, now.Add(-time.Hour), now.Add(time.Hour))}, ReasonSignature},
		{"signed by another CA", Answer{Status: 200, Header: hdr("application/pkix-crl"), Body: other.crl(t, now.Add(-time.Hour), now.Add(time.Hour))}, ReasonIssuer},
		{"expired", Answer{Status: 200, Header: hdr("application/pkix-crl"), Body: root.crl(t, now.Add(-10*24*time.Hour), now.Add(-24*time.Hour))}, ReasonStale},
		{"from the future", Answer{Status: 200, Header: hdr("application/pkix-crl"), Body: root.crl(t, now.Add(time.Hour), now.Add(48*time.Hour))}, ReasonStale},
		{"HTML page with 200", Answer{Status: 200, Header: hdr("text/html; charset=utf-8"), Body: html}, ReasonContentType},
		{"HTML page with 200, no content type", Answer{Status: 200, Header: hdr(""), Body: html}, ReasonMalformed},
		{"HTML page, octet-stream", Answer{Status: 200, Header: hdr("application/octet-stream"), Body: html}, ReasonMalformed},
		{"403", Answer{Status: 403, Header: hdr("text/html"), Body: html}, ReasonStatus},
		{"302 to a portal", Answer{Status: 302, Header: http.Header{"Location": {"http://portal.test/"}}}, ReasonStatus},
		{"truncated body", Answer{Status: 200, Header: hdr("application/pkix-crl"), Body: good[:len(good)/2]}, ReasonMalformed},
		{"cut by the reader", Answer{Status: 200, Header: hdr("application/pkix-crl"), Body: good, Truncated: true}, ReasonTruncated},
		{"empty body", Answer{Status: 200, Header: hdr("application/pkix-crl")}, ReasonMalformed},
		{"bad content type", Answer{Status: 200, Header: hdr("a/b/c"), Body: good}, ReasonContentType},
		{"an OCSP answer where a CRL belongs", Answer{Status: 200, Header: hdr(""), Body: ocspAnswer(t, root.cert, root, 5, ocsp.Good, now.Add(-time.Hour), now.Add(time.Hour))}, ReasonMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Verify(crlReq(root.cert), c.ans, now)
			checkOutcome(t, p, err, c.reason, BySignedCRL)
			if c.name == "HTML page with 200" && !strings.Contains(err.Error(), "Zugriff verweigert") {
				t.Errorf("the error does not name the page: %v", err)
			}
		})
	}
}

func checkOutcome(t *testing.T, p *Proof, err error, reason, by string) {
	t.Helper()
	if reason == "" {
		if err != nil {
			t.Fatalf("want a proof, got %v", err)
		}
		if p.By != by || p.Detail == "" || (p.ThisUpdate.IsZero() != (by == BySignedCert)) {
			t.Fatalf("proof %+v", p)
		}
		return
	}
	if p != nil {
		t.Fatalf("FALSE PASS: want %s, got proof %+v", reason, p)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *Error %s, got %v", reason, err)
	}
	if e.Reason != reason {
		t.Fatalf("want reason %s, got %s (%s)", reason, e.Reason, e.Detail)
	}
}

func TestVerifyOCSP(t *testing.T) {
	root := newRoot(t, "Test Root G2")
	forger := newRoot(t, "Test Root G2")
	other := newRoot(t, "Other Root")
	responder := root.issue(t, "Test OCSP Responder", 90, func(c *x509.Certificate) {
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
	})
	tlsLeaf := root.issue(t, "www.filter.test", 91, func(c *x509.Certificate) {
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	})
	forgedResponder := forger.issue(t, "Test OCSP Responder", 92, func(c *x509.Certificate) {
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
	})
	otherResponder := other.issue(t, "Test OCSP Responder", 93, func(c *x509.Certificate) {
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
	})
	expiredResponder := root.issue(t, "Test OCSP Responder", 94, func(c *x509.Certificate) {
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}
		c.NotBefore, c.NotAfter = now.Add(-48*time.Hour), now.Add(-24*time.Hour)
	})
	this, next := now.Add(-time.Hour), now.Add(24*time.Hour)
	unauthorized := []byte{0x30, 0x03, 0x0a, 0x01, 0x06} // OCSPResponse{responseStatus: unauthorized}
	ct := hdr("application/ocsp-response")
	cases := []struct {
		name   string
		ans    Answer
		reason string
	}{
		{"good, signed by the CA", Answer{Status: 200, Header: ct, Body: ocspAnswer(t, root.cert, root, 5, ocsp.Good, this, next)}, ""},
		{"signed unknown", Answer{Status: 200, Header: ct, Body: ocspAnswer(t, root.cert, root, 5, ocsp.Unknown, this, next)}, ""},
		{"signed revoked", Answer{Status: 200, Header: ct, Body: ocspAnswer(t, root.cert, root, 5, ocsp.Revoked, this, next)}, ""},
		{"delegated responder", Answer{Status: 200, Header: ct, Body: ocspAnswer(t, root.cert, responder, 5, ocsp.Good, this, next)}, ""},
		{"signed by a TLS certificate of the CA", Answer{Status: 200, Header: ct, Body: ocspAnswer(t, root.cert, tlsLeaf, 5, ocsp.Good, this, next)}, ReasonSignature},
		{"forged: same name, another key", Answer{Status: 200, Header: ct, Body: ocspAnswer(t, forger.cert, forger, 5, ocsp.Good, this, next)}, ReasonSignature},
		{"forged responder", Answer{Status: 200, Header: ct, Body: ocspAnswer(t, forger.cert, forgedResponder, 5, ocsp.Good, this, next)}, ReasonSignature},
		{"expired responder certificate", Answer{Status: 200, Header: ct, Body: ocspAnswer(t, root.cert, expiredResponder, 5, ocsp.Good, this, next)}, ReasonStale},
		{"another CA's responder", Answer{Status: 200, Header: ct, Body: ocspAnswer(t, other.cert, otherResponder, 5, ocsp.Good, this, next)}, ReasonSignature},
		{"about another serial", Answer{Status: 200, Header: ct, Body: ocspAnswer(t, root.cert, root, 6, ocsp.Good, this, next)}, ReasonIssuer},
		{"unsigned unauthorized", Answer{Status: 200, Header: ct, Body: unauthorized}, ReasonUnsigned},
		{"expired", Answer{Status: 200, Header: ct, Body: ocspAnswer(t, root.cert, root, 5, ocsp.Good, now.Add(-48*time.Hour), now.Add(-24*time.Hour))}, ReasonStale},
		{"HTML page with 200", Answer{Status: 200, Header: hdr("text/html"), Body: []byte("<title>Blocked</title>")}, ReasonContentType},
		{"HTML page, OCSP type", Answer{Status: 200, Header: ct, Body: []byte("<title>Blocked</title>")}, ReasonMalformed},
		{"truncated body", Answer{Status: 200, Header: ct, Body: ocspAnswer(t, root.cert, root, 5, ocsp.Good, this, next)[:40]}, ReasonMalformed},
		{"cut by the reader", Answer{Status: 200, Header: ct, Body: []byte{0x30}, Truncated: true}, ReasonTruncated},
		{"a CRL where an OCSP answer belongs", Answer{Status: 200, Header: hdr(""), Body: root.crl(t, this, next)}, ReasonMalformed},
		{"405", Answer{Status: 405, Header: hdr("text/plain")}, ReasonStatus},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Verify(ocspReq(t, root.cert, 5), c.ans, now)
			checkOutcome(t, p, err, c.reason, BySignedOCSP)
		})
	}
}

func TestVerifyCert(t *testing.T) {
	root := newRoot(t, "Test Root G2")
	forger := newRoot(t, "Test Root G2")
	other := newRoot(t, "Other Root")
	thumb := func(c *x509.Certificate) string {
		sum := sha1.Sum(c.Raw)
		return strings.ToUpper(hex.EncodeToString(sum[:]))
	}
	req := func(name string) *Request {
		r, err := FromSpec(&catalog.Proof{Cert: "http://ctl.example.test/msdownload/update/v3/static/trustedr/en/" + name, Root: "Test Root G2"}, []*x509.Certificate{root.cert})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	good := req(thumb(root.cert) + ".crt")
	ct := hdr("application/x-x509-ca-cert")
	cases := []struct {
		name   string
		req    *Request
		ans    Answer
		reason string
	}{
		{"the root at its thumbprint", good, Answer{Status: 200, Header: ct, Body: root.cert.Raw}, ""},
		{"the root, octet-stream", good, Answer{Status: 200, Header: hdr("application/octet-stream"), Body: root.cert.Raw}, ""},
		{"a URL without a thumbprint", req("root.crt"), Answer{Status: 200, Header: ct, Body: root.cert.Raw}, ""},
		{"same name, another key", req(thumb(forger.cert) + ".crt"), Answer{Status: 200, Header: ct, Body: forger.cert.Raw}, ReasonIssuer},
		{"another root at the URL of ours", good, Answer{Status: 200, Header: ct, Body: other.cert.Raw}, ReasonIssuer},
		{"HTML page with 200", good, Answer{Status: 200, Header: hdr("text/html"), Body: []byte("<title>Blocked</title>")}, ReasonContentType},
		{"HTML page, no type", good, Answer{Status: 200, Header: hdr(""), Body: []byte("<title>Blocked</title>")}, ReasonMalformed},
		{"truncated", good, Answer{Status: 200, Header: ct, Body: root.cert.Raw[:100]}, ReasonMalformed},
		{"404", good, Answer{Status: 404, Header: hdr("text/html")}, ReasonStatus},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := Verify(c.req, c.ans, now)
			checkOutcome(t, p, err, c.reason, BySignedCert)
		})
	}
}

func TestPlanPrefersChainThenCatalog(t *testing.T) {
	root := newRoot(t, "Test Root G2")
	inter := root.issue(t, "Test Issuing CA", 10, func(c *x509.Certificate) {
		c.IsCA, c.BasicConstraintsValid = true, true
		c.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		c.CRLDistributionPoints = []string{"http://crl3.example.test/TestRootG2.crl", "http://crl4.example.test/TestRootG2.crl"}
		c.OCSPServer = []string{"http://ocsp.example.test"}
	})
	leaf := inter.issue(t, "www.example.test", 11, func(c *x509.Certificate) {
		c.CRLDistributionPoints = []string{"http://pki.example.test/crl/issuing.crl", "http://crl3.example.test/issuing.crl"}
		c.OCSPServer = []string{"http://leaf-ocsp.example.test/ocsp"}
	})
	chains := [][]*x509.Certificate{{leaf.cert, inter.cert, root.cert}}
	spec := &catalog.Proof{CRL: "http://pki.example.test/root.crl", Root: "Test Root G2"}
	expected := []*x509.Certificate{newRoot(t, "Unrelated").cert, root.cert}
	cases := []struct {
		target  string
		spec    *catalog.Proof
		kind    string
		url     string
		issuer  *x509.Certificate
		serial  int64
		from    string
		noProof bool
	}{
		// crl3 is named by the leaf and the intermediate: the root's (small) CRL wins.
		{target: "http://crl3.example.test/", kind: KindCRL, url: "http://crl3.example.test/TestRootG2.crl", issuer: root.cert, from: FromChain},
		{target: "http://ocsp.example.test/", kind: KindOCSP, url: "http://ocsp.example.test/", issuer: root.cert, serial: 10, from: FromChain},
		{target: "http://leaf-ocsp.example.test/", kind: KindOCSP, url: "http://leaf-ocsp.example.test/ocsp", issuer: inter.cert, serial: 11, from: FromChain},
		// Only the leaf names pki: the catalog's object comes first.
		{target: "http://pki.example.test/", spec: spec, kind: KindCRL, url: "http://pki.example.test/root.crl", issuer: root.cert, from: FromCatalog},
		{target: "http://pki.example.test/", kind: KindCRL, url: "http://pki.example.test/crl/issuing.crl", issuer: inter.cert, from: FromChain},
		// The catalog names a root the run does not expect: the leaf's CRL still serves.
		{target: "http://pki.example.test/", spec: &catalog.Proof{CRL: "http://pki.example.test/x.crl", Root: "Absent Root"}, kind: KindCRL, url: "http://pki.example.test/crl/issuing.crl", issuer: inter.cert, from: FromChain},
		{target: "http://nothing.example.test/", noProof: true},
		{target: "http://nothing.example.test/", spec: &catalog.Proof{CRL: "http://nothing.example.test/x.crl", Root: "Absent Root"}, noProof: true},
		{target: "http://ocsp2.example.test/", spec: &catalog.Proof{OCSP: "http://ocsp2.example.test/", Root: "Test Root G2", Serial: "0a"}, kind: KindOCSP, url: "http://ocsp2.example.test/", issuer: root.cert, serial: 10, from: FromCatalog},
	}
	for _, c := range cases {
		r, err := Plan(mustURL(c.target), chains, c.spec, expected)
		if c.noProof {
			if !errors.Is(err, ErrNoProof) {
				t.Errorf("%s: want ErrNoProof, got %+v %v", c.target, r, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.target, err)
			continue
		}
		if r.Kind != c.kind || r.URL.String() != c.url || r.Issuer != c.issuer || r.From != c.from {
			t.Errorf("%s: got %s %s issuer %q from %s", c.target, r.Kind, r.URL, r.Issuer.Subject.CommonName, r.From)
		}
		if c.kind == KindOCSP {
			if r.Serial.Int64() != c.serial || r.Method != http.MethodPost {
				t.Errorf("%s: serial %v method %s", c.target, r.Serial, r.Method)
			}
			q, err := ocsp.ParseRequest(r.Body)
			if err != nil || q.SerialNumber.Int64() != c.serial || q.HashAlgorithm != crypto.SHA1 {
				t.Errorf("%s: OCSP request %+v %v", c.target, q, err)
			}
		}
	}
}

// TestRoundTrip sends what Plan asks to a loopback server and verifies what comes back.
func TestRoundTrip(t *testing.T) {
	root := newRoot(t, "Test Root G2")
	crl := root.crl(t, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			w.Header().Set("Content-Type", "application/pkix-crl")
			w.Write(crl)
		case http.MethodPost:
			body, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
			q, err := ocsp.ParseRequest(body)
			if err != nil || r.Header.Get("Content-Type") != "application/ocsp-request" {
				http.Error(w, "bad request", 400)
				return
			}
			w.Header().Set("Content-Type", "application/ocsp-response")
			w.Write(ocspAnswer(t, root.cert, root, q.SerialNumber.Int64(), ocsp.Unknown, time.Now().Add(-time.Minute), time.Now().Add(time.Hour)))
		}
	}))
	t.Cleanup(srv.Close)
	for _, spec := range []*catalog.Proof{
		{CRL: srv.URL + "/root.crl", Root: "Test Root G2"},
		{OCSP: srv.URL + "/", Root: "Test Root G2", Serial: "1234"},
	} {
		r, err := Plan(mustURL(srv.URL), nil, spec, []*x509.Certificate{root.cert})
		if err != nil {
			t.Fatal(err)
		}
		hr, err := r.NewHTTPRequest()
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, r.MaxBody))
		resp.Body.Close()
		p, err := Verify(r, Answer{Status: resp.StatusCode, Header: resp.Header, Body: body}, time.Now())
		if err != nil {
			t.Fatalf("%s: %v", r.Kind, err)
		}
		if !strings.HasPrefix(p.By, "signed-") || !strings.Contains(p.Detail, "Test Root G2") {
			t.Fatalf("%+v", p)
		}
	}
}

func TestPublicRootsHoldTheCatalogRoots(t *testing.T) {
	roots := PublicRoots()
	names := map[string]bool{}
	for _, c := range roots {
		names[c.Subject.CommonName] = true
	}
	for _, want := range []string{"DigiCert Global Root G2", "DigiCert Global Root CA", "Microsoft RSA Root Certificate Authority 2017"} {
		if !names[want] {
			t.Errorf("%s is not among the public roots", want)
		}
	}
}

// TestCatalogProofsResolve plans every embedded profile's proofs against the bundled public
// roots, the expected roots of a run without --expected-roots: each names a signer the run
// holds, and each embedded CA certificate is signed by its issuer (itself, or a public root).
func TestCatalogProofsResolve(t *testing.T) {
	roots := PublicRoots()
	n := 0
	for _, name := range catalog.Profiles() {
		c, err := catalog.LoadProfile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range c.Entries {
			if e.Proof == nil {
				continue
			}
			n++
			r, err := FromSpec(e.Proof, roots)
			if err != nil {
				t.Errorf("%s %s: %v", name, e.Name, err)
				continue
			}
			if r.URL.Scheme != "http" || r.Issuer == nil || (r.Kind == KindOCSP) != (r.Serial != nil) {
				t.Errorf("%s %s: %+v", name, e.Name, r)
			}
			if r.Kind == KindCert {
				// The URL names the signer's SHA-1 thumbprint, as Windows' root update asks.
				sum := sha1.Sum(r.Issuer.Raw)
				if !strings.Contains(strings.ToUpper(r.URL.Path), strings.ToUpper(hex.EncodeToString(sum[:]))+".CRT") {
					t.Errorf("%s %s: %s does not name %q's thumbprint %X", name, e.Name, r.URL, r.Issuer.Subject.CommonName, sum)
				}
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d catalog proofs", n)
	}
	cas, err := catalog.ProofCAs()
	if err != nil {
		t.Fatal(err)
	}
	for _, ca := range cas {
		cert := ca.Cert
		var issuer *x509.Certificate
		if bytes.Equal(cert.RawIssuer, cert.RawSubject) {
			issuer = cert
		}
		for _, r := range roots {
			if issuer == nil && bytes.Equal(r.RawSubject, cert.RawIssuer) && cert.CheckSignatureFrom(r) == nil {
				issuer = r
			}
		}
		if issuer == nil {
			t.Errorf("%s (%s): no public root signed it", ca.Name, cert.Subject)
			continue
		}
		if err := cert.CheckSignatureFrom(issuer); err != nil {
			t.Errorf("%s: %v", ca.Name, err)
		}
	}
}

// TestReadAnswerCapsTheBody: an endless answer is read only to the request's cap and is no
// proof.
func TestReadAnswerCapsTheBody(t *testing.T) {
	root := newRoot(t, "Test Root G2")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pkix-cert")
		chunk := make([]byte, 32<<10)
		for i := 0; i < 64; i++ { // 2 MiB, far past the 64 KiB cap
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	r, err := FromSpec(&catalog.Proof{Cert: srv.URL + "/root.crt", Root: "Test Root G2"}, []*x509.Certificate{root.cert})
	if err != nil {
		t.Fatal(err)
	}
	hr, _ := r.NewHTTPRequest()
	resp, err := srv.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ans, err := ReadAnswer(r, resp)
	if err != nil {
		t.Fatal(err)
	}
	if !ans.Truncated || int64(len(ans.Body)) != MaxCertBody {
		t.Fatalf("read %d bytes, truncated %v", len(ans.Body), ans.Truncated)
	}
	p, err := Verify(r, ans, time.Now())
	checkOutcome(t, p, err, ReasonTruncated, "")
}

// TestCatalogProofsMatchTheCertificates ties the catalog's objects to the certificates that
// name them: the URL a proof fetches is one the CA's certificates publish, and an OCSP serial
// is a certificate that CA issued. testdata holds "Microsoft TLS G2 RSA CA OCSP 02" (issued by
// the embedded Microsoft TLS RSA Root G2; it is not embedded, only read here).
func TestCatalogProofsMatchTheCertificates(t *testing.T) {
	raw, err := os.ReadFile("testdata/microsoft-tls-g2-rsa-ca-ocsp-02.pem")
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(raw)
	ocsp02, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := catalog.ProofCA("microsoft-tls-rsa-root-g2")
	if err != nil {
		t.Fatal(err)
	}
	if err := ocsp02.CheckSignatureFrom(g2.Cert); err != nil {
		t.Fatalf("OCSP 02 is not signed by the embedded Microsoft TLS RSA Root G2: %v", err)
	}
	proofs := map[string]*catalog.Proof{}
	c, err := catalog.LoadProfile("scp")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range c.Entries {
		if e.Proof != nil {
			u, _ := url.Parse(e.Name)
			proofs[u.Hostname()] = e.Proof
		}
	}
	roots := PublicRoots()
	signer := func(host string) *x509.Certificate {
		s, err := Signer(proofs[host], roots)
		if err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		return s
	}
	// Named by the certificates that CA issued.
	named := []struct {
		host  string
		by    *x509.Certificate
		isCRL bool
	}{
		{"www.microsoft.com", ocsp02, true},      // its CDP: the Root G2 CRL on www.microsoft.com/pkiops
		{"oneocsp.microsoft.com", ocsp02, false}, // its AIA: the responder for Root G2's certificates
		{"crl3.digicert.com", g2.Cert, true},     // Root G2 (cross-signed by DigiCert Global Root G2)
		{"ocsp.digicert.com", g2.Cert, false},
		{"www.d-trust.net", signer("www.d-trust.net"), true}, // the D-TRUST root names its own CRL
	}
	for _, n := range named {
		p := proofs[n.host]
		list := n.by.OCSPServer
		if n.isCRL {
			list = n.by.CRLDistributionPoints
		}
		found := false
		for _, u := range list {
			found = found || strings.TrimSuffix(u, "/") == strings.TrimSuffix(p.Target(), "/")
		}
		if !found {
			t.Errorf("%s: %s is not among %q's %v", n.host, p.Target(), n.by.Subject.CommonName, list)
		}
	}
	// The OCSP serials asked about are certificates of the signer.
	if got := proofs["oneocsp.microsoft.com"].SerialNumber(); got.Cmp(ocsp02.SerialNumber) != 0 || !bytes.Equal(ocsp02.RawIssuer, signer("oneocsp.microsoft.com").RawSubject) {
		t.Errorf("oneocsp asks about %x of %s; OCSP 02 is %x of %s", got, signer("oneocsp.microsoft.com").Subject, ocsp02.SerialNumber, ocsp02.Issuer)
	}
	if got := proofs["ocsp.digicert.com"].SerialNumber(); got.Cmp(g2.Cert.SerialNumber) != 0 || !bytes.Equal(g2.Cert.RawIssuer, signer("ocsp.digicert.com").RawSubject) {
		t.Errorf("ocsp.digicert.com asks about %x; Root G2 is %x issued by %s", got, g2.Cert.SerialNumber, g2.Cert.Issuer)
	}
	if err := g2.Cert.CheckSignatureFrom(signer("ocsp.digicert.com")); err != nil {
		t.Errorf("Root G2 is not signed by the public DigiCert Global Root G2: %v", err)
	}
}

func TestPageTitleIsShortAndValidText(t *testing.T) {
	long := "<html><title>" + strings.Repeat("é", 100) + "</title>"
	got := pageTitle(Answer{Body: []byte(long)})
	if !utf8.ValidString(got) || strings.Count(got, "é") != 80 {
		t.Errorf("%q", got)
	}
	if got := pageTitle(Answer{Body: []byte("<TITLE>\n  Zugriff \t verweigert </TITLE>")}); got != ` (page "Zugriff verweigert")` {
		t.Errorf("%q", got)
	}
	if got := pageTitle(Answer{Body: []byte("0\x82\x01\x00 not a page")}); got != "" {
		t.Errorf("%q", got)
	}
}
