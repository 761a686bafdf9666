//go:build !windows

package inputfile

import (
	"os"
	"syscall"
)

// openNoBlock opens without waiting: O_RDONLY on a FIFO blocks until a writer opens it,
// which no Ctrl-C, SIGTERM or --run-timeout could end. O_NONBLOCK makes the open return at
// once; Open then refuses anything but a regular file, on which O_NONBLOCK has no effect.
func openNoBlock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
