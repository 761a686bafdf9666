package revocation

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"path"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/ocsp"
)

// Media types an origin serves a CRL or an OCSP answer with. A server that names none, or
// calls it octet-stream, is common and harmless: the signature decides. A text type means a
// page was served where the signed object belongs.
var (
	certTypes = []string{"application/pkix-cert", "application/x-x509-ca-cert", "application/x-x509-user-cert", "application/octet-stream", "binary/octet-stream"}
	crlTypes  = []string{"application/pkix-crl", "application/x-pkcs7-crl", "application/octet-stream", "binary/octet-stream", "application/x-x509-crl"}
	ocspTypes = []string{"application/ocsp-response", "application/octet-stream", "binary/octet-stream"}
)

// Verify checks an answer to req: status 200, a media type a signed object is served with,
// a whole body that parses as the object asked for, issued by req.Issuer and signed with its
// key (or, for OCSP, by a responder certificate that key issued for OCSP signing), about the
// serial asked, and current at now (within ClockSkew). A signed OCSP "unknown" or "revoked"
// proves who wrote it as well as "good". A certificate (KindCert) must be the signer's own,
// the one the URL's thumbprint names. Anything else is an *Error.
func Verify(req *Request, ans Answer, now time.Time) (*Proof, error) {
	if ans.Status != 200 {
		return nil, errorf(ReasonStatus, "%s answered %d%s where a %s belongs", req.URL, ans.Status, pageTitle(ans), what(req))
	}
	if err := checkType(req, ans); err != nil {
		return nil, err
	}
	if ans.Truncated {
		return nil, errorf(ReasonTruncated, "the answer was longer than %d bytes and was cut", req.MaxBody)
	}
	switch req.Kind {
	case KindOCSP:
		return verifyOCSP(req, ans, now)
	case KindCert:
		return verifyCert(req, ans)
	}
	return verifyCRL(req, ans, now)
}

// verifyCert: the body is the signer's certificate itself (same subject and key), its
// self-signature verifies (or it is byte for byte the certificate we hold), and where the
// URL names a SHA-1 thumbprint, as Windows' root update URLs do, the body is that certificate.
func verifyCert(req *Request, ans Answer) (*Proof, error) {
	cert, err := x509.ParseCertificate(ans.Body)
	if err != nil {
		return nil, errorf(ReasonMalformed, "%d bytes that are not a certificate (%v)%s", len(ans.Body), err, pageTitle(ans))
	}
	if name := path.Base(req.URL.Path); len(name) == 44 && strings.HasSuffix(strings.ToLower(name), ".crt") {
		sum := sha1.Sum(cert.Raw)
		if !strings.EqualFold(hex.EncodeToString(sum[:]), name[:40]) {
			return nil, errorf(ReasonIssuer, "the certificate %q (SHA-1 %X) where the URL asks for %s", cert.Subject.CommonName, sum, name[:40])
		}
	}
	if !sameName(cert.RawSubject, req.Issuer.RawSubject, cert.Subject, req.Issuer.Subject) || !bytes.Equal(cert.RawSubjectPublicKeyInfo, req.Issuer.RawSubjectPublicKeyInfo) {
		return nil, errorf(ReasonIssuer, "the certificate of %q, not of %q with the expected key", cert.Subject, req.Issuer.Subject)
	}
	if !bytes.Equal(cert.Raw, req.Issuer.Raw) {
		if !bytes.Equal(cert.RawIssuer, cert.RawSubject) {
			return nil, errorf(ReasonIssuer, "another issue of %q's certificate, not self-signed", cert.Subject.CommonName)
		}
		if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
			return nil, errorf(ReasonSignature, "a certificate in the name of %q whose signature does not verify with its key (%v)", cert.Subject.CommonName, err)
		}
	}
	return &Proof{
		By: BySignedCert, Issuer: req.Issuer.Subject.String(), URL: req.URL.String(),
		Detail: fmt.Sprintf("the certificate of %q (%s), byte for byte the expected signer's; dateless, so a copy kept on the way would pass too",
			req.Issuer.Subject.CommonName, from(req)),
	}, nil
}

func verifyCRL(req *Request, ans Answer, now time.Time) (*Proof, error) {
	crl, err := x509.ParseRevocationList(ans.Body)
	if err != nil {
		return nil, errorf(ReasonMalformed, "%d bytes that are not a CRL (%v)%s", len(ans.Body), err, pageTitle(ans))
	}
	if !sameName(crl.RawIssuer, req.Issuer.RawSubject, crl.Issuer, req.Issuer.Subject) {
		return nil, errorf(ReasonIssuer, "a CRL issued by %q, not by %q", crl.Issuer, req.Issuer.Subject)
	}
	if err := crl.CheckSignatureFrom(req.Issuer); err != nil {
		return nil, errorf(ReasonSignature, "a CRL in the name of %q whose signature does not verify with that CA's key (%v)", crl.Issuer.CommonName, err)
	}
	if err := current(crl.ThisUpdate, crl.NextUpdate, now); err != nil {
		return nil, err
	}
	number := ""
	if crl.Number != nil {
		number = " number " + crl.Number.String()
	}
	return &Proof{
		By: BySignedCRL, Issuer: req.Issuer.Subject.String(), URL: req.URL.String(),
		ThisUpdate: crl.ThisUpdate, NextUpdate: crl.NextUpdate,
		Detail: fmt.Sprintf("CRL%s of %q (%s), signature verified, current %s to %s",
			number, req.Issuer.Subject.CommonName, from(req), crl.ThisUpdate.UTC().Format(time.RFC3339), crl.NextUpdate.UTC().Format(time.RFC3339)),
	}, nil
}

func verifyOCSP(req *Request, ans Answer, now time.Time) (*Proof, error) {
	resp, err := ocsp.ParseResponseForCert(ans.Body, &x509.Certificate{SerialNumber: req.Serial}, req.Issuer)
	if err != nil {
		var re ocsp.ResponseError
		if errors.As(err, &re) {
			return nil, errorf(ReasonUnsigned, "the responder answered %q, an OCSP status that carries no signature", re.Status.String())
		}
		msg := err.Error()
		switch {
		case strings.Contains(msg, "signature"):
			return nil, errorf(ReasonSignature, "an OCSP answer whose signature does not verify against %q (%v)", req.Issuer.Subject.CommonName, err)
		case strings.Contains(msg, "no response matching"):
			return nil, errorf(ReasonIssuer, "an OCSP answer about another certificate than serial %x", req.Serial)
		}
		return nil, errorf(ReasonMalformed, "%d bytes that are not an OCSP answer (%v)%s", len(ans.Body), err, pageTitle(ans))
	}
	// x/crypto/ocsp checks that the issuer's key signed an embedded responder certificate,
	// not that the certificate was issued for OCSP signing: every TLS certificate the CA
	// issued would otherwise be able to speak for it.
	if rc := resp.Certificate; rc != nil && !bytes.Equal(rc.Raw, req.Issuer.Raw) {
		if !slices.Contains(rc.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) {
			return nil, errorf(ReasonSignature, "an OCSP answer signed by %q, a certificate %q did not issue for OCSP signing", rc.Subject.CommonName, req.Issuer.Subject.CommonName)
		}
		if !sameName(rc.RawIssuer, req.Issuer.RawSubject, rc.Issuer, req.Issuer.Subject) {
			return nil, errorf(ReasonIssuer, "an OCSP answer signed by %q, issued by %q, not %q", rc.Subject.CommonName, rc.Issuer, req.Issuer.Subject)
		}
		if now.Before(rc.NotBefore.Add(-ClockSkew)) || now.After(rc.NotAfter.Add(ClockSkew)) {
			return nil, errorf(ReasonStale, "an OCSP answer signed by the responder certificate %q, valid %s to %s only",
				rc.Subject.CommonName, rc.NotBefore.UTC().Format(time.RFC3339), rc.NotAfter.UTC().Format(time.RFC3339))
		}
	}
	if err := current(resp.ThisUpdate, resp.NextUpdate, now); err != nil {
		return nil, err
	}
	status := map[int]string{ocsp.Good: "good", ocsp.Revoked: "revoked", ocsp.Unknown: "unknown"}[resp.Status]
	return &Proof{
		By: BySignedOCSP, Issuer: req.Issuer.Subject.String(), URL: req.URL.String(),
		ThisUpdate: resp.ThisUpdate, NextUpdate: resp.NextUpdate,
		Detail: fmt.Sprintf("OCSP answer %q about serial %x of %q (%s), signature verified, produced %s",
			status, req.Serial, req.Issuer.Subject.CommonName, from(req), resp.ProducedAt.UTC().Format(time.RFC3339)),
	}, nil
}

// sameName compares two distinguished names: byte for byte, or, as RFC 5280 allows a CA to
// encode a name's strings differently in a CRL than in its certificate, by their text,
// ignoring case. The signature, not the name, is what proves the writer.
func sameName(rawA, rawB []byte, a, b pkix.Name) bool {
	return bytes.Equal(rawA, rawB) || strings.EqualFold(a.String(), b.String())
}

// current holds a signed object to its validity window. An object past its nextUpdate is a
// copy kept somewhere (a cache, a mirror) or a CA that stopped publishing: neither proves the
// origin answered now.
func current(this, next time.Time, now time.Time) error {
	if this.After(now.Add(ClockSkew)) {
		return errorf(ReasonStale, "thisUpdate %s is in the future (clock now %s)", this.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if !next.IsZero() && next.Before(now.Add(-ClockSkew)) {
		return errorf(ReasonStale, "expired: nextUpdate %s is past (clock now %s)", next.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

func checkType(req *Request, ans Answer) error {
	ct := ans.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return errorf(ReasonContentType, "unparsable content type %q where a %s belongs", ct, what(req))
	}
	want := crlTypes
	switch req.Kind {
	case KindOCSP:
		want = ocspTypes
	case KindCert:
		want = certTypes
	}
	if slices.Contains(want, mt) {
		return nil
	}
	return errorf(ReasonContentType, "200 %s%s where a %s belongs", mt, pageTitle(ans), what(req))
}

func what(req *Request) string {
	switch req.Kind {
	case KindOCSP:
		return "signed OCSP answer"
	case KindCert:
		return "certificate"
	}
	return "signed CRL"
}

func from(req *Request) string {
	if req.From == FromChain && req.Subject != "" {
		return "named by the verified certificate " + req.Subject
	}
	if req.From == FromChain {
		return "named by a verified chain"
	}
	return "the catalog's proof object"
}

// pageTitle quotes the title of an HTML answer, so a block page names itself in the error.
// It is network text: callers escape it where they render it.
func pageTitle(ans Answer) string {
	b := ans.Body
	if len(b) > 64<<10 {
		b = b[:64<<10]
	}
	low := bytes.ToLower(b)
	i := bytes.Index(low, []byte("<title"))
	if i < 0 {
		return ""
	}
	j := bytes.IndexByte(low[i:], '>')
	if j < 0 {
		return ""
	}
	start := i + j + 1
	end := bytes.Index(low[start:], []byte("</title"))
	if end < 0 {
		return ""
	}
	t := strings.Join(strings.Fields(string(b[start:start+end])), " ")
	if !utf8.ValidString(t) {
		t = strings.ToValidUTF8(t, "?")
	}
	if r := []rune(t); len(r) > 80 {
		t = string(r[:80]) + "…"
	}
	if t == "" {
		return ""
	}
	return fmt.Sprintf(" (page %q)", t)
}
