package lab

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ocsp"
)

// The lab CA publishes what a public CA publishes: a CRL at the CRL Distribution Points its
// leaves name and an OCSP responder at the URL their Authority Information Access names, on
// the revocation hosts of Microsoft's list. In a lab whose DNS sends those names to a lab
// Web, the Web answers them for its CA (Web.serveRevocation), so a run can prove those
// port-80 checks by signature the way it proves the real ones.

// CRL and OCSP URLs the lab CA names by default: the revocation hosts of the catalog that
// serve a CRL or an OCSP responder (ctldl.windowsupdate.com serves neither, in the field or
// here). The paths mimic the real ones.
var (
	DefaultCRLURLs = []string{
		"http://crl3.digicert.com/cmpreflight-lab.crl",
		"http://crl4.digicert.com/cmpreflight-lab.crl",
		"http://www.d-trust.net/crl/cmpreflight-lab.crl",
		"http://crl.microsoft.com/pki/crl/products/cmpreflight-lab.crl",
		"http://www.microsoft.com/pkiops/crl/cmpreflight-lab.crl",
		"http://mscrl.microsoft.com/pki/mscorp/crl/cmpreflight-lab.crl",
	}
	DefaultOCSPURLs = []string{
		"http://ocsp.digicert.com",
		"http://root-c3-ca2-2009.ocsp.d-trust.net",
		"http://oneocsp.microsoft.com/ocsp",
		"http://ocsp.msocsp.com",
	}
	// DefaultCertBases is where the CA serves its own certificate as <SHA-1 thumbprint>.crt,
	// as Windows' automatic root update fetches roots.
	DefaultCertBases = []string{"http://ctldl.windowsupdate.com/msdownload/update/v3/static/trustedr/en/"}
)

// CRLValidity is how long a lab CRL or OCSP answer is current.
const CRLValidity = 24 * time.Hour

// publication is a CA's published revocation state.
type publication struct {
	mu      sync.Mutex
	crl     []string
	ocsp    []string
	certAt  []string
	serials map[string]bool // issued leaves
	revoked map[string]bool
	cached  []byte // the current CRL
	until   time.Time
	forged  bool // serve a CRL and OCSP answers signed by another key with the CA's name
	served  int  // revocation answers served
}

func defaultPublication() publication {
	return publication{crl: DefaultCRLURLs, ocsp: DefaultOCSPURLs, certAt: DefaultCertBases, serials: map[string]bool{}, revoked: map[string]bool{}}
}

func (p *publication) crlURLs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.crl...)
}

func (p *publication) ocspURLs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.ocsp...)
}

func (p *publication) issued(serial *big.Int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.serials == nil {
		p.serials = map[string]bool{}
	}
	p.serials[serial.String()] = true
}

// Publish sets the CRL and OCSP URLs later leaves name (nil: none) and forgets the leaves
// already issued, so every leaf served from now on names them.
func (ca *CA) Publish(crlURLs, ocspURLs []string) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.cache = map[string]*tls.Certificate{}
	ca.pub.mu.Lock()
	defer ca.pub.mu.Unlock()
	ca.pub.crl, ca.pub.ocsp, ca.pub.cached = crlURLs, ocspURLs, nil
}

// Unpublish stops every revocation answer and the certificate download (a web that
// answers its routes only); leaves issued from now on name no CRL or OCSP.
func (ca *CA) Unpublish() {
	ca.Publish(nil, nil)
	ca.pub.mu.Lock()
	defer ca.pub.mu.Unlock()
	ca.pub.certAt = nil
}

// Revoke lists serial in the CRL and answers "revoked" for it.
func (ca *CA) Revoke(serial *big.Int) {
	ca.pub.mu.Lock()
	defer ca.pub.mu.Unlock()
	ca.pub.revoked[serial.String()] = true
	ca.pub.cached = nil
}

// Forge makes the CA's web answers a forger's: a CRL and OCSP answers in the CA's name,
// signed by another key (a filter that knows the name but not the key).
func (ca *CA) Forge(on bool) {
	ca.pub.mu.Lock()
	defer ca.pub.mu.Unlock()
	ca.pub.forged, ca.pub.cached = on, nil
}

// RevocationAnswers counts the CRL and OCSP answers the CA's webs served.
func (ca *CA) RevocationAnswers() int {
	ca.pub.mu.Lock()
	defer ca.pub.mu.Unlock()
	return ca.pub.served
}

// signer returns the key and certificate that sign the CA's revocation objects: its own, or
// under Forge a self-signed certificate with the CA's subject and another key. The caller
// holds ca.pub.mu.
func (ca *CA) signer() (*x509.Certificate, crypto.Signer, error) {
	if !ca.pub.forged {
		return ca.Cert, ca.Key, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := *ca.Cert
	tmpl.PublicKey, tmpl.Raw, tmpl.RawTBSCertificate, tmpl.RawSubjectPublicKeyInfo = nil, nil, nil, nil
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

// CRL returns the CA's current CRL (DER), made anew when the last one nears its nextUpdate.
func (ca *CA) CRL() ([]byte, error) {
	ca.pub.mu.Lock()
	defer ca.pub.mu.Unlock()
	now := time.Now()
	if ca.pub.cached != nil && now.Before(ca.pub.until.Add(-time.Hour)) {
		return ca.pub.cached, nil
	}
	cert, key, err := ca.signer()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.RevocationList{
		Number:     big.NewInt(now.UnixNano()),
		ThisUpdate: now.Add(-time.Minute),
		NextUpdate: now.Add(CRLValidity),
	}
	for s := range ca.pub.revoked {
		n, _ := new(big.Int).SetString(s, 10)
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: n, RevocationTime: now.Add(-time.Hour)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, cert, key)
	if err != nil {
		return nil, fmt.Errorf("lab CRL: %w", err)
	}
	ca.pub.cached, ca.pub.until = der, tmpl.NextUpdate
	return der, nil
}

// OCSPAnswer answers a DER OCSP request as a public CA's responder does: signed "good" for a
// leaf it issued, "revoked" for one it revoked, "unknown" for a serial it never issued, and
// the unsigned "unauthorized" for a request about another CA's certificate.
func (ca *CA) OCSPAnswer(reqDER []byte) ([]byte, error) {
	req, err := ocsp.ParseRequest(reqDER)
	if err != nil {
		return ocsp.MalformedRequestErrorResponse, nil
	}
	probe, err := ocsp.CreateRequest(&x509.Certificate{SerialNumber: req.SerialNumber}, ca.Cert, &ocsp.RequestOptions{Hash: req.HashAlgorithm})
	if err != nil {
		return ocsp.InternalErrorErrorResponse, nil
	}
	mine, err := ocsp.ParseRequest(probe)
	if err != nil || !bytes.Equal(mine.IssuerKeyHash, req.IssuerKeyHash) || !bytes.Equal(mine.IssuerNameHash, req.IssuerNameHash) {
		return ocsp.UnauthorizedErrorResponse, nil
	}
	ca.pub.mu.Lock()
	defer ca.pub.mu.Unlock()
	status := ocsp.Unknown
	switch {
	case ca.pub.revoked[req.SerialNumber.String()]:
		status = ocsp.Revoked
	case ca.pub.serials[req.SerialNumber.String()]:
		status = ocsp.Good
	}
	cert, key, err := ca.signer()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := ocsp.Response{Status: status, SerialNumber: req.SerialNumber, ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(CRLValidity), IssuerHash: req.HashAlgorithm}
	if status == ocsp.Revoked {
		tmpl.RevokedAt = now.Add(-time.Hour)
	}
	return ocsp.CreateResponse(cert, cert, tmpl, key)
}

// revocationAnswer returns the answer to a request for one of the CA's published objects on
// host (the Host header), or ok false when the request is for something else.
func (ca *CA) revocationAnswer(host string, req *http.Request, body []byte) (contentType string, answer []byte, ok bool) {
	ca.pub.mu.Lock()
	crlURLs, ocspURLs, certAt := ca.pub.crl, ca.pub.ocsp, ca.pub.certAt
	ca.pub.mu.Unlock()
	path := req.URL.Path
	for _, raw := range certAt {
		u, err := url.Parse(raw)
		if err != nil || !strings.EqualFold(u.Hostname(), host) || req.Method != http.MethodGet {
			continue
		}
		sum := sha1.Sum(ca.Cert.Raw)
		if strings.EqualFold(path, u.Path+hex.EncodeToString(sum[:])+".crt") {
			ca.pub.mu.Lock()
			cert, _, err := ca.signer()
			ca.pub.mu.Unlock()
			if err != nil {
				return "", nil, false
			}
			ca.countServed()
			return "application/x-x509-ca-cert", cert.Raw, true
		}
	}
	for _, raw := range crlURLs {
		if u, err := url.Parse(raw); err == nil && strings.EqualFold(u.Hostname(), host) && u.Path == path && req.Method == http.MethodGet {
			der, err := ca.CRL()
			if err != nil {
				return "", nil, false
			}
			ca.countServed()
			return "application/pkix-crl", der, true
		}
	}
	for _, raw := range ocspURLs {
		u, err := url.Parse(raw)
		if err != nil || !strings.EqualFold(u.Hostname(), host) {
			continue
		}
		base := strings.TrimSuffix(u.Path, "/")
		var reqDER []byte
		switch {
		case req.Method == http.MethodPost && strings.TrimSuffix(path, "/") == base:
			reqDER = body
		case req.Method == http.MethodGet && strings.HasPrefix(path, base+"/") && len(path) > len(base)+1:
			// RFC 6960 GET: the base64 request, URL-encoded, after the responder's path.
			enc, err := url.PathUnescape(strings.TrimPrefix(req.URL.EscapedPath(), base+"/"))
			if err != nil {
				return "", nil, false
			}
			if reqDER, err = base64.StdEncoding.DecodeString(enc); err != nil {
				return "", nil, false
			}
		default:
			continue
		}
		der, err := ca.OCSPAnswer(reqDER)
		if err != nil {
			return "", nil, false
		}
		ca.countServed()
		return "application/ocsp-response", der, true
	}
	return "", nil, false
}

func (ca *CA) countServed() {
	ca.pub.mu.Lock()
	ca.pub.served++
	ca.pub.mu.Unlock()
}

// serveRevocation answers req if it asks for one of the web's CA's published objects, and
// reports whether it did. It runs before the host's route: a revocation host answers its
// CRL and OCSP paths, and its route for every other path.
func (w *Web) serveRevocation(c net.Conn, req *http.Request, body []byte) bool {
	if w.CA == nil {
		return false
	}
	host := req.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	ct, answer, ok := w.CA.revocationAnswer(host, req, body)
	if !ok {
		return false
	}
	// The host's injected latency holds for its CRL and OCSP paths too (make bench).
	if d := w.route(host).Delay; d > 0 {
		select {
		case <-time.After(d):
		case <-w.closed:
			return true
		}
	}
	fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nServer: cmpreflight-lab\r\nDate: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		time.Now().UTC().Format(http.TimeFormat), ct, len(answer))
	if req.Method != http.MethodHead {
		c.Write(answer)
	}
	return true
}
