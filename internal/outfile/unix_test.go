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

// A link to a regular file keeps the link and gets its target replaced; a link to nothing is
// refused.
func TestLinksAreKept(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.json")
	os.WriteFile(p, []byte("one"), 0o600)
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
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "nowhere", "x"), dangling)
	for _, f := range []func(string) error{Check, func(p string) error { return Write(p, text("x")) }} {
		if err := f(dangling); err == nil || !strings.Contains(err.Error(), "is a link to something that does not exist") {
			t.Errorf("dangling link: %v", err)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 3 {
		t.Errorf("files %v, want r.json, link.json and dangling", ents)
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
