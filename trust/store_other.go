//go:build !windows

package trust

// SystemStore is the machine's trust on Unix-like systems: the system PEM bundle plus the
// --ca-file certificates.
func SystemStore(caFiles []string) Store {
	return NewFileStore(unixBundles(), caFiles)
}
