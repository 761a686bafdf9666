package cmlog

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// entry is a CMTrace line parsed back, the way CMTrace reads it.
type entry struct {
	Text      string
	Time      time.Time // in UTC, from local time and bias
	Component string
	Type      int
	Thread    int
}

var lineRE = regexp.MustCompile(`^<!\[LOG\[(.*)\]LOG\]!><time="(\d\d):(\d\d):(\d\d)\.(\d\d\d)([+-]\d+)" date="(\d\d)-(\d\d)-(\d\d\d\d)" component="([^"]*)" context="" type="([123])" thread="(\d+)" file="">$`)

func parse(t *testing.T, line string) entry {
	t.Helper()
	m := lineRE.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("not a CMTrace line: %q", line)
	}
	n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
	local := time.Date(n(9), time.Month(n(7)), n(8), n(2), n(3), n(4), n(5)*int(time.Millisecond), time.UTC)
	bias, _ := strconv.Atoi(m[6])
	return entry{Text: m[1], Time: local.Add(time.Duration(bias) * time.Minute), Component: m[10], Type: n(11), Thread: n(12)}
}

func readEntries(t *testing.T, path string) []entry {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(string(data), "\r\n") {
		t.Errorf("log does not end with CRLF")
	}
	var out []entry
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		out = append(out, parse(t, strings.TrimSuffix(sc.Text(), "\r")))
	}
	return out
}

func TestFormatBias(t *testing.T) {
	utc := time.Date(2013, 8, 1, 23, 21, 8, 954_000_000, time.UTC)
	for _, tc := range []struct {
		zone *time.Location
		want string
	}{
		{time.FixedZone("ACST", 9*3600+1800), `time="08:51:08.954-570" date="08-02-2013"`},
		{time.FixedZone("PDT", -7*3600), `time="16:21:08.954+420" date="08-01-2013"`},
		{time.FixedZone("CET", 3600), `time="00:21:08.954-060" date="08-02-2013"`},
		{time.UTC, `time="23:21:08.954+000" date="08-01-2013"`},
	} {
		line := Format(utc.In(tc.zone), TypeError, "SMS_DMP_DOWNLOADER", "x", 2308)
		if !strings.Contains(line, tc.want) {
			t.Errorf("%s: %q lacks %q", tc.zone, line, tc.want)
		}
		// UTC = local + bias, read back.
		if e := parse(t, strings.TrimSuffix(line, "\r\n")); !e.Time.Equal(utc) {
			t.Errorf("%s: parsed back %v, want %v", tc.zone, e.Time, utc)
		}
	}
}

func TestOpenWritesParsableLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cmpreflight.log")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	zone := time.FixedZone("X", 5*3600+1800)
	at := time.Date(2026, 11, 20, 8, 15, 2, 125_000_000, zone)
	l.now = func() time.Time { return at }
	l.Info("", "run started: profile scp, 56 checks")
	l.Warn("policy", `warn scp.wildcard_exercised: "*.akamaitechnologies.com" never exercised`)
	l.Error("network", "download.microsoft.com:443 fail proxy-denied/status-403\nsecond line ]LOG]!> fake end")
	l.Info(`evil" type="3`, "component with a quote")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l.Info("", "after close") // ignored, not a panic
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	got := readEntries(t, path)
	if len(got) != 4 {
		t.Fatalf("%d entries, want 4", len(got))
	}
	want := []entry{
		{Text: "run started: profile scp, 56 checks", Component: "cmpreflight", Type: 1},
		{Text: `warn scp.wildcard_exercised: "*.akamaitechnologies.com" never exercised`, Component: "policy", Type: 2},
		{Text: "download.microsoft.com:443 fail proxy-denied/status-403 second line ]LOG] !> fake end", Component: "network", Type: 3},
		{Text: "component with a quote", Component: "evil' type='3", Type: 1},
	}
	for i, w := range want {
		g := got[i]
		if g.Text != w.Text || g.Component != w.Component || g.Type != w.Type {
			t.Errorf("entry %d = %+v, want %+v", i, g, w)
		}
		if !g.Time.Equal(at) {
			t.Errorf("entry %d time %v, want %v", i, g.Time, at.UTC())
		}
		if g.Thread != os.Getpid() {
			t.Errorf("entry %d thread %d", i, g.Thread)
		}
	}

	// Open appends: a second run adds to the same file.
	l2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	l2.Info("", "second run")
	l2.Close()
	if n := len(readEntries(t, path)); n != 5 {
		t.Errorf("%d entries after a second run, want 5", n)
	}
}

func TestConcurrentWritersKeepLinesWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.log")
	l, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const writers, each = 16, 50
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				switch i % 3 {
				case 0:
					l.Info("checks", fmt.Sprintf("w%d-%d pass", w, i))
				case 1:
					l.Warn("checks", fmt.Sprintf("w%d-%d warn", w, i))
				default:
					l.Error("checks", fmt.Sprintf("w%d-%d fail", w, i))
				}
			}
		}()
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range readEntries(t, path) {
		seen[e.Text] = true
	}
	if len(seen) != writers*each {
		t.Errorf("%d distinct entries, want %d", len(seen), writers*each)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorReturnedByClose(t *testing.T) {
	l := New(failingWriter{})
	l.Info("", "a")
	l.Info("", "b")
	if err := l.Close(); err == nil || err.Error() != "disk full" {
		t.Errorf("Close = %v, want the write error", err)
	}
	var nilLogger *Logger
	nilLogger.Info("", "a nil logger logs nothing") // a run without --log-file
	if err := nilLogger.Close(); err != nil {
		t.Error(err)
	}
}

func TestOpenError(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "missing", "x.log")); err == nil {
		t.Error("Open in a missing directory succeeded")
	}
}
