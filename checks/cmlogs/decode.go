package cmlogs

import (
	"bufio"
	"bytes"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// Encoding is the text encoding detected at the start of a log file.
type Encoding string

// Encodings that ConfigMgr writes: CMTrace logs are UTF-8 or, for some client components,
// UTF-16 LE with a byte order mark.
const (
	EncodingUTF8    Encoding = "utf-8"
	EncodingUTF16LE Encoding = "utf-16le"
	EncodingUTF16BE Encoding = "utf-16be"
)

// decoded returns a reader that yields UTF-8 for r, whatever its encoding, and the encoding
// it found. A BOM decides; without one, a NUL in every second byte of the first line is read
// as UTF-16 (some tools strip the BOM when they copy logs).
func decoded(r io.Reader) (io.Reader, Encoding, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		if len(head) == 0 {
			return nil, "", err
		}
	}
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		_, _ = br.Discard(3)
		return br, EncodingUTF8, nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		_, _ = br.Discard(2)
		return &utf16Reader{src: br, be: false}, EncodingUTF16LE, nil
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		_, _ = br.Discard(2)
		return &utf16Reader{src: br, be: true}, EncodingUTF16BE, nil
	case len(head) == 4 && head[0] != 0 && head[1] == 0 && head[2] != 0 && head[3] == 0:
		return &utf16Reader{src: br, be: false}, EncodingUTF16LE, nil
	case len(head) == 4 && head[0] == 0 && head[1] != 0 && head[2] == 0 && head[3] != 0:
		return &utf16Reader{src: br, be: true}, EncodingUTF16BE, nil
	}
	return br, EncodingUTF8, nil
}

// utf16Reader converts a UTF-16 stream to UTF-8 as it is read, so a huge UTF-16 log is never
// held in memory. Unpaired surrogates and a dangling odd byte become U+FFFD.
type utf16Reader struct {
	src  *bufio.Reader
	be   bool
	out  []byte // converted bytes not yet returned
	high rune   // a high surrogate waiting for its pair, or 0
	err  error
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.err != nil {
			return 0, u.err
		}
		u.fill()
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

// fill converts up to 4 KiB of input.
func (u *utf16Reader) fill() {
	var in [4096]byte
	n, err := io.ReadFull(u.src, in[:])
	buf := u.out[:0]
	if cap(buf) < 3*len(in) {
		buf = make([]byte, 0, 3*len(in)/2*2+8)
	}
	i := 0
	for ; i+1 < n; i += 2 {
		var c uint16
		if u.be {
			c = uint16(in[i])<<8 | uint16(in[i+1])
		} else {
			c = uint16(in[i+1])<<8 | uint16(in[i])
		}
		r := rune(c)
		switch {
		case utf16.IsSurrogate(r) && r < 0xDC00:
			if u.high != 0 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
			}
			u.high = r
			continue
		case utf16.IsSurrogate(r):
			if u.high != 0 {
				r = utf16.DecodeRune(u.high, r)
				u.high = 0
			} else {
				r = utf8.RuneError
			}
		default:
			if u.high != 0 {
				buf = utf8.AppendRune(buf, utf8.RuneError)
				u.high = 0
			}
		}
		buf = utf8.AppendRune(buf, r)
	}
	if err != nil {
		if u.high != 0 || i < n {
			buf = utf8.AppendRune(buf, utf8.RuneError)
			u.high = 0
		}
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		u.err = err
	} else if i < n {
		// ReadFull filled an even-sized buffer, so this cannot happen; kept for safety.
		u.err = io.ErrUnexpectedEOF
	}
	u.out = buf
}
