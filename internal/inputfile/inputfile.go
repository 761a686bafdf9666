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
func Read(path string) ([]byte, error) { return ReadMax(path, MaxBytes) }

// ReadMax is Read with another cap, for inputs that are large by nature (a hierarchy's
// inventory exports).
func ReadMax(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tooBig := &os.PathError{Op: "read", Path: path, Err: fmt.Errorf("larger than %d MB, the limit of an input file (is it the right file?)", max>>20)}
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > max {
		return nil, tooBig // refused before reading a byte of it
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, tooBig
	}
	return data, nil
}
