//go:build windows

package trust

import (
	"crypto/x509"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// SystemStore is the Local Computer "Trusted Root Certification Authorities" store, the one
// the role's service account chains against. --ca-file certificates are not added: the role
// does not see them.
func SystemStore(caFiles []string) Store { return machineRootStore{} }

type machineRootStore struct{}

func (machineRootStore) Name() string { return `LocalMachine\ROOT` }

// Roots enumerates the store through crypt32 (read-only, existing store only).
func (machineRootStore) Roots() ([]*x509.Certificate, error) {
	name, err := windows.UTF16PtrFromString("ROOT")
	if err != nil {
		return nil, err
	}
	flags := uint32(windows.CERT_SYSTEM_STORE_LOCAL_MACHINE | windows.CERT_STORE_READONLY_FLAG | windows.CERT_STORE_OPEN_EXISTING_FLAG)
	h, err := windows.CertOpenStore(windows.CERT_STORE_PROV_SYSTEM, 0, 0, flags, uintptr(unsafe.Pointer(name)))
	if err != nil {
		return nil, fmt.Errorf(`open LocalMachine\ROOT: %w`, err)
	}
	defer windows.CertCloseStore(h, 0)
	var out []*x509.Certificate
	var ctx *windows.CertContext
	for {
		ctx, err = windows.CertEnumCertificatesInStore(h, ctx)
		if err != nil {
			// The enumeration ends with CRYPT_E_NOT_FOUND; anything else is a real error.
			if errors.Is(err, windows.Errno(windows.CRYPT_E_NOT_FOUND)) {
				break
			}
			return out, fmt.Errorf(`enumerate LocalMachine\ROOT: %w`, err)
		}
		if ctx == nil {
			break
		}
		// Copy the encoding: the context's memory is freed by the next call.
		der := make([]byte, ctx.Length)
		copy(der, unsafe.Slice(ctx.EncodedCert, ctx.Length))
		// A certificate Go cannot parse cannot be one of the required roots: skip it.
		if c, perr := x509.ParseCertificate(der); perr == nil {
			out = append(out, c)
		}
	}
	return out, nil
}
