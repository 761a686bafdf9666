package proxyconf

import (
	"encoding/hex"
	"reflect"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/facts"
)

// The two vectors of docs/design.md, "The WinHTTP setting".
const (
	resetHex   = "18 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00"
	contosoHex = "28 00 00 00 03 00 00 00 03 00 00 00 16 00 00 00 70 72 6f 78 79 2e 63 6f 6e 74 6f 73 6f 2e 63 6f 6d 3a 38 30 38 30 15 00 00 00 3c 6c 6f 63 61 6c 3e 3b 2a 2e 63 6f 6e 74 6f 73 6f 2e 63 6f 6d 00 00 00 00"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// lp builds a length-prefixed string.
func lp(s string) []byte {
	n := len(s)
	return append([]byte{byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24)}, s...)
}

func header(flags byte) []byte {
	return []byte{0x46, 0, 0, 0, 7, 0, 0, 0, flags, 0, 0, 0}
}

func TestParseWinHTTPSettings(t *testing.T) {
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	tests := []struct {
		name string
		in   []byte
		want facts.WinHTTPSetting
	}{
		{"reset (facts vector)", unhex(t, resetHex), facts.WinHTTPSetting{Direct: true}},
		{"contoso (facts vector)", unhex(t, contosoHex), facts.WinHTTPSetting{Proxy: "proxy.contoso.com:8080", Bypass: []string{"<local>", "*.contoso.com"}}},
		{"per scheme with padding", cat(header(3), lp("http=a:80;https=b:443"), lp(""), lp(""), make([]byte, 16)), facts.WinHTTPSetting{Proxy: "http=a:80;https=b:443"}},
		{"proxy stored but flag off", cat(header(1), lp("old:80"), lp("<local>"), lp("")), facts.WinHTTPSetting{Direct: true}},
		{"pac and autodetect", cat(header(1|4|8), lp(""), lp(""), lp("http://wpad/wpad.dat")), facts.WinHTTPSetting{Direct: true, AutoConfigURL: "http://wpad/wpad.dat", AutoDetect: true}},
		{"NUL-terminated strings", cat(header(3), lp("p:3128\x00"), lp("a; b ;\x00"), lp("")), facts.WinHTTPSetting{Proxy: "p:3128", Bypass: []string{"a", "b"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseWinHTTPSettings(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("got %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestParseWinHTTPSettingsMalformed(t *testing.T) {
	full := unhex(t, contosoHex)
	// Every cut of the contoso vector is an error except the one that ends right after the
	// bypass list (the auto-config string may be absent, as in the reset value).
	for n := 0; n < len(full); n++ {
		_, err := ParseWinHTTPSettings(full[:n])
		if ok := n == 63; (err == nil) != ok {
			t.Errorf("prefix of %d bytes: err = %v", n, err)
		}
	}
	garbage := [][]byte{
		nil,
		[]byte("hello, this is not a registry value"),
		[]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0},
		append(header(3), lp("proxy\x01:80")...),
		append(append(header(3), lp("p:80")...), lp("\xffbad")...),
		append(header(3), 0xff, 0xff, 0xff, 0x7f),
	}
	for i, g := range garbage {
		if s, err := ParseWinHTTPSettings(g); err == nil {
			t.Errorf("garbage %d parsed as %+v", i, s)
		}
	}
}

func FuzzParseWinHTTPSettings(f *testing.F) {
	f.Add(unhex(f, resetHex))
	f.Add(unhex(f, contosoHex))
	f.Add(unhex(f, contosoHex)[:50])
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := ParseWinHTTPSettings(in)
		if err != nil {
			if s != nil {
				t.Fatal("a setting and an error")
			}
			return
		}
		if s.Direct != (s.Proxy == "") {
			t.Fatalf("direct %v with proxy %q", s.Direct, s.Proxy)
		}
		for _, str := range append([]string{s.Proxy, s.AutoConfigURL}, s.Bypass...) {
			for _, c := range []byte(str) {
				if c < 0x20 || c > 0x7e {
					t.Fatalf("non-printable byte in %q", str)
				}
			}
		}
		// Whatever it decodes, Resolve must take it without panicking.
		sel, err := Resolve(Options{WinHTTP: func() (*facts.WinHTTPSetting, error) { return s, nil }})
		if err != nil {
			t.Fatal(err)
		}
		sel.For("a.contoso.com", 443, "https")
		sel.For("intranet", 80, "")
		_ = sel.Facts()
	})
}
