package progress

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/cmpreflight/cmpreflight/facts"
)

func check(id, status string) facts.Check {
	c := facts.Check{ID: id, Status: status, Timings: facts.Timings{Total: 42}}
	if status == facts.StatusFail {
		c.Stage, c.Reason = facts.StageProxyDenied, "status-403"
	}
	return c
}

func TestLines(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, 3, Lines)
	p.Done(check("go.microsoft.com:443", facts.StatusPass))
	p.Done(check("download.microsoft.com:443", facts.StatusFail))
	p.Done(check("x:80", facts.StatusError))
	p.Finish()
	p.Finish()
	p.Done(check("late:443", facts.StatusFail))
	want := "[1/3] pass  go.microsoft.com:443  42 ms\n" +
		"[2/3] fail  download.microsoft.com:443  proxy-denied/status-403  42 ms\n" +
		"[3/3] error x:80  42 ms\n" +
		"3 of 3 checks done, 2 failed\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestQuiet(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, 2, Quiet)
	p.Done(check("a:443", facts.StatusFail))
	p.Finish()
	if buf.Len() != 0 {
		t.Errorf("quiet wrote %q", buf.String())
	}
	New(nil, 1, Auto).Done(check("a:443", facts.StatusPass)) // a nil writer is quiet, not a panic
}

func TestBar(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, 4, Bar)
	p.width = 60
	p.Done(check("go.microsoft.com:443", facts.StatusPass))
	p.Done(check(strings.Repeat("very-long-name.", 10)+"example:443", facts.StatusFail))
	p.Done(check("evil\x1b[2J\r:443", facts.StatusPass))
	p.Finish()
	out := buf.String()
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("bar output should end with exactly one newline: %q", out)
	}
	frames := strings.Split(strings.TrimSuffix(out, "\n"), "\r")[1:]
	if len(frames) != 4 {
		t.Fatalf("%d frames, want 4: %q", len(frames), out)
	}
	for _, f := range frames {
		if n := utf8.RuneCountInString(f); n != 59 {
			t.Errorf("frame is %d columns, want 59: %q", n, f)
		}
		if strings.ContainsRune(f, '\x1b') {
			t.Errorf("escape character reached the terminal: %q", f)
		}
	}
	if !strings.Contains(frames[1], "2/4  1 failed") || !strings.Contains(frames[1], "…") {
		t.Errorf("second frame: %q", frames[1])
	}
	if !strings.HasPrefix(frames[3], "checks ["+strings.Repeat("#", 18)) || !strings.Contains(frames[3], "3/4  1 failed") {
		t.Errorf("final frame: %q", frames[3])
	}
}

// Auto never draws a bar into a pipe, a buffer or a file: CI logs get lines.
func TestAutoIsLinesWithoutTerminal(t *testing.T) {
	var buf bytes.Buffer
	if p := New(&buf, 1, Auto); p.mode != Lines {
		t.Errorf("buffer: mode %v, want Lines", p.mode)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := New(f, 1, Auto)
	if p.mode != Lines {
		t.Errorf("file: mode %v, want Lines", p.mode)
	}
	p.Done(check("a:443", facts.StatusPass))
	p.Finish()
	data, _ := os.ReadFile(f.Name())
	if !strings.HasPrefix(string(data), "[1/1] pass  a:443") {
		t.Errorf("file got %q", data)
	}
}

func TestConcurrentDone(t *testing.T) {
	var buf bytes.Buffer
	const n = 64
	p := New(&buf, n, Lines)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status := facts.StatusPass
			if i%4 == 0 {
				status = facts.StatusFail
			}
			p.Done(check(fmt.Sprintf("h%d:443", i), status))
		}()
	}
	wg.Wait()
	p.Finish()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != n+1 {
		t.Fatalf("%d lines, want %d", len(lines), n+1)
	}
	for i, l := range lines[:n] {
		if want := fmt.Sprintf("[%2d/%d] ", i+1, n); !strings.HasPrefix(l, want) {
			t.Errorf("line %d = %q, want prefix %q (counts must be serialised)", i, l, want)
		}
	}
	if lines[n] != fmt.Sprintf("%d of %d checks done, %d failed", n, n, n/4) {
		t.Errorf("summary %q", lines[n])
	}
}
