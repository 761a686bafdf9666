package revocation

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/crypto/ocsp"
	"golang.org/x/crypto/x509roots/fallback/bundle"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/checks/trust"
)

// Plan chooses what to ask on the host of a port-80 target.
//
// chains are the certificate chains verified in this run to the expected roots (leaf first,
// root last), on any host: a CRL Distribution Point or an OCSP responder (Authority
// Information Access) one of their certificates names on target's host gives the request,
// with that certificate's issuer (the next link) as the signer. Failing that, spec (the
// catalog entry's proof; nil if none) gives the object, signed by the expected root it names
// (looked up in expected by subject common name) or by the CA certificate embedded in the
// catalog. ErrNoProof when neither gives one.
//
// Among a chain's candidates an OCSP query comes first (a small answer), then the CRL a
// root-issued certificate names (a root's CRL is small); the catalog's object comes before a
// CRL any other certificate names (an issuing CA's, which may be megabytes long).
func Plan(target *url.URL, chains [][]*x509.Certificate, spec *catalog.Proof, expected []*x509.Certificate) (*Request, error) {
	host := strings.ToLower(target.Hostname())
	port := PortOf(target)
	// An object outside the target's path proves the host answers, not that the target's
	// URL does (a URL filter may block one path and let the CRL through).
	onTarget := func(raw string) (*url.URL, bool) {
		u, ok := onHost(raw, host, port)
		if ok && !Under(u, target) {
			return nil, false
		}
		return u, ok
	}
	var ocspReq, rootCRL, leafCRL *Request
	for _, chain := range chains {
		for i := 0; i+1 < len(chain); i++ {
			cert, issuer := chain[i], chain[i+1]
			byRoot := i+2 == len(chain)
			if ocspReq == nil {
				for _, s := range cert.OCSPServer {
					if u, ok := onTarget(s); ok {
						if r, err := ocspRequest(u, issuer, cert.SerialNumber); err == nil {
							r.From, r.Subject = FromChain, cert.Subject.String()
							ocspReq = r
						}
						break
					}
				}
			}
			for _, s := range cert.CRLDistributionPoints {
				u, ok := onTarget(s)
				if !ok {
					continue
				}
				r := crlRequest(u, issuer)
				r.From, r.Subject = FromChain, cert.Subject.String()
				if byRoot && rootCRL == nil {
					rootCRL = r
				} else if !byRoot && leafCRL == nil {
					leafCRL = r
				}
				break
			}
		}
	}
	switch {
	case ocspReq != nil:
		return ocspReq, nil
	case rootCRL != nil:
		return rootCRL, nil
	}
	if spec != nil {
		r, err := FromSpec(spec, expected)
		if err == nil && (PortOf(r.URL) != port || !Under(r.URL, target)) {
			// The object on another port, or outside the target's path, says nothing of it.
			err = fmt.Errorf("%w: the catalog's %s is not under %s", ErrNoProof, r.URL, target)
		}
		if err == nil {
			return r, nil
		}
		if leafCRL == nil {
			return nil, err
		}
	}
	if leafCRL != nil {
		return leafCRL, nil
	}
	return nil, ErrNoProof
}

// FromSpec builds the request a catalog proof names, signed by the proof's signer (Signer).
func FromSpec(spec *catalog.Proof, expected []*x509.Certificate) (*Request, error) {
	issuer, err := Signer(spec, expected)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(spec.Target())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoProof, err)
	}
	var r *Request
	switch spec.Kind() {
	case KindCert:
		r = &Request{Kind: KindCert, URL: u, Method: http.MethodGet, Issuer: issuer, MaxBody: MaxCertBody,
			Header: http.Header{"Accept": {"application/pkix-cert, application/x-x509-ca-cert, */*"}}}
	case KindOCSP:
		serial := spec.SerialNumber()
		if serial == nil {
			return nil, fmt.Errorf("%w: the catalog's OCSP proof has no serial", ErrNoProof)
		}
		if r, err = ocspRequest(u, issuer, serial); err != nil {
			return nil, err
		}
	default:
		r = crlRequest(u, issuer)
	}
	r.From = FromCatalog
	return r, nil
}

// Signer resolves the certificate a catalog proof names: the embedded CA certificate, or the
// first expected root whose subject common name is the proof's root (the expected roots are
// the run's trust, so a root of that name with another key is the signer a run expects:
// the lab's CA under --expected-roots, never a filter's).
func Signer(spec *catalog.Proof, expected []*x509.Certificate) (*x509.Certificate, error) {
	if spec.CA != "" {
		ca, err := catalog.ProofCA(spec.CA)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrNoProof, err)
		}
		return ca.Cert, nil
	}
	for _, c := range expected {
		if c.Subject.CommonName == spec.Root {
			return c, nil
		}
	}
	return nil, fmt.Errorf("%w: %q is not one of the expected roots", ErrNoProof, spec.Root)
}

// PublicRoots are the bundled public roots (and the required roots the bundle no longer
// carries), the expected roots of a run without --expected-roots, as a list: a catalog proof
// names its signer among them.
func PublicRoots() []*x509.Certificate {
	var out []*x509.Certificate
	for _, r := range trust.RequiredRoots() {
		if r.Cert != nil {
			out = append(out, r.Cert)
		}
	}
	for r := range bundle.Roots() {
		if c, err := x509.ParseCertificate(r.Certificate); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// onHost parses a CDP or AIA URL and reports whether it is a plain-HTTP URL on host and
// port: an answer on another port proves nothing about the target's.
func onHost(raw, host, port string) (*url.URL, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || !strings.EqualFold(u.Hostname(), host) || PortOf(u) != port {
		return nil, false
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, true
}

func crlRequest(u *url.URL, issuer *x509.Certificate) *Request {
	return &Request{
		Kind: KindCRL, URL: u, Method: http.MethodGet, Issuer: issuer, MaxBody: MaxCRLBody,
		Header: http.Header{"Accept": {"application/pkix-crl, application/x-pkcs7-crl, */*"}},
	}
}

// ocspRequest asks the responder at u about serial, a certificate issuer issued. SHA-1 is
// the CertID hash every responder understands (RFC 5019 profile); POST, as CryptoAPI does for
// a request too long for a GET URL, keeps caches on the way out of it.
func ocspRequest(u *url.URL, issuer *x509.Certificate, serial *big.Int) (*Request, error) {
	der, err := ocsp.CreateRequest(&x509.Certificate{SerialNumber: serial}, issuer, &ocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		return nil, fmt.Errorf("%w: OCSP request: %v", ErrNoProof, err)
	}
	return &Request{
		Kind: KindOCSP, URL: u, Method: http.MethodPost, Body: der, Issuer: issuer, Serial: serial, MaxBody: MaxOCSPBody,
		Header: http.Header{"Content-Type": {"application/ocsp-request"}, "Accept": {"application/ocsp-response"}},
	}, nil
}

// PortOf is a plain-HTTP URL's port, "80" when it names none.
func PortOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	return "80"
}

// Under tells whether u's path is target's or below it ("/" holds every path).
func Under(u, target *url.URL) bool {
	tp := target.Path
	if tp == "" || tp == "/" {
		return true
	}
	if u.Path == tp {
		return true
	}
	if !strings.HasSuffix(tp, "/") {
		tp += "/"
	}
	return strings.HasPrefix(u.Path, tp)
}
