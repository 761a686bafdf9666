package inputfile

import "os"

// openNoBlock opens path; on Windows opening a named pipe or a device does not wait for a
// peer, and Open refuses it after.
func openNoBlock(path string) (*os.File, error) { return os.Open(path) }
