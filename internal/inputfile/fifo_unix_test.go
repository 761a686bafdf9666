//go:build !windows

package inputfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO with no writer, a device and a folder are refused at once, naming the path; a
// regular file and a link to one are read.
func TestOnlyRegularFilesAreRead(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "in.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{fifo: "is a FIFO (named pipe), not a regular file", "/dev/zero": "is a character device", dir: "is a folder"} {
		done := make(chan error, 1)
		go func() { _, err := Read(path); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), want) {
				t.Errorf("Read(%s) = %v, want %q", path, err, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Read(%s) blocks", path)
		}
	}
	file := filepath.Join(dir, "a.yaml")
	os.WriteFile(file, []byte("a: 1\n"), 0o644)
	link := filepath.Join(dir, "link.yaml")
	os.Symlink(file, link)
	for _, p := range []string{file, link} {
		if b, err := Read(p); err != nil || string(b) != "a: 1\n" {
			t.Errorf("Read(%s) = %q, %v", p, b, err)
		}
	}
}
