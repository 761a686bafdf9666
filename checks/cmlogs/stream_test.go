package cmlogs

import (
	"io"
	"runtime"
	"strings"
	"testing"
)

// logGenerator is an io.Reader that produces size bytes of server-format log without ever
// holding more than one line: every hugeEvery-th record is a single line of hugeLen bytes.
type logGenerator struct {
	remaining int
	n         int
	cur       []byte
	hugeEvery int
	hugeLen   int
	pos       int // bytes of a huge line already produced
	huge      bool
	records   int
	huges     int
}

const genLine = "Checking for updates: The remote name could not be resolved: 'sccm.manage.microsoft.com'~~  $$<SMS_DMP_DOWNLOADER><07-15-2023 09:12:45.332+240><thread=4116 (0x1014)>\r\n"
const genTrailer = "~~  $$<SMS_DMP_DOWNLOADER><07-15-2023 09:12:45.332+240><thread=4116 (0x1014)>\r\n"

func (g *logGenerator) Read(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		if len(g.cur) == 0 && !g.huge {
			if g.remaining <= 0 {
				if total == 0 {
					return 0, io.EOF
				}
				return total, nil
			}
			g.n++
			if g.hugeEvery > 0 && g.n%g.hugeEvery == 0 {
				g.huge, g.pos = true, 0
				g.huges++
			} else {
				g.cur = []byte(genLine)
			}
			g.records++
		}
		if g.huge {
			// The body of a huge line, then its trailer.
			k := min(len(p), g.hugeLen-g.pos)
			for i := 0; i < k; i++ {
				p[i] = 'x'
			}
			g.pos += k
			p, total, g.remaining = p[k:], total+k, g.remaining-k
			if g.pos == g.hugeLen {
				g.huge = false
				g.cur = []byte(genTrailer)
			}
			continue
		}
		k := copy(p, g.cur)
		g.cur = g.cur[k:]
		p, total, g.remaining = p[k:], total+k, g.remaining-k
	}
	return total, nil
}

func TestParseStreamsInBoundedMemory(t *testing.T) {
	size := streamBytes
	if testing.Short() {
		size = 16 << 20
	}
	g := &logGenerator{remaining: size, hugeEvery: 50_000, hugeLen: 8 << 20}
	runtime.GC()
	var ms runtime.MemStats
	var peak uint64
	sample := func() {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	n := 0
	st, err := Parse(g, func(r Record) {
		n++
		if n%20_000 == 0 {
			sample()
		}
		if !r.Truncated && !strings.Contains(r.Text, "could not be resolved") {
			t.Fatalf("record %d: %q", n, r.Text)
		}
	})
	sample()
	if err != nil {
		t.Fatal(err)
	}
	if st.Records != g.records || st.Truncated != g.huges || st.Corrupt != 0 {
		t.Errorf("stats %+v, generated %d records, %d huge", st, g.records, g.huges)
	}
	const limit = 64 << 20
	if peak > limit {
		t.Errorf("heap in use peaked at %d MiB, limit %d MiB", peak>>20, limit>>20)
	}
	t.Logf("%d MiB parsed, %d records (%d truncated), heap in use peak %d MiB", size>>20, st.Records, st.Truncated, peak>>20)
}
