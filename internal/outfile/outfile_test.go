package outfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func text(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// A regular file is replaced whole; a render error leaves the old content and no temporary
// file.
func TestRegularFilesAreReplacedWhole(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.json")
	if err := Write(p, text("one")); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, func(w io.Writer) error { io.WriteString(w, "half"); return errors.New("render failed") }); err == nil {
		t.Fatal("a render error was not returned")
	}
	if b, _ := os.ReadFile(p); string(b) != "one" {
		t.Errorf("after a failed render the file holds %q", b)
	}
	if err := Write(p, text("two")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Errorf("the file holds %q", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("files %v, want r.json alone", ents)
	}
}

// What is not a file to write is refused by Check and Write with words that say why.
func TestRefusedDestinations(t *testing.T) {
	dir := t.TempDir()
	for path, want := range map[string]string{
		dir:                                  "is a folder",
		filepath.Join(dir, "missing", "r.j"): "the folder " + filepath.Join(dir, "missing") + " does not exist",
	} {
		if err := Check(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check(%s) = %v, want %q", path, err, want)
		}
		if err := Write(path, text("x")); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Write(%s) = %v, want %q", path, err, want)
		}
	}
}

// Abort removes a temporary file being written, and the write then fails instead of
// renaming half a report into place.
func TestAbortRemovesTheTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.json")
	defer func() {
		pending.Lock()
		pending.aborted = false
		pending.Unlock()
	}()
	err := Write(p, func(w io.Writer) error {
		io.WriteString(w, "half")
		Abort()
		return nil
	})
	if !errors.Is(err, ErrAborted) {
		t.Errorf("err %v, want ErrAborted", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left %v", ents)
	}
	if err := Write(p, text("later")); !errors.Is(err, ErrAborted) {
		t.Errorf("a write after Abort: %v", err)
	}
}
