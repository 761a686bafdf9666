package redact

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://proxy.contoso.com:8080", "http://proxy.contoso.com:8080"},
		{"http://svc:S3cr3t@proxy.contoso.com:8080", "http://proxy.contoso.com:8080"},
		{"http://svc@proxy.contoso.com:8080/", "http://proxy.contoso.com:8080/"},
		{"http://CONTOSO%5Csvc:p%40ss@10.0.0.1:3128", "http://10.0.0.1:3128"},
	} {
		u, err := url.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := URL(u); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if URL(nil) != "" {
		t.Error("URL(nil) is not empty")
	}
}

func TestStringAndError(t *testing.T) {
	for _, tc := range []struct {
		in      string
		secrets []string
		want    string
	}{
		{"logon failed for svc with S3cr3t", []string{"S3cr3t"}, "logon failed for svc with [redacted]"},
		{"S3cr3t S3cr3t", []string{"S3cr3t"}, "[redacted] [redacted]"},
		{"nothing here", []string{"S3cr3t", ""}, "nothing here"},
		{"empty secret", []string{""}, "empty secret"},
	} {
		if got := String(tc.in, tc.secrets...); got != tc.want {
			t.Errorf("String(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	base := errors.New("dial: refused")
	if Error(base, "S3cr3t") != base {
		t.Error("an error without the secret should be returned unchanged")
	}
	wrapped := fmt.Errorf("GET https://u:S3cr3t@provider/: %w", base)
	got := Error(wrapped, "S3cr3t")
	if strings.Contains(got.Error(), "S3cr3t") || errors.Is(got, base) {
		t.Errorf("Error kept the secret or its chain: %v", got)
	}
	if Error(nil, "x") != nil {
		t.Error("Error(nil) is not nil")
	}
}
