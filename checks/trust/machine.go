package trust

import (
	"crypto/x509"
	"sync"
)

// Machine is this machine's trust as one run uses it, read once: the system roots plus the
// --ca-file certificates for verifying handshakes, and the store the root analysis looks in.
type Machine struct {
	// PoolFor returns a pool holding every trusted certificate a chain built from the given
	// certificates could end at: verifying a handshake against it gives what verifying
	// against Pool gives (on Linux without parsing the roots the chain cannot use).
	PoolFor func(chain []*x509.Certificate) *x509.CertPool
	// Pool holds every trusted certificate, for clients that verify the usual way (the
	// AdminService client).
	Pool func() *x509.CertPool
	// Store is what the root analysis looks in.
	Store Store
}

// fixedMachine is a Machine whose pool is the same for every chain.
func fixedMachine(pool *x509.CertPool, store Store) Machine {
	return Machine{
		PoolFor: func([]*x509.Certificate) *x509.CertPool { return pool },
		Pool:    func() *x509.CertPool { return pool },
		Store:   store,
	}
}

// poolOf is a pool holding certs.
func poolOf(certs []*x509.Certificate) *x509.CertPool {
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool
}

// readOnce is s read the first time only (a run reads its store in the background, then
// again in the root analysis).
func readOnce(s Store) Store {
	return onceStore{roots: sync.OnceValues(s.Roots), of: s}
}

type onceStore struct {
	roots func() ([]*x509.Certificate, error)
	of    Store
}

func (s onceStore) Roots() ([]*x509.Certificate, error) { return s.roots() }

func (s onceStore) Name() string {
	if n, ok := s.of.(NamedStore); ok {
		return n.Name()
	}
	return "machine"
}

// systemPoolWith is Go's system pool (the platform verifier where there is one) plus extra.
func systemPoolWith(extra []*x509.Certificate) *x509.CertPool {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	for _, c := range extra {
		pool.AddCert(c)
	}
	return pool
}
