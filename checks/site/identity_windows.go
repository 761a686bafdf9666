//go:build windows

package site

import (
	"encoding/base64"
	"fmt"
	"net/http"

	"github.com/alexbrainman/sspi"
	"github.com/alexbrainman/sspi/negotiate"
	"github.com/alexbrainman/sspi/ntlm"
)

// currentIdentityTransport authenticates as the identity the process runs as (SSPI), the
// way a Windows admin's PowerShell does with -UseDefaultCredentials.
func currentIdentityTransport(inner http.RoundTripper) (http.RoundTripper, error) {
	return sspiTransport{inner: inner}, nil
}

type sspiTransport struct{ inner http.RoundTripper }

// sspiContext hides the two SSPI packages behind one step function.
type sspiContext interface {
	step(in []byte) (done bool, out []byte, err error)
	release()
}

type negotiateCtx struct{ c *negotiate.ClientContext }

func (n negotiateCtx) step(in []byte) (bool, []byte, error) { return n.c.Update(in) }
func (n negotiateCtx) release()                             { _ = n.c.Release() }

type ntlmCtx struct{ c *ntlm.ClientContext }

func (n ntlmCtx) step(in []byte) (bool, []byte, error) {
	out, err := n.c.Update(in)
	return true, out, err
}
func (n ntlmCtx) release() { _ = n.c.Release() }

func (t sspiTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		return nil, fmt.Errorf("SSPI transport: requests with a body are not supported")
	}
	resp, err := t.inner.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	scheme, _ := pickAuthScheme(resp.Header)
	if scheme == "" {
		return resp, nil
	}
	drain(resp)

	var (
		cred  *sspi.Credentials
		sc    sspiContext
		token []byte
	)
	if scheme == "Negotiate" {
		cred, err = negotiate.AcquireCurrentUserCredentials()
		if err != nil {
			return nil, fmt.Errorf("SSPI: current user credentials: %w", err)
		}
		var c *negotiate.ClientContext
		c, token, err = negotiate.NewClientContext(cred, "HTTP/"+req.URL.Hostname())
		if err != nil {
			_ = cred.Release()
			return nil, fmt.Errorf("SSPI Negotiate: %w", err)
		}
		sc = negotiateCtx{c}
	} else {
		cred, err = ntlm.AcquireCurrentUserCredentials()
		if err != nil {
			return nil, fmt.Errorf("SSPI: current user credentials: %w", err)
		}
		var c *ntlm.ClientContext
		c, token, err = ntlm.NewClientContext(cred)
		if err != nil {
			_ = cred.Release()
			return nil, fmt.Errorf("SSPI NTLM: %w", err)
		}
		sc = ntlmCtx{c}
	}
	defer func() { sc.release(); _ = cred.Release() }()

	for round := 0; round < 4; round++ {
		r := req.Clone(req.Context())
		r.Header.Set("Authorization", scheme+" "+base64.StdEncoding.EncodeToString(token))
		resp, err = t.inner.RoundTrip(r)
		if err != nil || resp.StatusCode != http.StatusUnauthorized {
			return resp, err
		}
		_, in := pickAuthScheme(resp.Header)
		if len(in) == 0 {
			return resp, nil // refused
		}
		drain(resp)
		var done bool
		done, token, err = sc.step(in)
		if err != nil {
			return nil, fmt.Errorf("SSPI %s: %w", scheme, err)
		}
		if done && len(token) == 0 {
			return nil, fmt.Errorf("SSPI %s: the server asked for more after the exchange completed", scheme)
		}
	}
	return nil, fmt.Errorf("SSPI %s: too many authentication rounds", scheme)
}
