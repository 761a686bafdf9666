// Package revocation proves that a plain-HTTP answer on a certificate revocation host came from
// the CA that runs it: it plans the request to make there (a CRL, or an OCSP query) and checks
// that the answer carries that CA's signature and is current.
//
// A port-80 check of a revocation host asks Plan for a Request instead of GET / (passing the
// chains the run verified and the catalog entry's proof), sends it on the check's route
// (Request.NewHTTPRequest, or its Method, URL, Header and Body), reads the answer with
// ReadAnswer and gives it to Verify. A Proof is a pass's evidence ("signed-crl",
// "signed-ocsp", "signed-cert"); an *Error says what the answer was instead (its Detail
// may quote a page title: network text, to be escaped where rendered) and is never a pass;
// ErrNoProof means the host has no signed object to ask for and needs another proof.
package revocation

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"time"
)

// Kinds of request.
const (
	KindCRL  = "crl"
	KindOCSP = "ocsp"
	KindCert = "cert" // a CA's own certificate, by thumbprint (catalog proofs only)
)

// The evidence.origin.by values a verified answer earns.
const (
	BySignedCRL  = "signed-crl"
	BySignedOCSP = "signed-ocsp"
	// BySignedCert: the byte-exact certificate of the expected signer, at the URL that names
	// its thumbprint. Dateless, so weaker than a CRL: only for a host that serves no CRL or
	// OCSP (ctldl.windowsupdate.com, where Windows fetches root certificates).
	BySignedCert = "signed-cert"
)

// Where a Request's object was found.
const (
	FromChain   = "chain"   // a CRL Distribution Point or OCSP responder of a chain verified in this run
	FromCatalog = "catalog" // the catalog entry's proof
)

// Size caps for the answer's body: a root's CRL is a few kilobytes, an issuing CA's can reach
// megabytes; an OCSP answer is a few kilobytes.
const (
	MaxCRLBody  = 16 << 20
	MaxOCSPBody = 64 << 10
	MaxCertBody = 64 << 10
)

// ClockSkew is how far a thisUpdate may be in the future, or a nextUpdate in the past, before
// the answer is called stale rather than current.
const ClockSkew = 5 * time.Minute

// Request is what a port-80 check asks on a revocation host instead of GET /.
type Request struct {
	Kind   string // KindCRL, KindOCSP or KindCert
	URL    *url.URL
	Method string // GET for a CRL, POST for OCSP
	Body   []byte // the DER OCSP request (nil for a CRL)
	Header http.Header
	// Issuer is the certificate whose key must have signed the answer (for OCSP, directly
	// or through a responder certificate it issued for OCSP signing).
	Issuer *x509.Certificate
	// Serial is the serial number an OCSP request asks about (nil for a CRL).
	Serial *big.Int
	// From is FromChain or FromCatalog; Subject names the certificate whose CDP or AIA named
	// the URL (FromChain only).
	From, Subject string
	// MaxBody is the most of the answer's body Verify needs; read at most that much, and
	// say whether the body was cut (Answer.Truncated).
	MaxBody int64
}

// NewHTTPRequest builds the request to send (headers and body set).
func (r *Request) NewHTTPRequest() (*http.Request, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body) // sets ContentLength and GetBody
	}
	hr, err := http.NewRequest(r.Method, r.URL.String(), body)
	if err != nil {
		return nil, err
	}
	for k, v := range r.Header {
		hr.Header[k] = append([]string(nil), v...)
	}
	return hr, nil
}

// ReadAnswer reads what Verify needs of resp: its status, headers and at most req.MaxBody
// bytes of body (Truncated says there was more). The caller closes resp.Body; a read error
// (the connection cut mid-body) is returned as is, a network failure rather than an answer.
func ReadAnswer(req *Request, resp *http.Response) (Answer, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, req.MaxBody+1))
	ans := Answer{Status: resp.StatusCode, Header: resp.Header, Body: body}
	if int64(len(body)) > req.MaxBody {
		ans.Body, ans.Truncated = body[:req.MaxBody], true
	}
	return ans, err
}

// Answer is what the port-80 check got back.
type Answer struct {
	Status    int
	Header    http.Header
	Body      []byte
	Truncated bool // the body was longer than Request.MaxBody and was cut there
}

// Proof is what a verified answer proves.
type Proof struct {
	By         string // BySignedCRL, BySignedOCSP or BySignedCert
	Issuer     string // the signer's subject
	URL        string
	Detail     string // one sentence for the report
	ThisUpdate time.Time
	NextUpdate time.Time
}

// Reasons an answer is no proof.
const (
	ReasonStatus      = "status"       // not 200
	ReasonContentType = "content-type" // an HTML page or other text where a CRL or OCSP answer belongs
	ReasonTruncated   = "truncated"    // the body was cut
	ReasonMalformed   = "malformed"    // not a CRL / OCSP answer at all
	ReasonUnsigned    = "unsigned"     // an OCSP error status (unauthorized, ...): carries no signature
	ReasonIssuer      = "issuer"       // signed for another CA, about another certificate, or another certificate
	ReasonSignature   = "signature"    // the signature does not verify against the issuer's key
	ReasonStale       = "stale"        // outside its thisUpdate..nextUpdate window
)

// Error is why an answer proves nothing; Detail says what was received.
type Error struct {
	Reason string
	Detail string
}

func (e *Error) Error() string { return e.Reason + ": " + e.Detail }

// ErrNoProof: no chain of the run names the host and the catalog names no object for it (or
// names a signer the run does not hold); the check needs another proof.
var ErrNoProof = errors.New("no signed object to ask for on this host")

func errorf(reason, format string, a ...any) *Error {
	return &Error{Reason: reason, Detail: fmt.Sprintf(format, a...)}
}
