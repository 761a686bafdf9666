// Package progress shows how far a run is while its checks finish: a bar on a terminal,
// one line per check elsewhere (CI logs), nothing when quiet.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/term"

	"github.com/cmpreflight/cmpreflight/facts"
)

// Mode chooses how progress is shown.
type Mode int

const (
	// Auto draws a bar when the writer is a terminal and writes lines otherwise.
	Auto Mode = iota
	// Bar redraws one line in place.
	Bar
	// Lines writes one line per finished check.
	Lines
	// Quiet writes nothing.
	Quiet
)

// defaultWidth is used when the terminal's width cannot be read.
const defaultWidth = 80

// Reporter receives finished checks from any goroutine and shows the count of checks done
// out of the total and the failures so far.
type Reporter struct {
	mu       sync.Mutex
	w        io.Writer
	mode     Mode
	width    int
	total    int
	done     int
	failed   int
	finished bool
}

// fder is what *os.File offers to ask whether it is a terminal.
type fder interface{ Fd() uintptr }

// New returns a reporter writing to w (normally stderr) for total checks.
func New(w io.Writer, total int, mode Mode) *Reporter {
	r := &Reporter{w: w, mode: mode, total: total, width: defaultWidth}
	f, isFile := w.(fder)
	isTerm := isFile && term.IsTerminal(int(f.Fd()))
	if mode == Auto {
		r.mode = Lines
		if isTerm {
			r.mode = Bar
		}
	}
	if r.mode == Bar && isTerm {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 20 {
			r.width = cols
		}
	}
	if w == nil {
		r.mode = Quiet
	}
	return r
}

// Done records one finished check. It is safe for concurrent use; calls after Finish are
// ignored.
func (r *Reporter) Done(c facts.Check) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	r.done++
	r.total = max(r.total, r.done)
	if c.Status == facts.StatusFail || c.Status == facts.StatusError {
		r.failed++
	}
	switch r.mode {
	case Lines:
		width := len(fmt.Sprint(r.total))
		line := fmt.Sprintf("[%*d/%d] %-5s %s", width, r.done, r.total, c.Status, clean(c.ID))
		if sr := stageReason(c); sr != "" {
			line += "  " + clean(sr)
		}
		fmt.Fprintf(r.w, "%s  %d ms\n", line, c.Timings.Total)
	case Bar:
		r.draw(clean(c.ID))
	}
}

// Finish ends the display: the bar is completed and the cursor moves to a new line; in
// line mode a closing count is written.
func (r *Reporter) Finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finished {
		return
	}
	r.finished = true
	switch r.mode {
	case Lines:
		fmt.Fprintf(r.w, "%d of %d checks done, %d failed\n", r.done, r.total, r.failed)
	case Bar:
		r.draw("")
		fmt.Fprintln(r.w)
	}
}

// draw rewrites the bar line. It pads with spaces rather than using escape sequences, so
// that it also works on consoles without VT processing.
func (r *Reporter) draw(last string) {
	status := fmt.Sprintf(" %d/%d", r.done, r.total)
	if r.failed > 0 {
		status += fmt.Sprintf("  %d failed", r.failed)
	}
	line := "checks " + bar(r.done, r.total, 24) + status
	if last != "" {
		line += "  " + last
	}
	// The last column stays empty: writing into it wraps the cursor on some terminals.
	avail := r.width - 1
	runes := []rune(line)
	if len(runes) > avail {
		runes = append(runes[:avail-1], '…')
	}
	line = string(runes)
	fmt.Fprintf(r.w, "\r%s%s", line, strings.Repeat(" ", avail-len(runes)))
}

func bar(done, total, size int) string {
	filled := size
	if total > 0 {
		filled = done * size / total
	}
	return "[" + strings.Repeat("#", filled) + strings.Repeat("-", size-filled) + "]"
}

func stageReason(c facts.Check) string {
	switch {
	case c.Stage != "" && c.Reason != "":
		return c.Stage + "/" + c.Reason
	case c.Stage != "":
		return c.Stage
	}
	return c.Reason
}

// clean drops control characters so that a check id can never move the cursor.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, s)
}
