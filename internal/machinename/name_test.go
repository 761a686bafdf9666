package machinename

import (
	"errors"
	"os"
	"strings"
	"testing"
)

type fixed struct {
	name string
	err  error
}

func (f fixed) MachineName() (string, error) { return f.name, f.err }

func TestResolve(t *testing.T) {
	for _, tc := range []struct {
		flag string
		src  fixed
		want string
		err  string
	}{
		{flag: "SCP01 (lab)", src: fixed{name: "ignored"}, want: "SCP01 (lab)"},
		{src: fixed{name: "SCP01.Contoso.COM."}, want: "scp01.contoso.com"},
		{src: fixed{err: errors.New("boom")}, err: "pass --machine-name"},
		{src: fixed{name: "  "}, err: "unusable"},
		{flag: "a\nb", err: "--machine-name"},
		{flag: " a", err: "blanks"},
		{flag: strings.Repeat("x", MaxLen+1), err: "longer"},
		{flag: "a\xffb", err: "UTF-8"},
	} {
		got, err := Resolve(tc.flag, tc.src)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Resolve(%q, %v) = %q, %v; want error with %q", tc.flag, tc.src, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Resolve(%q, %v) = %q, %v; want %q", tc.flag, tc.src, got, err, tc.want)
		}
	}
}

func TestSystemSourceIsTheHostName(t *testing.T) {
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	// On Windows the host name is the short name and the source adds the DNS domain, if any.
	h = strings.ToLower(h)
	got, err := Resolve("", System)
	if err != nil || (got != h && !strings.HasPrefix(got, h+".")) {
		t.Fatalf("Resolve(\"\", System) = %q, %v; want %q or %q.<domain>", got, err, h, h)
	}
	t.Logf("this machine's name: %s", got)
}
