package trust

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// certDirectories are the directories Go's crypto/x509 reads on Linux besides the bundle;
// SSL_CERT_DIR (a colon-separated list) replaces them.
var certDirectories = []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}

// LoadMachine reads the system roots the way Go's own system pool does on Linux (the first
// bundle that exists, SSL_CERT_FILE instead when set; then every file of the certificate
// directories, SSL_CERT_DIR instead when set, symbolic links within a directory skipped),
// but keeps each certificate once (Debian's /etc/ssl/certs holds the bundle itself and a
// link per root, which the standard pool parses three times) and parses a root only when a
// chain could end at it or the whole store is asked for. extra are the --ca-file
// certificates, named by extraFiles; they join both the pools and the store.
func LoadMachine(extra []*x509.Certificate, extraFiles []string) Machine {
	ders, used, err := readLinuxRoots()
	roots := newLazyRoots(ders)
	label := []string{"system bundle"}
	if used != "" {
		label[0] = used
	}
	for _, f := range extraFiles {
		label = append(label, "--ca-file "+f)
	}
	all := sync.OnceValue(func() []*x509.Certificate {
		return append(roots.parseAll(), extra...)
	})
	if len(ders) > 0 || len(extra) > 0 {
		err = nil
	}
	return Machine{
		PoolFor: func(chain []*x509.Certificate) *x509.CertPool { return roots.poolFor(chain, extra) },
		Pool:    sync.OnceValue(func() *x509.CertPool { return poolOf(all()) }),
		Store:   lazyStore{label: strings.Join(label, " + "), certs: all, err: err},
	}
}

// lazyStore parses its certificates when the root analysis first reads them.
type lazyStore struct {
	label string
	certs func() []*x509.Certificate
	err   error
}

func (s lazyStore) Roots() ([]*x509.Certificate, error) { return s.certs(), s.err }
func (s lazyStore) Name() string                        { return s.label }

// readLinuxRoots returns the distinct certificate encodings of the system bundle and
// directories, and the bundle it read ("" when none exists).
func readLinuxRoots() (ders [][]byte, used string, err error) {
	seen := map[string]bool{}
	add := func(data []byte) {
		for b, rest := pem.Decode(data); b != nil; b, rest = pem.Decode(rest) {
			if b.Type != "CERTIFICATE" || seen[string(b.Bytes)] {
				continue
			}
			seen[string(b.Bytes)] = true
			ders = append(ders, b.Bytes)
		}
	}
	files := systemBundles
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	for _, f := range files {
		if data, rerr := os.ReadFile(f); rerr == nil {
			add(data)
			used = f
			break
		}
	}
	dirs := certDirectories
	if d := os.Getenv("SSL_CERT_DIR"); d != "" {
		dirs = strings.Split(d, ":")
	}
	for _, dir := range dirs {
		entries, rerr := os.ReadDir(dir)
		if rerr != nil {
			continue
		}
		for _, e := range entries {
			path := filepath.Join(dir, e.Name())
			// Debian keeps the bundle itself in /etc/ssl/certs: read once is enough.
			if e.IsDir() || path == used || linksWithin(dir, e) {
				continue
			}
			if data, rerr := os.ReadFile(path); rerr == nil {
				add(data)
			}
		}
	}
	if used == "" && len(ders) == 0 {
		err = fmt.Errorf("no system root bundle found (tried %s)", strings.Join(files, ", "))
	}
	return ders, used, err
}

// linksWithin says e is a symbolic link to another file of the same directory (OpenSSL's
// hash names), whose certificate the directory already carries under its own name.
func linksWithin(dir string, e fs.DirEntry) bool {
	if e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	target, err := os.Readlink(filepath.Join(dir, e.Name()))
	return err == nil && !strings.Contains(target, "/")
}
