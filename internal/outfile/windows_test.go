//go:build windows

package outfile

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// NUL is a device on Windows: a report sent there is written through (and dropped), never
// turned into a file named NUL, and a log opened on it appends through it too.
func TestNULIsWrittenThrough(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	// Standard output is a pipe, as under a scheduler or in CI: the report must not land there.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	werr := Write("NUL", text("a whole report"))
	os.Stdout = stdout
	w.Close()
	got, _ := io.ReadAll(r)
	r.Close()
	if werr != nil {
		t.Fatalf("writing a report to NUL: %v", werr)
	}
	if len(got) > 0 {
		t.Errorf("the report sent to NUL went to standard output: %q", got)
	}
	f, err := OpenAppend("NUL")
	if err != nil {
		t.Fatalf("a log on NUL: %v", err)
	}
	if _, err := f.WriteString("a log line\n"); err != nil {
		t.Errorf("writing the log to NUL: %v", err)
	}
	f.Close()
	left, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range left {
		t.Errorf("writing to NUL left %s in the working folder", filepath.Join(dir, e.Name()))
	}
}
