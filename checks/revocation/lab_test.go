package revocation

import (
	"context"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

// startLabWeb runs a lab web server for ca on a loopback address at free ports.
func startLabWeb(t *testing.T, ca *lab.CA) *lab.Web {
	t.Helper()
	ip, err := lab.AllocIP()
	if err != nil {
		t.Fatal(err)
	}
	w, err := lab.StartWeb(ip, 0, 0, ca, lab.ConnServe)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// verifiedChains does what a run's 443 check does: a handshake with sni, the chain verified
// to the expected roots.
func verifiedChains(t *testing.T, w *lab.Web, sni string, roots *x509.CertPool) [][]*x509.Certificate {
	t.Helper()
	conn, err := tls.Dial("tcp", net.JoinHostPort(w.IP, strconv.Itoa(w.TLSPort)), &tls.Config{ServerName: sni, RootCAs: roots})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().VerifiedChains
}

// ask sends req to the lab web's plain-HTTP port, whatever host the URL names (the lab DNS
// would resolve it there), reading at most MaxBody.
func ask(t *testing.T, w *lab.Web, req *Request) Answer {
	t.Helper()
	hr, err := req.NewHTTPRequest()
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort(w.IP, strconv.Itoa(w.HTTPPort))
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	resp, err := client.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	ans, err := ReadAnswer(req, resp)
	if err != nil {
		t.Fatal(err)
	}
	return ans
}

// revocationEntries are the scp profile's port-80 revocation entries.
func revocationEntries(t *testing.T) []catalog.Entry {
	t.Helper()
	c, err := catalog.LoadProfile("scp")
	if err != nil {
		t.Fatal(err)
	}
	var out []catalog.Entry
	for _, e := range c.Entries {
		if e.Group == "certificate revocation" {
			out = append(out, e)
		}
	}
	if len(out) < 11 {
		t.Fatalf("only %d revocation entries", len(out))
	}
	return out
}

// TestLabRevocationHostsProven: the lab CA names its CRL and OCSP responder on the catalog's
// revocation hosts, the lab web serves them, and every revocation entry but ctldl (which
// serves no CRL or OCSP, in the field as here) is proven from the chain a 443 check verified.
// A forger with the CA's name and another key proves nothing.
func TestLabRevocationHostsProven(t *testing.T) {
	ca, err := lab.NewCA("cmpreflight lab root")
	if err != nil {
		t.Fatal(err)
	}
	w := startLabWeb(t, ca)
	chains := verifiedChains(t, w, "download.microsoft.com", ca.Pool())
	if len(chains) == 0 {
		t.Fatal("no verified chain")
	}
	expected := []*x509.Certificate{ca.Cert}
	for _, e := range revocationEntries(t) {
		target, _ := url.Parse(e.Name)
		req, err := Plan(target, chains, e.Proof, expected)
		if target.Hostname() == "ctldl.windowsupdate.com" {
			if !errors.Is(err, ErrNoProof) {
				t.Errorf("ctldl: want no proof, got %+v %v", req, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", e.Name, err)
			continue
		}
		if req.From != FromChain {
			t.Errorf("%s: planned from %s, want the verified chain", e.Name, req.From)
		}
		p, err := Verify(req, ask(t, w, req), time.Now())
		if err != nil {
			t.Errorf("%s: %v", e.Name, err)
			continue
		}
		wantBy := BySignedCRL
		if strings.Contains(target.Hostname(), "ocsp") {
			wantBy = BySignedOCSP
		}
		if p.By != wantBy || !strings.Contains(p.Issuer, "cmpreflight lab root") {
			t.Errorf("%s: %+v", e.Name, p)
		}
	}
	served := ca.RevocationAnswers()
	if served < 10 {
		t.Errorf("the lab served %d revocation answers, want 10", served)
	}

	// The same requests answered by a forger: the CA's name, another key.
	ca.Forge(true)
	t.Cleanup(func() { ca.Forge(false) })
	for _, host := range []string{"http://crl3.digicert.com/", "http://oneocsp.microsoft.com/"} {
		target, _ := url.Parse(host)
		req, err := Plan(target, chains, nil, expected)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Verify(req, ask(t, w, req), time.Now())
		var e *Error
		if p != nil || !errors.As(err, &e) || e.Reason != ReasonSignature {
			t.Errorf("FORGED %s: proof %+v, err %v; want a signature failure", host, p, err)
		}
	}
}

// TestLabFilterAnswers: what filters put on a revocation host in the field, served by real lab
// endpoints: a block page with 200, another CA's objects at the same URLs.
func TestLabFilterAnswers(t *testing.T) {
	ca, err := lab.NewCA("cmpreflight lab root")
	if err != nil {
		t.Fatal(err)
	}
	origin := startLabWeb(t, ca)
	chains := verifiedChains(t, origin, "crl3.digicert.com", ca.Pool())
	expected := []*x509.Certificate{ca.Cert}
	crlReq, err := Plan(&url.URL{Scheme: "http", Host: "crl3.digicert.com", Path: "/"}, chains, nil, expected)
	if err != nil {
		t.Fatal(err)
	}
	ocspReq, err := Plan(&url.URL{Scheme: "http", Host: "ocsp.digicert.com", Path: "/"}, chains, nil, expected)
	if err != nil {
		t.Fatal(err)
	}

	// A filter with a CA of its own publishing at the same URLs.
	filterCA, err := lab.NewCA("Contoso Web Filter CA")
	if err != nil {
		t.Fatal(err)
	}
	filter := startLabWeb(t, filterCA)
	for _, req := range []*Request{crlReq, ocspReq} {
		p, err := Verify(req, ask(t, filter, req), time.Now())
		var e *Error
		// The filter's CRL names another issuer; its responder does not serve the lab CA.
		if p != nil || !errors.As(err, &e) || (e.Reason != ReasonIssuer && e.Reason != ReasonUnsigned) {
			t.Errorf("FILTER %s: proof %+v, err %v", req.URL, p, err)
		}
		t.Logf("filter at %s: %v", req.URL, err)
	}

	// A block page in German with status 200 on every path.
	filterCA.Unpublish()
	filter.Handle("", lab.Route{Status: 200, Headers: map[string]string{"X-Filter": "1"}, Body: "<html><head><title>Zugriff verweigert</title></head><body>Gesperrt</body></html>"})
	for _, req := range []*Request{crlReq, ocspReq} {
		p, err := Verify(req, ask(t, filter, req), time.Now())
		if p != nil || err == nil {
			t.Errorf("BLOCK PAGE %s: proof %+v", req.URL, p)
		}
		t.Logf("block page at %s: %v", req.URL, err)
	}
}

// TestLabCatalogProofWithExpectedRoots: with no chain naming the host, the catalog's object is
// asked for and checked against the expected root of that name, so --expected-roots makes
// the lab CA the signer a catalog proof names.
func TestLabCatalogProofWithExpectedRoots(t *testing.T) {
	ca, err := lab.NewCA("DigiCert Global Root G2")
	if err != nil {
		t.Fatal(err)
	}
	ca.Publish([]string{"http://crl3.digicert.com/DigiCertGlobalRootG2.crl"}, []string{"http://ocsp.digicert.com"})
	if _, err := ca.Leaf("www.example.test"); err != nil { // a leaf the responder knows
		t.Fatal(err)
	}
	w := startLabWeb(t, ca)
	var crl3, ocspEntry catalog.Entry
	for _, e := range revocationEntries(t) {
		switch e.Name {
		case "http://crl3.digicert.com/":
			crl3 = e
		case "http://ocsp.digicert.com/":
			ocspEntry = e
		}
	}
	for _, e := range []catalog.Entry{crl3, ocspEntry} {
		target, _ := url.Parse(e.Name)
		req, err := Plan(target, nil, e.Proof, []*x509.Certificate{ca.Cert})
		if err != nil {
			t.Fatal(err)
		}
		if req.From != FromCatalog {
			t.Errorf("%s from %s", e.Name, req.From)
		}
		p, err := Verify(req, ask(t, w, req), time.Now())
		if err != nil {
			t.Errorf("%s: %v", e.Name, err)
			continue
		}
		// The catalog asks about a serial the lab CA never issued: a signed "unknown".
		if e.Proof.OCSP != "" && !strings.Contains(p.Detail, `"unknown"`) {
			t.Errorf("%s: %s", e.Name, p.Detail)
		}
	}
	// The bundled public root of that name is not the lab's key: no proof.
	req, err := Plan(&url.URL{Scheme: "http", Host: "crl3.digicert.com", Path: "/"}, nil, crl3.Proof, PublicRoots())
	if err != nil {
		t.Fatal(err)
	}
	if p, err := Verify(req, ask(t, w, req), time.Now()); p != nil || err == nil {
		t.Errorf("the lab CRL proved the real DigiCert root: %+v", p)
	}
}

// TestLabCertAtThumbprint: the lab CA serves its own certificate where Windows' root update
// asks for it; a catalog proof naming that URL and the expected root proves ctldl, and a forger
// (same name, another key) or another root's thumbprint does not.
func TestLabCertAtThumbprint(t *testing.T) {
	ca, err := lab.NewCA("cmpreflight lab root")
	if err != nil {
		t.Fatal(err)
	}
	w := startLabWeb(t, ca)
	sum := sha1.Sum(ca.Cert.Raw)
	base := lab.DefaultCertBases[0]
	spec := &catalog.Proof{Cert: base + strings.ToUpper(hex.EncodeToString(sum[:])) + ".crt", Root: "cmpreflight lab root"}
	target, _ := url.Parse("http://ctldl.windowsupdate.com/")
	req, err := Plan(target, nil, spec, []*x509.Certificate{ca.Cert})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Verify(req, ask(t, w, req), time.Now())
	if err != nil || p.By != BySignedCert {
		t.Fatalf("proof %+v, err %v", p, err)
	}
	// The catalog's own URL names DigiCert Global Root G2's thumbprint: the lab web has no
	// such object and answers its default route.
	real := &catalog.Proof{Cert: base + "DF3C24F9BFD666761B268073FE06D1CC8D4F82A4.crt", Root: "cmpreflight lab root"}
	req2, _ := Plan(target, nil, real, []*x509.Certificate{ca.Cert})
	if p, err := Verify(req2, ask(t, w, req2), time.Now()); p != nil || err == nil {
		t.Errorf("another root's thumbprint proved: %+v", p)
	}
	ca.Forge(true)
	t.Cleanup(func() { ca.Forge(false) })
	p, err = Verify(req, ask(t, w, req), time.Now())
	var e *Error
	if p != nil || !errors.As(err, &e) || e.Reason != ReasonIssuer {
		t.Errorf("FORGED certificate: proof %+v, err %v", p, err)
	}
}

// TestLabOCSPGetAndRevoked: the lab responder also takes RFC 6960 GET requests, and a revoked
// leaf gets a signed "revoked", which still proves who answered.
func TestLabOCSPGetAndRevoked(t *testing.T) {
	ca, err := lab.NewCA("cmpreflight lab root")
	if err != nil {
		t.Fatal(err)
	}
	w := startLabWeb(t, ca)
	chains := verifiedChains(t, w, "go.microsoft.com", ca.Pool())
	leaf := chains[0][0]
	ca.Revoke(leaf.SerialNumber)
	req, err := Plan(&url.URL{Scheme: "http", Host: "oneocsp.microsoft.com", Path: "/"}, chains, nil, []*x509.Certificate{ca.Cert})
	if err != nil {
		t.Fatal(err)
	}
	get := *req
	u := *req.URL
	u.Path = strings.TrimSuffix(u.Path, "/") + "/" + base64.StdEncoding.EncodeToString(req.Body)
	get.URL, get.Method, get.Body = &u, http.MethodGet, nil
	for _, r := range []*Request{req, &get} {
		ans := ask(t, w, r)
		p, err := Verify(r, ans, time.Now())
		if err != nil {
			t.Fatalf("%s %s: %v", r.Method, r.URL, err)
		}
		resp, _ := ocsp.ParseResponse(ans.Body, ca.Cert)
		if resp == nil || resp.Status != ocsp.Revoked || !strings.Contains(p.Detail, `"revoked"`) {
			t.Errorf("%s: %+v", r.Method, p)
		}
	}
}
