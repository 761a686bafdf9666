// Package inputfile reads the user's input files (config, endpoints, waivers, data) with a
// size cap, so a wrong file named by mistake is refused with a clear message instead of
// being read into memory.
package inputfile

import (
	"fmt"
	"io"
	"os"
)

// MaxBytes is the largest input file read: far above any real config, catalog, waiver or
// data file.
const MaxBytes = 8 << 20

// Read returns the content of path, or an *os.PathError naming it when it is larger than
// MaxBytes.
func Read(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxBytes {
		return nil, &os.PathError{Op: "read", Path: path, Err: fmt.Errorf("larger than %d MB, the limit of an input file (is it the right file?)", MaxBytes>>20)}
	}
	return data, nil
}
