//go:build windows

package netprobe

import (
	"encoding/base64"
	"errors"

	"github.com/alexbrainman/sspi"
	"github.com/alexbrainman/sspi/negotiate"
	"github.com/alexbrainman/sspi/ntlm"
)

// On Windows, NTLM and Negotiate without a user authenticate as the current identity: run
// as SYSTEM, that is the computer account, as the service connection point does.
const sspiAvailable = true

type sspiAuth struct {
	headerScheme string
	cred         *sspi.Credentials
	ntlmCtx      *ntlm.ClientContext
	negCtx       *negotiate.ClientContext
}

func newSSPIAuth(headerScheme string) (authenticator, error) {
	var (
		cred *sspi.Credentials
		err  error
	)
	if headerScheme == "Negotiate" {
		cred, err = negotiate.AcquireCurrentUserCredentials()
	} else {
		cred, err = ntlm.AcquireCurrentUserCredentials()
	}
	if err != nil {
		return nil, err
	}
	return &sspiAuth{headerScheme: headerScheme, cred: cred}, nil
}

func (s *sspiAuth) scheme() string {
	if s.headerScheme == "Negotiate" {
		return AuthNegotiate
	}
	return AuthNTLM
}

func (s *sspiAuth) next(challenge []byte) (string, error) {
	var out []byte
	var err error
	switch {
	case challenge == nil && s.headerScheme == "Negotiate":
		// The proxy's name is not known here as an SPN; Negotiate then falls back to NTLM.
		s.negCtx, out, err = negotiate.NewClientContext(s.cred, "")
	case challenge == nil:
		s.ntlmCtx, out, err = ntlm.NewClientContext(s.cred)
	case s.negCtx != nil:
		_, out, err = s.negCtx.Update(challenge)
	case s.ntlmCtx != nil:
		out, err = s.ntlmCtx.Update(challenge)
	default:
		err = errors.New("SSPI: challenge without a context")
	}
	if err != nil {
		return "", err
	}
	return s.headerScheme + " " + base64.StdEncoding.EncodeToString(out), nil
}
