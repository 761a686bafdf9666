package cmlogs

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
	"unicode/utf16"
)

func parseAll(t *testing.T, p Parser, in []byte) ([]Record, Stats) {
	t.Helper()
	var recs []Record
	st, err := p.Parse(bytes.NewReader(in), func(r Record) { recs = append(recs, r) })
	if err != nil {
		t.Fatal(err)
	}
	return recs, st
}

func TestParseClientLine(t *testing.T) {
	in := `<![LOG[Fail to build chain]LOG]!><time="08:51:08.954-570" date="08-01-2013" component="SMS_DMP_UPLOADER" context="" type="3" thread="2308" file="x.cpp:3520">`
	recs, st := parseAll(t, Parser{}, []byte(in))
	if st.Records != 1 || st.Corrupt != 0 || len(recs) != 1 {
		t.Fatalf("stats %+v", st)
	}
	r := recs[0]
	// -570 is UTC+9:30: 08:51 local on 08-01 is 23:21 UTC on 07-31.
	if got := r.Time.Format("2006-01-02T15:04:05.000Z07:00"); got != "2013-07-31T23:21:08.954Z" {
		t.Errorf("time %s", got)
	}
	if r.Text != "Fail to build chain" || r.Component != "SMS_DMP_UPLOADER" || r.Type != TypeError || r.Thread != 2308 || r.Bias != -570 || r.Format != FormatClient || r.Line != 1 {
		t.Errorf("record %+v", r)
	}
}

func TestParseServerLine(t *testing.T) {
	in := "Download failed~~  $$<SMS_DMP_DOWNLOADER><07-15-2023 09:12:45.332+240><thread=4116 (0x1014)>\r\n"
	recs, st := parseAll(t, Parser{}, []byte(in))
	if st.Records != 1 || len(recs) != 1 {
		t.Fatalf("stats %+v", st)
	}
	r := recs[0]
	// +240 is UTC-4: 09:12 local is 13:12 UTC.
	if got := r.Time.Format("2006-01-02T15:04:05.000Z07:00"); got != "2023-07-15T13:12:45.332Z" {
		t.Errorf("time %s", got)
	}
	if r.Text != "Download failed" || r.Component != "SMS_DMP_DOWNLOADER" || r.Thread != 4116 || r.Type != TypeUnknown || r.Format != FormatServer {
		t.Errorf("record %+v", r)
	}
}

func TestParseCases(t *testing.T) {
	const srvT = "~~  $$<C><07-15-2023 09:00:00.000+000><thread=1 (0x1)>"
	const cliT = `]LOG]!><time="09:00:00.000+000" date="07-15-2023" component="C" context="" type="1" thread="1" file="">`
	tests := []struct {
		name    string
		in      string
		texts   []string
		corrupt int
	}{
		{"server multi-line", "first\n  second\nthird" + srvT + "\n", []string{"first\n  second\nthird"}, 0},
		{"client multi-line", "<![LOG[first\nsecond" + cliT + "\n", []string{"first\nsecond"}, 0},
		{"blank lines between records", "\n\na" + srvT + "\n\n\n<![LOG[b" + cliT + "\n", []string{"a", "b"}, 0},
		{"no final newline", "a" + srvT, []string{"a"}, 0},
		{"crlf", "a" + srvT + "\r\n<![LOG[b\r\nc" + cliT + "\r\n", []string{"a", "b\nc"}, 0},
		{"garbage line", "\x00\x00\x00\na" + srvT + "\n", []string{"a"}, 1},
		{"bad date", "a~~  $$<C><13-15-2023 09:00:00.000+000><thread=1 (0x1)>\nb" + srvT + "\n", []string{"b"}, 1},
		{"bad feb 30", "a~~  $$<C><02-30-2023 09:00:00.000+000><thread=1 (0x1)>\n", nil, 1},
		{"bad thread", "x\na~~  $$<C><07-15-2023 09:00:00.000+000><thread=x>\n", nil, 2},
		{"bad client type", `<![LOG[a]LOG]!><time="09:00:00.000+000" date="07-15-2023" type="9">` + "\n", nil, 1},
		{"client missing date", `<![LOG[a]LOG]!><time="09:00:00.000+000">` + "\n", nil, 1},
		{"unterminated client", "<![LOG[a\n<![LOG[b" + cliT + "\n", []string{"b"}, 1},
		{"client after loose lines", "x\ny\n<![LOG[b" + cliT + "\n", []string{"b"}, 2},
		{"trailing lines", "a" + srvT + "\nleft\nover\n", []string{"a"}, 2},
		{"server without bias or millis", "a~~  $$<C><7-5-2023 9:00:00><thread=1>\n", []string{"a"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs, st := parseAll(t, Parser{}, []byte(tc.in))
			var texts []string
			for _, r := range recs {
				texts = append(texts, r.Text)
			}
			if strings.Join(texts, "|") != strings.Join(tc.texts, "|") || st.Records != len(tc.texts) {
				t.Errorf("texts %q, want %q", texts, tc.texts)
			}
			if st.Corrupt != tc.corrupt {
				t.Errorf("corrupt %d, want %d", st.Corrupt, tc.corrupt)
			}
		})
	}
}

func TestParseLineNumbers(t *testing.T) {
	in := "a~~  $$<C><07-15-2023 09:00:00.000+000><thread=1>\n\nb\nc~~  $$<C><07-15-2023 09:00:00.000+000><thread=1>\n"
	recs, _ := parseAll(t, Parser{}, []byte(in))
	if len(recs) != 2 || recs[0].Line != 1 || recs[1].Line != 3 {
		t.Errorf("records %+v", recs)
	}
}

func utf16Bytes(s string, be, bom bool) []byte {
	var b []byte
	order := binary.AppendByteOrder(binary.LittleEndian)
	if be {
		order = binary.BigEndian
	}
	if bom {
		b = order.AppendUint16(b, 0xFEFF)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = order.AppendUint16(b, u)
	}
	return b
}

func TestParseEncodings(t *testing.T) {
	text := "Téléchargement réussi 😀 ✓"
	line := "<![LOG[" + text + `]LOG]!><time="09:00:00.000+000" date="07-15-2023" component="C" context="" type="2" thread="1" file="">` + "\r\n"
	tests := []struct {
		name string
		in   []byte
		enc  Encoding
	}{
		{"utf-8", []byte(line), EncodingUTF8},
		{"utf-8 bom", append([]byte{0xEF, 0xBB, 0xBF}, line...), EncodingUTF8},
		{"utf-16le bom", utf16Bytes(line, false, true), EncodingUTF16LE},
		{"utf-16be bom", utf16Bytes(line, true, true), EncodingUTF16BE},
		{"utf-16le no bom", utf16Bytes(line, false, false), EncodingUTF16LE},
		{"utf-16le big", utf16Bytes(strings.Repeat(line, 5000), false, true), EncodingUTF16LE},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs, st := parseAll(t, Parser{}, tc.in)
			if st.Encoding != tc.enc || st.Corrupt != 0 || len(recs) == 0 {
				t.Fatalf("stats %+v", st)
			}
			for _, r := range recs {
				if r.Text != text || r.Type != TypeWarning {
					t.Fatalf("record %+v", r)
				}
			}
		})
	}
}

func TestUTF16Odd(t *testing.T) {
	// A dangling byte and an unpaired surrogate decode to U+FFFD, never a panic.
	in := append(utf16Bytes("", false, true), 0x00, 0xD8, 'a', 0, 0x00, 0xDC, 'x')
	_, _ = parseAll(t, Parser{}, in)

	// The same units inside a record's text: each bad one is one U+FFFD, the rest kept.
	const trailer = `]LOG]!><time="09:00:00.000+000" date="07-15-2023" component="C" context="" type="1" thread="1" file="">` + "\n"
	in = append(utf16Bytes("<![LOG[", false, true), 0x00, 0xD8, 'a', 0, 0x00, 0xDC)
	in = append(append(in, utf16Bytes(trailer, false, false)...), 'x')
	recs, st := parseAll(t, Parser{}, in)
	if st.Records != 1 || len(recs) != 1 || recs[0].Text != "\uFFFDa\uFFFD" {
		t.Fatalf("stats %+v, records %+v", st, recs)
	}
}

func TestParseTruncation(t *testing.T) {
	const trailer = "~~  $$<C><07-15-2023 09:00:00.000+000><thread=1 (0x1)>\n"
	long := strings.Repeat("x", 10_000)
	tests := []struct {
		name  string
		in    string
		text  int // length of the kept text
		trunc bool
	}{
		{"one long line", long + trailer, 1000, true},
		{"many lines", strings.Repeat("y\n", 3000) + "z" + trailer, 999, true},
		{"just over", strings.Repeat("x", 1001) + trailer, 1000, true},
		{"trailer straddles cap", strings.Repeat("x", 990) + trailer, 990, false},
		{"client long line", "<![LOG[" + long + `]LOG]!><time="09:00:00.000+000" date="07-15-2023" component="C" context="" type="1" thread="1" file="">` + "\n", 993, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			recs, st := parseAll(t, Parser{MaxRecordBytes: 1000}, []byte(tc.in+"ok"+trailer))
			if st.Records != 2 || (st.Truncated == 1) != tc.trunc || st.Corrupt != 0 {
				t.Fatalf("stats %+v", st)
			}
			if recs[0].Truncated != tc.trunc || len(recs[0].Text) != tc.text || recs[0].Time.IsZero() || recs[1].Text != "ok" || recs[1].Truncated {
				t.Errorf("records: truncated %v len %d; %q", recs[0].Truncated, len(recs[0].Text), recs[1].Text)
			}
		})
	}
}
