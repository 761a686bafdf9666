//go:build windows

package wintest

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// openMachineRoot opens LocalMachine\ROOT for writing.
func openMachineRoot(t *testing.T) windows.Handle {
	t.Helper()
	name, _ := windows.UTF16PtrFromString("ROOT")
	h, err := windows.CertOpenStore(windows.CERT_STORE_PROV_SYSTEM, 0, 0, windows.CERT_SYSTEM_STORE_LOCAL_MACHINE, uintptr(unsafe.Pointer(name)))
	if err != nil {
		t.Fatalf(`open LocalMachine\ROOT: %v`, err)
	}
	return h
}

// AddMachineRoot adds cert to LocalMachine\ROOT for the duration of the test.
func AddMachineRoot(t *testing.T, cert *x509.Certificate) {
	t.Helper()
	h := openMachineRoot(t)
	defer windows.CertCloseStore(h, 0)
	ctx, err := windows.CertCreateCertificateContext(windows.X509_ASN_ENCODING|windows.PKCS_7_ASN_ENCODING, &cert.Raw[0], uint32(len(cert.Raw)))
	if err != nil {
		t.Fatalf("certificate context: %v", err)
	}
	defer windows.CertFreeCertificateContext(ctx)
	if err := windows.CertAddCertificateContextToStore(h, ctx, windows.CERT_STORE_ADD_REPLACE_EXISTING, nil); err != nil {
		t.Fatalf(`add %s to LocalMachine\ROOT: %v`, cert.Subject, err)
	}
	t.Cleanup(func() { removeMachineRoot(t, cert) })
}

// RemoveMachineRoot deletes cert from LocalMachine\ROOT for the duration of the test and
// puts it back after.
func RemoveMachineRoot(t *testing.T, cert *x509.Certificate) {
	t.Helper()
	if removeMachineRoot(t, cert) {
		t.Cleanup(func() { AddMachineRoot(t, cert) })
	}
}

// removeMachineRoot deletes every copy of cert from the store and says whether there was one.
// Each deletion restarts the enumeration: a deleted context cannot carry it on.
func removeMachineRoot(t *testing.T, cert *x509.Certificate) bool {
	t.Helper()
	h := openMachineRoot(t)
	defer windows.CertCloseStore(h, 0)
	found := deleteStoreKey(cert)
	for round := 0; round < 8; round++ {
		match := findInStore(h, cert)
		if match == nil {
			return found
		}
		found = true
		if err := windows.CertDeleteCertificateFromStore(match); err != nil {
			t.Errorf(`delete %s from LocalMachine\ROOT: %v`, cert.Subject, err)
			return found
		}
	}
	t.Errorf(`%s is still in LocalMachine\ROOT after 8 deletions`, cert.Subject)
	return found
}

// findInStore returns a context of cert the caller owns, or nil.
func findInStore(h windows.Handle, cert *x509.Certificate) *windows.CertContext {
	var ctx *windows.CertContext
	for {
		next, err := windows.CertEnumCertificatesInStore(h, ctx)
		if err != nil || next == nil {
			return nil
		}
		ctx = next
		if string(unsafe.Slice(ctx.EncodedCert, ctx.Length)) == string(cert.Raw) {
			dup := windows.CertDuplicateCertificateContext(ctx)
			windows.CertFreeCertificateContext(ctx)
			return dup
		}
	}
}

// deleteStoreKey removes the registry copy of cert in LocalMachine\ROOT (a key named by its
// SHA-1), which Wine's crypt32 keeps when the certificate is deleted through the store.
func deleteStoreKey(cert *x509.Certificate) bool {
	sum := sha1.Sum(cert.Raw)
	err := registry.DeleteKey(registry.LOCAL_MACHINE, `SOFTWARE\Microsoft\SystemCertificates\ROOT\Certificates\`+strings.ToUpper(hex.EncodeToString(sum[:])))
	return err == nil
}
