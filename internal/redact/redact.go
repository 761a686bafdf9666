// Package redact is the one place secrets are taken out of what the tool shows: proxy URLs
// lose their userinfo, and known secrets are masked in text and errors.
package redact

import (
	"errors"
	"net/url"
	"strings"
)

// Mask replaces a secret in shown text.
const Mask = "[redacted]"

// URL returns u as text without its userinfo (user name and password both go: a proxy URL
// shown in a report names the proxy, not who logs in to it). A nil URL is "".
func URL(u *url.URL) string {
	if u == nil {
		return ""
	}
	v := *u
	v.User = nil
	return v.String()
}

// String replaces every non-empty secret in s with Mask.
func String(s string, secrets ...string) string {
	for _, secret := range secrets {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, Mask)
		}
	}
	return s
}

// Error returns err with every non-empty secret masked in its text. When a secret was found
// the result keeps nothing of the original chain, so no wrapped value can print it; otherwise
// err is returned as it was (errors.Is and errors.As keep working).
func Error(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if masked := String(msg, secrets...); masked != msg {
		return errors.New(masked)
	}
	return err
}
