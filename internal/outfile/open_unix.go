//go:build !windows

package outfile

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// openThrough opens a device or a FIFO for writing without blocking: a FIFO nobody reads is
// an error at once (ENXIO) instead of a run that waits for ever.
func openThrough(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ENXIO) {
		return nil, errors.New("is a FIFO that nobody reads (no reader is open on it)")
	}
	if err != nil {
		return nil, plain(err)
	}
	return f, nil
}

// identityComparable tells whether os.SameFile can tell a and b apart: on Unix device and
// inode numbers name every kind of file (/dev/stdout and the terminal it leads to included).
func identityComparable(a, b fs.FileInfo) bool { return true }
