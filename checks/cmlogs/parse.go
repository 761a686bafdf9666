package cmlogs

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strconv"
	"time"
)

// Format is the line format of one record.
type Format string

// The two CMTrace formats ConfigMgr writes (docs/design.md, "The role's logs").
const (
	// FormatClient is `<![LOG[text]LOG]!><time="08:51:08.954-570" date="08-01-2013" ...>`.
	FormatClient Format = "client"
	// FormatServer is `text~~  $$<COMPONENT><07-15-2023 09:12:45.332+240><thread=4116 (0x1014)>`.
	FormatServer Format = "server"
)

// Record types of the client format; server-format records carry none (TypeUnknown).
const (
	TypeUnknown = 0
	TypeInfo    = 1
	TypeWarning = 2
	TypeError   = 3
)

// DefaultMaxRecordBytes caps the text kept for one record; longer records are truncated and
// counted, so one runaway line (or a file with no line breaks) cannot exhaust memory.
const DefaultMaxRecordBytes = 64 << 10

// trailerWindow is how much of the end of an over-long line is kept so that its trailer (the
// time stamp) can still be read after its text was truncated.
const trailerWindow = 2048

// Record is one log entry.
type Record struct {
	Text string
	// Time is in UTC. Both formats write local time followed by the Windows time-zone bias
	// in minutes, and UTC = local + bias (`-570` is UTC+9:30, `+240` is UTC-4).
	Time      time.Time
	Bias      int // minutes
	Component string
	Type      int // TypeUnknown, TypeInfo, TypeWarning, TypeError
	Thread    int
	Format    Format
	Line      int // 1-based line where the record starts
	Truncated bool
}

// Stats counts what a parse saw.
type Stats struct {
	Encoding Encoding
	Records  int
	// Corrupt counts lines that belong to no record: binary garbage, a record whose trailer
	// could not be read, or lines left without a trailer at the end of the file.
	Corrupt   int
	Truncated int
}

// Parser reads CMTrace logs. The zero value is ready to use.
type Parser struct {
	// MaxRecordBytes caps the text kept per record; 0 means DefaultMaxRecordBytes.
	MaxRecordBytes int
}

// Parse streams the records of r (UTF-8 with or without BOM, or UTF-16 with a BOM) to fn
// with the default parser.
func Parse(r io.Reader, fn func(Record)) (Stats, error) {
	return Parser{}.Parse(r, fn)
}

type pendingKind int

const (
	pendingNone   pendingKind = iota
	pendingClient             // a `<![LOG[` record whose trailer has not come yet
	pendingLoose              // lines waiting for a server-format trailer
)

type parseState struct {
	max   int
	br    *bufio.Reader
	fn    func(Record)
	stats Stats

	lineNo int
	head   []byte // the line, up to max bytes
	tail   []byte // the last bytes of the line when it is longer than max
	length int    // the full length of the line
	long   bool

	kind   pendingKind
	text   []byte
	lines  int
	start  int
	trunc  bool
	record Record
}

// Parse streams the records of r to fn in file order. It returns an error only when r
// fails; malformed content is counted in Stats, never an error.
func (p Parser) Parse(r io.Reader, fn func(Record)) (Stats, error) {
	max := p.MaxRecordBytes
	if max <= 0 {
		max = DefaultMaxRecordBytes
	}
	dr, enc, err := decoded(r)
	if err != nil {
		return Stats{}, err
	}
	s := &parseState{max: max, br: bufio.NewReaderSize(dr, 64<<10), fn: fn}
	s.stats.Encoding = enc
	for {
		more, err := s.readLine()
		if more {
			s.line()
		}
		if err != nil {
			s.dropPending()
			if errors.Is(err, io.EOF) {
				return s.stats, nil
			}
			return s.stats, err
		}
	}
}

// readLine reads the next line into head (and tail when it is long). more is false at the
// end of input with nothing read.
func (s *parseState) readLine() (more bool, err error) {
	s.head, s.tail, s.length, s.long = s.head[:0], s.tail[:0], 0, false
	for {
		chunk, err := s.br.ReadSlice('\n')
		s.length += len(chunk)
		if room := s.max - len(s.head); room > 0 {
			s.head = append(s.head, chunk[:min(room, len(chunk))]...)
		}
		if s.length > s.max {
			s.long = true
			s.tail = append(s.tail, chunk...)
			if len(s.tail) > 2*trailerWindow {
				n := copy(s.tail, s.tail[len(s.tail)-trailerWindow:])
				s.tail = s.tail[:n]
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if s.length == 0 {
			return false, err
		}
		s.lineNo++
		return true, err
	}
}

// line handles one complete line.
func (s *parseState) line() {
	full := s.head
	offset := 0 // position of full[0] in the line
	if s.long {
		if s.length-len(s.tail) < len(s.head) {
			// The line was only a little too long: head and tail overlap, use the whole.
			full = append(s.head[:len(s.head):len(s.head)], s.tail[len(s.head)-(s.length-len(s.tail)):]...)
		} else {
			full = s.tail
			offset = s.length - len(s.tail)
		}
	}
	full = bytes.TrimRight(full, "\r\n")

	if i := bytes.LastIndex(full, []byte("]LOG]!>")); i >= 0 && bytes.HasPrefix(full[i+7:], []byte("<time=")) {
		s.clientTrailer(full, i, offset)
		return
	}
	if i := bytes.LastIndex(full, []byte("$$<")); i >= 0 && bytes.HasSuffix(bytes.TrimRight(full, " \t"), []byte(">")) {
		s.serverTrailer(full, i, offset)
		return
	}

	text, cut := s.textPart(len(full), offset)
	switch {
	case bytes.HasPrefix(text, []byte("<![LOG[")):
		s.dropPending()
		s.open(pendingClient)
		s.appendText(text[len("<![LOG["):])
	case isGarbage(text):
		s.stats.Corrupt++
	case s.kind == pendingClient:
		s.appendText(text)
	case s.kind == pendingNone && len(bytes.TrimSpace(text)) == 0:
		// blank line between records
	default:
		if s.kind == pendingNone {
			s.open(pendingLoose)
		}
		s.appendText(text)
	}
	if cut && s.kind != pendingNone {
		s.trunc = true
	}
}

// textPart returns the text of the current line before position end of full (a position
// relative to offset in the whole line), bounded by head: what is kept of a long line. cut
// says the text was shortened.
func (s *parseState) textPart(end, offset int) (text []byte, cut bool) {
	n := end + offset
	if n > len(s.head) {
		n = len(s.head)
		cut = s.long
	}
	return bytes.TrimRight(s.head[:n], "\r\n"), cut
}

func (s *parseState) open(kind pendingKind) {
	s.kind, s.text, s.lines, s.start, s.trunc = kind, s.text[:0], 0, s.lineNo, false
}

func (s *parseState) appendText(b []byte) {
	if s.lines > 0 && len(s.text) < s.max {
		s.text = append(s.text, '\n')
	}
	s.lines++
	if room := s.max - len(s.text); room < len(b) {
		if room > 0 {
			s.text = append(s.text, b[:room]...)
		}
		s.trunc = true
		return
	}
	s.text = append(s.text, b...)
}

// dropPending counts lines still waiting for a trailer as corrupt.
func (s *parseState) dropPending() {
	if s.kind != pendingNone {
		s.stats.Corrupt += s.lines
	}
	s.kind, s.text, s.lines, s.trunc = pendingNone, s.text[:0], 0, false
}

func (s *parseState) clientTrailer(full []byte, i, offset int) {
	rec, ok := parseClientAttrs(full[i+len("]LOG]!>"):])
	text, cut := s.textPart(i, offset)
	if s.kind == pendingLoose || (s.kind == pendingClient && bytes.HasPrefix(text, []byte("<![LOG["))) {
		s.dropPending()
	}
	if s.kind == pendingNone {
		s.open(pendingClient)
		text = bytes.TrimPrefix(text, []byte("<![LOG["))
	}
	s.appendText(text)
	s.trunc = s.trunc || cut
	if !ok {
		s.dropPending()
		return
	}
	s.emit(rec, FormatClient)
}

func (s *parseState) serverTrailer(full []byte, i, offset int) {
	rec, ok := parseServerTrailer(bytes.TrimRight(full[i+len("$$<"):], " \t"))
	text, cut := s.textPart(i, offset)
	text = bytes.TrimRight(text, " \t~")
	if s.kind == pendingClient {
		s.dropPending()
	}
	if s.kind == pendingNone {
		s.open(pendingLoose)
	}
	s.appendText(text)
	s.trunc = s.trunc || cut
	if !ok {
		s.dropPending()
		return
	}
	s.emit(rec, FormatServer)
}

func (s *parseState) emit(rec Record, f Format) {
	rec.Text = string(bytes.TrimRight(s.text, " \t\r\n~"))
	rec.Format = f
	rec.Line = s.start
	rec.Truncated = s.trunc
	s.stats.Records++
	if s.trunc {
		s.stats.Truncated++
	}
	s.kind, s.text, s.lines, s.trunc = pendingNone, s.text[:0], 0, false
	if s.fn != nil {
		s.fn(rec)
	}
}

// isGarbage reports a line that cannot be text of a log record: NUL bytes (a crash leaves
// zero-filled blocks) or other control characters.
func isGarbage(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\r' && c != '\n' && c != '\f' {
			return true
		}
		if c == 0x7f {
			return true
		}
	}
	return false
}

// parseClientAttrs reads `<time="08:51:08.954-570" date="08-01-2013" component="X" ...>`.
func parseClientAttrs(b []byte) (Record, bool) {
	var rec Record
	b = bytes.TrimRight(b, " \t")
	if len(b) < 2 || b[0] != '<' || b[len(b)-1] != '>' {
		return rec, false
	}
	b = b[1 : len(b)-1]
	var tm, date []byte
	for len(b) > 0 {
		b = bytes.TrimLeft(b, " \t")
		if len(b) == 0 {
			break
		}
		eq := bytes.IndexByte(b, '=')
		if eq <= 0 || eq+1 >= len(b) || b[eq+1] != '"' {
			return rec, false
		}
		key := b[:eq]
		rest := b[eq+2:]
		end := bytes.IndexByte(rest, '"')
		if end < 0 {
			return rec, false
		}
		val := rest[:end]
		b = rest[end+1:]
		switch string(key) {
		case "time":
			tm = val
		case "date":
			date = val
		case "component":
			rec.Component = string(val)
		case "type":
			n, err := strconv.Atoi(string(val))
			if err != nil || n < 0 || n > 3 {
				return rec, false
			}
			rec.Type = n
		case "thread":
			n, err := strconv.Atoi(string(val))
			if err != nil || n < 0 {
				return rec, false
			}
			rec.Thread = n
		}
	}
	if tm == nil || date == nil {
		return rec, false
	}
	t, bias, ok := parseStamp(date, tm)
	if !ok {
		return rec, false
	}
	rec.Time, rec.Bias = t, bias
	if rec.Type == 0 {
		rec.Type = TypeInfo
	}
	return rec, true
}

// parseServerTrailer reads `SMS_DMP_DOWNLOADER><07-15-2023 09:12:45.332+240><thread=4116 (0x1014)>`
// (the part after `$$<`).
func parseServerTrailer(b []byte) (Record, bool) {
	var rec Record
	parts := bytes.Split(b, []byte("><"))
	if len(parts) != 3 || !bytes.HasSuffix(parts[2], []byte(">")) {
		return rec, false
	}
	rec.Component = string(parts[0])
	stamp := parts[1]
	sp := bytes.IndexByte(stamp, ' ')
	if sp < 0 {
		return rec, false
	}
	t, bias, ok := parseStamp(stamp[:sp], stamp[sp+1:])
	if !ok {
		return rec, false
	}
	rec.Time, rec.Bias = t, bias
	th := bytes.TrimSuffix(parts[2], []byte(">"))
	if !bytes.HasPrefix(th, []byte("thread=")) {
		return rec, false
	}
	th = th[len("thread="):]
	if sp := bytes.IndexByte(th, ' '); sp >= 0 {
		th = th[:sp]
	}
	n, err := strconv.Atoi(string(th))
	if err != nil || n < 0 {
		return rec, false
	}
	rec.Thread = n
	return rec, true
}

// parseStamp reads the date `MM-DD-YYYY` and the time `HH:MM:SS[.fff][±bias]` and returns the
// UTC time (local + bias) and the bias in minutes.
func parseStamp(date, tm []byte) (time.Time, int, bool) {
	d := bytes.Split(date, []byte("-"))
	if len(d) != 3 {
		return time.Time{}, 0, false
	}
	month, ok1 := digits(d[0], 1, 2)
	day, ok2 := digits(d[1], 1, 2)
	year, ok3 := digits(d[2], 4, 4)
	if !ok1 || !ok2 || !ok3 || month < 1 || month > 12 || day < 1 || day > 31 {
		return time.Time{}, 0, false
	}
	bias := 0
	if i := bytes.IndexAny(tm, "+-"); i >= 0 {
		b, ok := digits(tm[i+1:], 1, 4)
		if !ok || b > 24*60 {
			return time.Time{}, 0, false
		}
		if tm[i] == '-' {
			b = -b
		}
		bias = b
		tm = tm[:i]
	}
	nanos := 0
	if i := bytes.IndexByte(tm, '.'); i >= 0 {
		frac := tm[i+1:]
		f, ok := digits(frac, 1, 9)
		if !ok {
			return time.Time{}, 0, false
		}
		for n := len(frac); n < 9; n++ {
			f *= 10
		}
		nanos = f
		tm = tm[:i]
	}
	hms := bytes.Split(tm, []byte(":"))
	if len(hms) != 3 {
		return time.Time{}, 0, false
	}
	h, ok1 := digits(hms[0], 1, 2)
	m, ok2 := digits(hms[1], 1, 2)
	sec, ok3 := digits(hms[2], 1, 2)
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 59 {
		return time.Time{}, 0, false
	}
	t := time.Date(year, time.Month(month), day, h, m, sec, nanos, time.UTC)
	if t.Day() != day { // 02-31 and the like
		return time.Time{}, 0, false
	}
	return t.Add(time.Duration(bias) * time.Minute), bias, true
}

// digits parses an unsigned decimal of minLen..maxLen digits.
func digits(b []byte, minLen, maxLen int) (int, bool) {
	if len(b) < minLen || len(b) > maxLen {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
