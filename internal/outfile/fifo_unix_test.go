//go:build !windows

package outfile

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A FIFO is written through when read and an error when nobody reads; it stays a FIFO.
func TestFIFOIsWrittenThrough(t *testing.T) {
	p := filepath.Join(t.TempDir(), "out.fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Check(p); err != nil {
		t.Errorf("Check(FIFO) = %v", err)
	}
	if err := Write(p, text("x")); err == nil || !strings.Contains(err.Error(), "nobody reads") {
		t.Errorf("Write to a FIFO without reader = %v", err)
	}
	r, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := Write(p, text("through")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := r.Read(buf)
	if string(buf[:n]) != "through" {
		t.Errorf("read %q", buf[:n])
	}
	if st, _ := os.Lstat(p); st.Mode()&os.ModeNamedPipe == 0 {
		t.Error("the FIFO was replaced")
	}
}
