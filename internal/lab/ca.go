// Package lab runs the test lab on loopback: a DNS server for lab names, a CA that issues a
// certificate per SNI, endpoints that behave and endpoints that misbehave, and real proxies.
// Tests and the benchmark share it; nothing here reaches the internet or the machine's resolver.
package lab

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// CA is a lab certificate authority that issues leaf certificates on demand.
type CA struct {
	Name  string
	Cert  *x509.Certificate
	Key   *ecdsa.PrivateKey
	mu    sync.Mutex
	cache map[string]*tls.Certificate
	// pub is what the CA publishes on plain HTTP and names in its leaves (revocation.go).
	pub publication
}

// NewCA creates a self-signed root with the given common name.
func NewCA(commonName string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"cmpreflight lab"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(30 * 24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Name: commonName, Cert: cert, Key: key, cache: map[string]*tls.Certificate{}, pub: defaultPublication()}, nil
}

// PEM returns the root certificate in PEM form.
func (ca *CA) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// KeyPEM returns the root's private key in PEM form (squid's ssl_bump needs it).
func (ca *CA) KeyPEM() []byte {
	der, _ := x509.MarshalECPrivateKey(ca.Key)
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

// WriteFiles writes the root certificate (and key) into dir and returns their paths.
func (ca *CA) WriteFiles(dir string) (certPath, keyPath string, err error) {
	certPath = filepath.Join(dir, "ca.pem")
	keyPath = filepath.Join(dir, "ca.key")
	if err = os.WriteFile(certPath, ca.PEM(), 0o644); err != nil {
		return
	}
	err = os.WriteFile(keyPath, ca.KeyPEM(), 0o644)
	return
}

// Pool returns a pool holding only this root.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Leaf issues (and caches) a certificate for name, valid for that name or IP.
func (ca *CA) Leaf(name string) (*tls.Certificate, error) {
	return ca.LeafSubject(name, name)
}

// LeafSubject issues a certificate for name whose subject common name is cn (tests put
// hostile strings there).
func (ca *CA) LeafSubject(name, cn string) (*tls.Certificate, error) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	key := name + "\x00" + cn
	if c, ok := ca.cache[key]; ok {
		return c, nil
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		// Where a client checks the leaf's revocation, as a public CA's leaves say.
		CRLDistributionPoints: ca.pub.crlURLs(),
		OCSPServer:            ca.pub.ocspURLs(),
	}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &priv.PublicKey, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("issue %s: %w", name, err)
	}
	c := &tls.Certificate{Certificate: [][]byte{der, ca.Cert.Raw}, PrivateKey: priv}
	ca.cache[key] = c
	ca.pub.issued(serial)
	return c, nil
}

// TLSConfig serves a certificate for whatever name the client asks for.
func (ca *CA) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(hi *tls.ClientHelloInfo) (*tls.Certificate, error) {
			name := hi.ServerName
			if name == "" {
				if h, _, err := net.SplitHostPort(hi.Conn.LocalAddr().String()); err == nil {
					name = h
				}
			}
			return ca.Leaf(name)
		},
	}
}
