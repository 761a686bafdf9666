package proxyconf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/cmpreflight/cmpreflight/facts"
)

// ErrNotWindows is what ReadWinHTTP returns off Windows: there is no WinHTTP setting to read,
// which is not a failure of the run (Resolve goes on to the environment).
var ErrNotWindows = errors.New("WinHTTP proxy setting: not on Windows")

// WinHttpSettings flags (docs/design.md, "The WinHTTP setting").
const (
	flagDirect     = 1 // always set
	flagProxy      = 2 // use the proxy field
	flagAutoConfig = 4 // use the auto-config (PAC) URL
	flagAutoDetect = 8 // WPAD
)

// maxWinHTTPString bounds one string of the value: the registry caps a value far above this,
// but a proxy list or bypass list longer than this is garbage.
const maxWinHTTPString = 32 << 10

// ParseWinHTTPSettings decodes the REG_BINARY value WinHttpSettings (the same layout as
// WinINET's DefaultConnectionSettings): little-endian DWORD version, DWORD change counter,
// DWORD flags, then three length-prefixed ASCII strings: proxy, bypass list, auto-config URL.
// The auto-config string is absent from the value `netsh winhttp reset proxy` writes; what
// follows it (zero padding in newer versions) is ignored. Malformed input is an error, never
// a panic.
func ParseWinHTTPSettings(b []byte) (*facts.WinHTTPSetting, error) {
	if len(b) < 12 {
		return nil, fmt.Errorf("WinHttpSettings: %d bytes, the header alone takes 12", len(b))
	}
	flags := binary.LittleEndian.Uint32(b[8:])
	off := 12
	proxy, off, err := lpString(b, off, "proxy")
	if err != nil {
		return nil, err
	}
	bypass, off, err := lpString(b, off, "bypass list")
	if err != nil {
		return nil, err
	}
	var pac string
	if len(b) > off {
		if pac, _, err = lpString(b, off, "auto-config URL"); err != nil {
			return nil, err
		}
	}
	s := &facts.WinHTTPSetting{AutoDetect: flags&flagAutoDetect != 0}
	if flags&flagProxy != 0 && proxy != "" {
		s.Proxy = proxy
		s.Bypass = splitList(bypass, ";")
	}
	if flags&flagAutoConfig != 0 {
		s.AutoConfigURL = pac
	}
	s.Direct = s.Proxy == ""
	return s, nil
}

// lpString reads a DWORD length and that many ASCII bytes at off.
func lpString(b []byte, off int, what string) (string, int, error) {
	if len(b)-off < 4 {
		return "", off, fmt.Errorf("WinHttpSettings: truncated before the length of the %s (offset %d of %d bytes)", what, off, len(b))
	}
	n := binary.LittleEndian.Uint32(b[off:])
	off += 4
	if n > maxWinHTTPString || int(n) > len(b)-off {
		return "", off, fmt.Errorf("WinHttpSettings: the %s claims %d bytes, %d remain", what, n, len(b)-off)
	}
	s := b[off : off+int(n)]
	off += int(n)
	s = trimNUL(s)
	for _, c := range s {
		if c < 0x20 || c > 0x7e {
			return "", off, fmt.Errorf("WinHttpSettings: the %s holds a byte 0x%02x that is not printable ASCII", what, c)
		}
	}
	return string(s), off, nil
}

func trimNUL(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

// splitList splits a list on seps and white space, dropping empty items.
func splitList(s, seps string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool {
		return strings.ContainsRune(seps, r) || r == ' ' || r == '\t' || r == '\r' || r == '\n'
	})
	if len(f) == 0 {
		return nil
	}
	return f
}
