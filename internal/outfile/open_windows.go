package outfile

import "os"

// openThrough opens a device (NUL, CON) for writing in place.
func openThrough(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, plain(err)
	}
	return f, nil
}
