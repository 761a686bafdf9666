package catalog

import (
	"crypto/sha256"
	"crypto/x509"
	"embed"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Proof is what a catalog entry names to prove that a plain-HTTP answer on its host came from
// the origin, when no certificate chain verified in the run names that host: a signed object
// the origin serves there, and the CA whose signature that object must carry.
//
//	proof: {crl: "http://crl3.digicert.com/DigiCertGlobalRootG2.crl", root: DigiCert Global Root G2}
//	proof: {ocsp: "http://ocsp.digicert.com/", root: DigiCert Global Root G2, serial: "0cf5..."}
//	proof: {crl: "http://crl.microsoft.com/pki/crl/products/...crl", ca: microsoft-root-2011}
//	proof: {cert: "http://ctldl.windowsupdate.com/.../trustedr/en/DF3C...A4.crt", root: DigiCert Global Root G2}
//
// Exactly one of CRL, OCSP and Cert; exactly one of Root and CA.
type Proof struct {
	// CRL is the URL of a certificate revocation list on the entry's host.
	CRL string `yaml:"crl"`
	// OCSP is the URL of an OCSP responder on the entry's host; Serial is the serial number
	// (hex) of a certificate the signer issued, the one the request asks about. A responder
	// that signs "unknown" for it still proves who wrote the answer.
	OCSP   string `yaml:"ocsp"`
	Serial string `yaml:"serial"`
	// Cert is the URL of the signer's own certificate on the entry's host, named by its
	// SHA-1 thumbprint as Windows' root update asks for it (ctldl.windowsupdate.com): the
	// weakest of the three, a dateless object, for a host that serves no CRL or OCSP.
	Cert string `yaml:"cert"`
	// Root is the subject common name of one of the expected roots (the bundled public roots,
	// or --expected-roots): a run checks the signature against that root of its own trust.
	Root string `yaml:"root"`
	// CA is the name of a CA certificate embedded in the catalog (certs/NAME.pem, listed
	// with its source in certs/certs.yaml): a CA Microsoft publishes that is no public root.
	CA string `yaml:"ca"`
}

// Kind is "crl", "ocsp" or "cert".
func (p *Proof) Kind() string {
	switch {
	case p.OCSP != "":
		return "ocsp"
	case p.Cert != "":
		return "cert"
	}
	return "crl"
}

// Target is the URL the proof fetches (the CRL, the OCSP responder, the certificate).
func (p *Proof) Target() string {
	switch {
	case p.OCSP != "":
		return p.OCSP
	case p.Cert != "":
		return p.Cert
	}
	return p.CRL
}

// SerialNumber is the OCSP serial as a number (nil for a CRL proof).
func (p *Proof) SerialNumber() *big.Int {
	if p.Serial == "" {
		return nil
	}
	n, ok := new(big.Int).SetString(strings.ReplaceAll(p.Serial, ":", ""), 16)
	if !ok {
		return nil
	}
	return n
}

// validateProof holds an entry's proof to its shape: one object on the entry's own host,
// over plain HTTP, and one signer that exists.
func (e *Entry) validateProof() error {
	p := e.Proof
	if p == nil {
		return nil
	}
	if !slices.Contains(e.Ports, 80) {
		return errors.New("only an entry checked on port 80 has a proof")
	}
	if e.Kind == KindWildcard {
		return errors.New("a wildcard has no proof (name a host or URL)")
	}
	if n := countSet(p.CRL, p.OCSP, p.Cert); n != 1 {
		return errors.New("give exactly one of crl, ocsp and cert")
	}
	if (p.Root == "") == (p.CA == "") {
		return errors.New("give exactly one of root (an expected root's common name) and ca (an embedded certificate)")
	}
	u, err := url.Parse(p.Target())
	if err != nil {
		return fmt.Errorf("%s: bad URL: %v", p.Kind(), err)
	}
	if u.Scheme != "http" {
		return fmt.Errorf("%s: want an http:// URL (the proof is of the plain-HTTP answer), not %q", p.Kind(), p.Target())
	}
	host := e.Name
	if e.Kind == KindURL {
		eu, _ := url.Parse(e.Name)
		host = eu.Hostname()
	}
	if !strings.EqualFold(u.Hostname(), host) {
		return fmt.Errorf("%s: URL host %q is not the entry's host %q", p.Kind(), u.Hostname(), host)
	}
	if e.Kind == KindURL {
		// An object outside the entry's path proves the host answers, not that the URL does.
		eu, _ := url.Parse(e.Name)
		dir := strings.TrimSuffix(eu.Path, "/") + "/"
		if u.Path != eu.Path && !strings.HasPrefix(u.Path, dir) {
			return fmt.Errorf("%s: URL %q is not under the entry's path %q", p.Kind(), p.Target(), eu.Path)
		}
	}
	if port := u.Port(); port != "" && port != "80" {
		// A proof is of the port-80 answer: an object on another port says nothing of it.
		return fmt.Errorf("%s: URL %q is not on port 80", p.Kind(), p.Target())
	}
	switch {
	case p.OCSP != "" && p.SerialNumber() == nil:
		return fmt.Errorf("ocsp: serial: want the hex serial number of a certificate %s issued", p.signerName())
	case p.OCSP == "" && p.Serial != "":
		return errors.New("serial belongs to an ocsp proof")
	}
	if p.CA != "" {
		if _, err := ProofCA(p.CA); err != nil {
			return err
		}
	}
	return nil
}

func countSet(vals ...string) int {
	n := 0
	for _, v := range vals {
		if v != "" {
			n++
		}
	}
	return n
}

func (p *Proof) signerName() string {
	if p.Root != "" {
		return p.Root
	}
	return p.CA
}

// EmbeddedCA is a CA certificate the catalog carries, with where it was published.
type EmbeddedCA struct {
	Name   string            `yaml:"name"`
	File   string            `yaml:"file"`
	Source string            `yaml:"source"` // the URL the issuer publishes it at
	SHA256 string            `yaml:"sha256"` // of the DER certificate, lower-case hex
	Note   string            `yaml:"note"`
	Cert   *x509.Certificate `yaml:"-"`
}

//go:embed certs
var certsFS embed.FS

var (
	casOnce sync.Once
	cas     map[string]*EmbeddedCA
	casList []*EmbeddedCA
	casErr  error
)

// loadCAs reads certs/certs.yaml and every certificate it lists, holding each to its
// fingerprint: a file that does not match is a build defect, reported by every lookup.
func loadCAs() {
	data, err := certsFS.ReadFile("certs/certs.yaml")
	if err != nil {
		casErr = fmt.Errorf("catalog certs: %w", err)
		return
	}
	var doc struct {
		CAs []*EmbeddedCA `yaml:"cas"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		casErr = fmt.Errorf("catalog certs/certs.yaml: %w", err)
		return
	}
	cas = map[string]*EmbeddedCA{}
	var bad []error
	for _, c := range doc.CAs {
		raw, err := certsFS.ReadFile("certs/" + c.File)
		if err != nil {
			bad = append(bad, fmt.Errorf("catalog certs/certs.yaml: %s: %w", c.Name, err))
			continue
		}
		blk, _ := pem.Decode(raw)
		if blk == nil || blk.Type != "CERTIFICATE" {
			bad = append(bad, fmt.Errorf("catalog certs/%s: no PEM certificate", c.File))
			continue
		}
		sum := sha256.Sum256(blk.Bytes)
		if got := hex.EncodeToString(sum[:]); got != strings.ToLower(c.SHA256) {
			bad = append(bad, fmt.Errorf("catalog certs/%s: SHA-256 %s, certs.yaml says %s", c.File, got, c.SHA256))
			continue
		}
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			bad = append(bad, fmt.Errorf("catalog certs/%s: %w", c.File, err))
			continue
		}
		if _, dup := cas[c.Name]; dup {
			bad = append(bad, fmt.Errorf("catalog certs/certs.yaml: %s listed twice", c.Name))
			continue
		}
		c.Cert = cert
		cas[c.Name] = c
		casList = append(casList, c)
	}
	casErr = errors.Join(bad...)
}

// ProofCA returns the embedded CA certificate of that name.
func ProofCA(name string) (*EmbeddedCA, error) {
	casOnce.Do(loadCAs)
	if casErr != nil {
		return nil, casErr
	}
	c, ok := cas[name]
	if !ok {
		var known []string
		for _, c := range casList {
			known = append(known, c.Name)
		}
		return nil, fmt.Errorf("ca: no embedded certificate %q (known: %s)", name, strings.Join(known, ", "))
	}
	return c, nil
}

// ProofCAs lists the embedded CA certificates in certs.yaml order.
func ProofCAs() ([]*EmbeddedCA, error) {
	casOnce.Do(loadCAs)
	return slices.Clone(casList), casErr
}
