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

// A regular file is replaced whole; a link to one keeps the link and replaces its target; a
// render error leaves the old content and no temporary file.
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
	link := filepath.Join(dir, "link.json")
	os.Symlink(p, link)
	if err := Write(link, text("two")); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat(link); st.Mode()&os.ModeSymlink == 0 {
		t.Error("the link was replaced by a file")
	}
	if b, _ := os.ReadFile(p); string(b) != "two" {
		t.Errorf("the link's target holds %q", b)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 2 {
		t.Errorf("files %v, want r.json and link.json", ents)
	}
}

// What is not a file to write is refused by Check and Write with words that say why.
func TestRefusedDestinations(t *testing.T) {
	dir := t.TempDir()
	os.Symlink(filepath.Join(dir, "nowhere", "x"), filepath.Join(dir, "dangling"))
	for path, want := range map[string]string{
		dir:                                  "is a folder",
		filepath.Join(dir, "missing", "r.j"): "the folder " + filepath.Join(dir, "missing") + " does not exist",
		filepath.Join(dir, "dangling"):       "is a link to something that does not exist",
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

// A log opened for appending reports its removal (its folder deleted during the run).
func TestStillThereSeesARemovedLog(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	os.Mkdir(dir, 0o755)
	p := filepath.Join(dir, "run.log")
	f, err := OpenAppend(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := StillThere(p, f); err != nil {
		t.Errorf("fresh log: %v", err)
	}
	os.RemoveAll(dir)
	if _, err := f.WriteString("lost\n"); err != nil {
		t.Fatalf("the write into a removed file fails (%v): the test assumes it succeeds", err)
	}
	if err := StillThere(p, f); err == nil || !strings.Contains(err.Error(), "removed or replaced") {
		t.Errorf("removed log: %v", err)
	}
}
