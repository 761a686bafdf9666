package trust

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cmpreflight/cmpreflight/internal/inputfile"
)

// systemBundles are the PEM bundles Unix-like systems keep their trusted roots in; the first
// that exists is the system store (as Go's own crypto/x509 reads them).
var systemBundles = []string{
	"/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Gentoo, Arch
	"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
	"/etc/ssl/ca-bundle.pem",                            // openSUSE
	"/etc/pki/tls/cacert.pem",                           // OpenELEC
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
	"/etc/ssl/cert.pem",                                 // Alpine, macOS, BSDs
}

// FileStore reads roots from the first existing system bundle plus extra PEM files
// (--ca-file): the machine's trust as this run used it.
type FileStore struct {
	// Bundles are tried in order; the first that exists is read. SSL_CERT_FILE, when set,
	// comes first, as for Go's system pool.
	Bundles []string
	// Extra files are always read.
	Extra []string

	used string
}

// NewFileStore returns a FileStore over the given bundles and extra files.
func NewFileStore(bundles, extra []string) *FileStore {
	return &FileStore{Bundles: bundles, Extra: extra}
}

// Roots reads the certificates.
func (s *FileStore) Roots() ([]*x509.Certificate, error) {
	var errs []error
	var out []*x509.Certificate
	s.used = ""
	for _, b := range s.Bundles {
		data, err := os.ReadFile(b)
		if err != nil {
			continue
		}
		s.used = b
		out = append(out, ParsePEMCerts(data)...)
		break
	}
	for _, f := range s.Extra {
		data, err := inputfile.Read(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, ParsePEMCerts(data)...)
	}
	if s.used == "" && len(s.Extra) == 0 {
		errs = append(errs, fmt.Errorf("no system root bundle found (tried %s)", strings.Join(s.Bundles, ", ")))
	}
	return out, errors.Join(errs...)
}

// Name says what was read.
func (s *FileStore) Name() string {
	parts := []string{}
	if s.used != "" {
		parts = append(parts, s.used)
	} else {
		parts = append(parts, "system bundle")
	}
	for _, f := range s.Extra {
		parts = append(parts, "--ca-file "+f)
	}
	return strings.Join(parts, " + ")
}

// unixBundles is the system bundle list with SSL_CERT_FILE first when set.
func unixBundles() []string {
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		return append([]string{f}, systemBundles...)
	}
	return systemBundles
}
