//go:build !linux && !windows

package trust

import "crypto/x509"

// LoadMachine on other systems is Go's system pool plus the --ca-file certificates, and the
// first system bundle for the root analysis.
func LoadMachine(extra []*x509.Certificate, extraFiles []string) Machine {
	return fixedMachine(systemPoolWith(extra), readOnce(NewFileStore(unixBundles(), extraFiles)))
}
