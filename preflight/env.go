package preflight

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/x509roots/fallback/bundle"

	"github.com/cmpreflight/cmpreflight/checks/netprobe"
	"github.com/cmpreflight/cmpreflight/checks/revocation"
	"github.com/cmpreflight/cmpreflight/checks/trust"
	"github.com/cmpreflight/cmpreflight/internal/inputfile"
)

// buildEnv prepares what every check shares: resolver and trust. The proxy is chosen later,
// once the site facts (which may name the proxy ConfigMgr configured) are known. machine
// waits for the machine's trust, which loads in the background.
func buildEnv(o *Options, prep *preparations) (env *netprobe.Env, machine func() trust.Machine, err error) {
	env = &netprobe.Env{Timeout: o.Timeout, UserAgent: "cmpreflight/" + o.Version}
	if len(o.DNSServers) > 0 {
		env.Resolver = &netprobe.Resolver{Servers: o.DNSServers}
	} else {
		r, err := netprobe.SystemResolver()
		if err != nil {
			return nil, nil, fmt.Errorf("DNS: %v", err)
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
			return nil, nil, fmt.Errorf("--ca-file: %v", err)
		}
		extra = append(extra, certs...)
	}
	machine = later(prep, func() trust.Machine { return trust.LoadMachine(extra, o.CAFiles) })
	env.Trust.LoadMachine = func() *x509.CertPool { return machine().Pool() }
	env.Trust.MachineFor = func(chain []*x509.Certificate) *x509.CertPool { return machine().PoolFor(chain) }
	if o.ExpectedRoots != "" {
		certs, err := readPEMFile(o.ExpectedRoots)
		if err != nil {
			return nil, nil, fmt.Errorf("--expected-roots: %v", err)
		}
		pool := x509.NewCertPool()
		for _, c := range certs {
			pool.AddCert(c)
		}
		env.Trust.Expected = pool
		env.Trust.ExpectedFromFlag = true
		env.Trust.ExpectedList = func() []*x509.Certificate { return certs }
	} else {
		env.Trust.LoadExpected = later(prep, publicRoots)
		// Only a port-80 revocation check that no verified chain of the run serves needs
		// them as a list (its catalog proof names its signer among them).
		env.Trust.ExpectedList = sync.OnceValue(revocation.PublicRoots)
	}
	return env, machine, nil
}

// preparations are a run's CPU-bound work that no check needs at once: the machine's trust
// (the first verified handshake needs it), the bundled public roots, the block-page
// signatures, the policy compilation (the verdict needs it). They start together once the
// first wave of checks is on the wire, not before: started with the run they would hold
// every processor while the first checks start, and each of those would wait for the
// scheduler to preempt one of them (10 ms a time). Whoever needs a result first computes it
// at once.
type preparations struct {
	tasks []func()
	once  sync.Once
}

// later registers load and returns a function that waits for its result.
func later[T any](p *preparations, load func() T) func() T {
	once := sync.OnceValue(load)
	p.add(func() { once() })
	return once
}

// add registers a task; every task is added before start.
func (p *preparations) add(task func()) { p.tasks = append(p.tasks, task) }

// start runs every registered preparation, each on its own goroutine; only the first call
// does anything.
func (p *preparations) start() {
	p.once.Do(func() {
		for _, t := range p.tasks {
			go t()
		}
	})
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
