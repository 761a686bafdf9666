package cmlogs

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary bytes to the parser: it must not panic, must keep each record
// within the cap, and its counts must agree with what it emitted.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`<![LOG[Fail to build chain]LOG]!><time="08:51:08.954-570" date="08-01-2013" component="X" context="" type="3" thread="2308" file="x.cpp:3520">`))
	f.Add([]byte("text~~  $$<SMS_DMP_DOWNLOADER><07-15-2023 09:12:45.332+240><thread=4116 (0x1014)>\n"))
	f.Add([]byte("a\nb\r\nc~~  $$<C><7-5-2023 9:00:00><thread=1>\n<![LOG[x\n"))
	f.Add(utf16Bytes("<![LOG[é]LOG]!><time=\"09:00:00.000+000\" date=\"07-15-2023\" type=\"1\">\n", false, true))
	f.Add([]byte{0xFE, 0xFF, 0xD8, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		const max = 256
		var recs, truncated int
		st, err := Parser{MaxRecordBytes: max}.Parse(bytes.NewReader(in), func(r Record) {
			recs++
			if r.Truncated {
				truncated++
			}
			if len(r.Text) > max {
				t.Fatalf("record text of %d bytes over the cap %d", len(r.Text), max)
			}
			if r.Time.IsZero() || r.Time.Location().String() != "UTC" {
				t.Fatalf("record time %v", r.Time)
			}
			if r.Line < 1 {
				t.Fatalf("line %d", r.Line)
			}
			_ = example(r.Text)
			if !utf8.ValidString(example(r.Text)) {
				t.Fatal("example is not valid UTF-8")
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if st.Records != recs || st.Truncated != truncated || st.Corrupt < 0 {
			t.Fatalf("stats %+v, emitted %d (%d truncated)", st, recs, truncated)
		}
		// Lines are never counted twice: a record or a corrupt line uses at least one line.
		if lines := strings.Count(string(in), "\n") + 1; st.Records+st.Corrupt > lines && st.Encoding == EncodingUTF8 {
			t.Fatalf("%d records + %d corrupt from %d lines", st.Records, st.Corrupt, lines)
		}
	})
}
