//go:build !windows

package site

import (
	"errors"
	"net/http"
)

func currentIdentityTransport(http.RoundTripper) (http.RoundTripper, error) {
	return nil, errors.New("AdminService: no user given; the current identity (SSPI) is only available on Windows: give a DOMAIN\\user and its password")
}
