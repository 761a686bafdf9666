package trust

import "crypto/x509"

// LoadMachine is the Windows trust: the system pool (the platform verifier, nothing to
// parse) plus the --ca-file certificates for the handshakes, and LocalMachine\ROOT for the
// root analysis (the role's service account does not see --ca-file).
func LoadMachine(extra []*x509.Certificate, _ []string) Machine {
	return fixedMachine(systemPoolWith(extra), readOnce(SystemStore(nil)))
}
