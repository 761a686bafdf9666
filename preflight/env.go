package preflight

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/x509roots/fallback/bundle"

	"github.com/cmpreflight/cmpreflight/internal/inputfile"
	"github.com/cmpreflight/cmpreflight/probers"
	"github.com/cmpreflight/cmpreflight/trust"
)

// buildEnv prepares what every check shares: resolver and trust. The proxy is chosen later,
// once the site facts (which may name the proxy ConfigMgr configured) are known.
func buildEnv(o *Options) (*probers.Env, error) {
	env := &probers.Env{Timeout: o.Timeout, UserAgent: "cmpreflight/" + o.Version}
	if len(o.DNSServers) > 0 {
		env.Resolver = &probers.Resolver{Servers: o.DNSServers}
	} else {
		r, err := probers.SystemResolver()
		if err != nil {
			return nil, fmt.Errorf("DNS: %v", err)
		}
		env.Resolver = r
	}
	// The files the user named are read now, so a bad one stops the run before any probe;
	// the system store and the bundled public roots load in the background while the first
	// checks resolve and connect, and the first TLS verification waits for them.
	var extra []*x509.Certificate
	for _, p := range o.CAFiles {
		certs, err := readPEMFile(p)
		if err != nil {
			return nil, fmt.Errorf("--ca-file: %v", err)
		}
		extra = append(extra, certs...)
	}
	env.Trust.LoadMachine = background(func() *x509.CertPool {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		for _, c := range extra {
			pool.AddCert(c)
		}
		return pool
	})
	if o.ExpectedRoots != "" {
		certs, err := readPEMFile(o.ExpectedRoots)
		if err != nil {
			return nil, fmt.Errorf("--expected-roots: %v", err)
		}
		pool := x509.NewCertPool()
		for _, c := range certs {
			pool.AddCert(c)
		}
		env.Trust.Expected = pool
		env.Trust.ExpectedFromFlag = true
	} else {
		env.Trust.LoadExpected = background(publicRoots)
	}
	return env, nil
}

// background starts load at once and returns a function that waits for its result.
func background(load func() *x509.CertPool) func() *x509.CertPool {
	once := sync.OnceValue(load)
	go once()
	return once
}

// readPEMFile returns every certificate of a PEM file, read once with the input-file size
// cap; a file with none is an error.
func readPEMFile(path string) ([]*x509.Certificate, error) {
	data, err := inputfile.Read(path)
	if err != nil {
		return nil, err
	}
	var certs []*x509.Certificate
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %d: %v", path, len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: no PEM certificate found", path)
	}
	return certs, nil
}

// publicRoots are the roots genuine Microsoft endpoints chain to: the public web PKI (which
// carries DigiCert Global Root G2 and the Microsoft RSA/ECC 2017 roots) plus the facts sheet's
// roots the bundle lacks (DigiCert Global Root CA).
func publicRoots() *x509.CertPool {
	pool := x509.NewCertPool()
	for _, r := range trust.RequiredRoots() {
		if r.Required && r.Cert != nil {
			pool.AddCert(r.Cert)
		}
	}
	for r := range bundle.Roots() {
		c, err := x509.ParseCertificate(r.Certificate)
		if err != nil {
			continue
		}
		if r.Constraint != nil {
			pool.AddCertWithConstraint(c, r.Constraint)
		} else {
			pool.AddCert(c)
		}
	}
	return pool
}

// fqdn completes a short host name with the DNS domain Windows reports for the session;
// it never asks a resolver (tests must not, and a preflight should not depend on one here).
func fqdn(h string) string {
	h = strings.ToLower(h)
	if d := os.Getenv("USERDNSDOMAIN"); d != "" && !strings.Contains(h, ".") {
		return h + "." + strings.ToLower(d)
	}
	return h
}
