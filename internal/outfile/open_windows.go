package outfile

import (
	"io/fs"
	"os"
)

// openThrough opens a device (NUL, CON) for writing in place.
func openThrough(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, plain(err)
	}
	return f, nil
}

// identityComparable tells whether os.SameFile can tell a and b apart. On Windows a device
// (NUL, CON) and a pipe carry no file index, so any two of them look the same: a report sent
// to NUL while standard output is a pipe would otherwise land on standard output.
func identityComparable(a, b fs.FileInfo) bool {
	return a.Mode().IsRegular() && b.Mode().IsRegular()
}
