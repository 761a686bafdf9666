// Package cmlog writes the tool's own log in the CMTrace format that Configuration Manager
// administrators read with CMTrace or OneTrace.
package cmlog

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cmpreflight/cmpreflight/internal/outfile"
)

// Entry types as CMTrace colours them (the type attribute): the typ argument of Format.
const (
	TypeInfo    = 1
	TypeWarning = 2
	TypeError   = 3
)

// DefaultComponent names entries whose caller gave no component.
const DefaultComponent = "cmpreflight"

// Logger appends CMTrace lines. It is safe for concurrent use; a write error is kept and
// returned by Close, since a failing log must not stop a run.
type Logger struct {
	mu     sync.Mutex
	w      io.Writer
	closer io.Closer
	now    func() time.Time
	thread int
	err    error
	closed bool
	check  func() error // before closing: is the file still where the user will look for it?
}

// Open appends to the log file at path, creating it when missing.
func Open(path string) (*Logger, error) {
	f, err := outfile.OpenAppend(path)
	if err != nil {
		return nil, fmt.Errorf("open log file %s: %w", path, err)
	}
	l := New(f)
	l.closer = f
	l.check = func() error { return outfile.StillThere(path, f) }
	return l, nil
}

// New writes CMTrace lines to w; Close does not close w.
func New(w io.Writer) *Logger {
	// Go exposes no thread ids; the process id at least tells apart two runs that share a
	// log file, which is what CMTrace's thread filter is used for here.
	return &Logger{w: w, now: time.Now, thread: os.Getpid()}
}

// Info logs an informational entry.
func (l *Logger) Info(component, msg string) { l.log(TypeInfo, component, msg) }

// Warn logs a warning (yellow in CMTrace).
func (l *Logger) Warn(component, msg string) { l.log(TypeWarning, component, msg) }

// Error logs an error (red in CMTrace).
func (l *Logger) Error(component, msg string) { l.log(TypeError, component, msg) }

// Close closes the file Open opened and returns the first write error, if any, or says that
// the file was removed during the run. Like the logging methods, it does nothing on a nil
// Logger, so a run without a log file can hold one.
func (l *Logger) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return l.err
	}
	l.closed = true
	if l.check != nil && l.err == nil {
		l.err = l.check()
	}
	if l.closer != nil {
		if err := l.closer.Close(); err != nil && l.err == nil {
			l.err = err
		}
	}
	return l.err
}

func (l *Logger) log(typ int, component, msg string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.err != nil {
		return
	}
	_, l.err = io.WriteString(l.w, Format(l.now(), typ, component, msg, l.thread))
}

// textEscaper keeps an entry on one line and its text from ending the LOG[...] field early.
var textEscaper = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "]LOG]!>", "]LOG] !>")

// attrEscaper keeps an attribute value inside its quotes.
var attrEscaper = strings.NewReplacer(`"`, "'", "\r", " ", "\n", " ", "<", "(", ">", ")")

// Format renders one entry. The time is local with the Windows bias in minutes
// (UTC = local + bias, so UTC+9:30 is -570), as ConfigMgr's own client logs write it.
func Format(t time.Time, typ int, component, msg string, thread int) string {
	if component == "" {
		component = DefaultComponent
	}
	_, offset := t.Zone()
	bias := -offset / 60
	return fmt.Sprintf(`<![LOG[%s]LOG]!><time="%s%+04d" date="%s" component="%s" context="" type="%d" thread="%d" file="">`+"\r\n",
		textEscaper.Replace(msg), t.Format("15:04:05.000"), bias, t.Format("01-02-2006"),
		attrEscaper.Replace(component), typ, thread)
}
