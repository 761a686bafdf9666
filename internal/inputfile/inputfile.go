// Package inputfile opens and reads the user's input files (config, endpoints, policies,
// waivers, data, PEM roots, passwords, inventories, saved reports, logs): only regular files,
// opened so that a FIFO or a device can never hang the run, and with a size cap, so a wrong
// file named by mistake is refused with a clear message instead of being read into memory.
package inputfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// MaxBytes is the largest input file read: far above any real config, catalog, waiver or
// data file.
const MaxBytes = 8 << 20

// MaxReportBytes caps a saved report read back (report convert, --previous): far above a run
// of tens of thousands of checks with their evidence.
const MaxReportBytes = 1 << 30

// ErrNotRegular is the cause of the error Open returns for a FIFO, a device, a socket or a
// folder: reading a FIFO waits for a writer that may never come, and a device never ends.
var ErrNotRegular = errors.New("not a regular file")

// notRegular words ErrNotRegular for one kind of file.
type notRegular struct{ what string }

func (e notRegular) Error() string {
	if e.what == "a folder" {
		return "is a folder, not a file"
	}
	return "is " + e.what + ", not a regular file: inputs are read from regular files only, so that nothing can hang the run (save it to a file first)"
}

func (e notRegular) Is(target error) bool { return target == ErrNotRegular }

// Open opens path for reading when it is a regular file, and refuses anything else with a
// *os.PathError naming it, whose cause is ErrNotRegular. The open itself never blocks: a FIFO is opened without
// waiting for a writer, then refused.
func Open(path string) (*os.File, error) {
	f, err := openNoBlock(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: path, Err: notRegular{Describe(st.Mode())}}
	}
	return f, nil
}

// Describe names a file mode in words for an error message.
func Describe(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m.IsRegular():
		return "a regular file"
	}
	return "not a regular file (" + m.Type().String() + ")"
}

// Read returns the content of path, or an *os.PathError naming it when it is larger than
// MaxBytes, or when it is not a regular file (ErrNotRegular).
func Read(path string) ([]byte, error) { return ReadMax(path, MaxBytes) }

// ReadMax is Read with another cap, for inputs that are large by nature (a hierarchy's
// inventory exports, saved reports).
func ReadMax(path string, max int64) ([]byte, error) {
	f, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tooBig := &os.PathError{Op: "read", Path: path, Err: fmt.Errorf("larger than %d MB, the limit of an input file (is it the right file?)", max>>20)}
	if st, err := f.Stat(); err == nil && st.Size() > max {
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
