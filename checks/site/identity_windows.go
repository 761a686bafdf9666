//go:build windows

package site

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"syscall"

	"github.com/alexbrainman/sspi"
	"github.com/alexbrainman/sspi/negotiate"
	"github.com/alexbrainman/sspi/ntlm"

	"github.com/cmpreflight/cmpreflight/internal/sspierr"
)

// currentIdentityTransport authenticates as the identity the process runs as (SSPI), the
// way a Windows admin's PowerShell does with -UseDefaultCredentials.
func currentIdentityTransport(inner http.RoundTripper) (http.RoundTripper, error) {
	return sspiTransport{inner: inner}, nil
}

type sspiTransport struct{ inner http.RoundTripper }

// sspiContext is one SSPI client context of either package (NTLM or Negotiate). Its first
// InitializeSecurityContext gets no input buffer at all, which Wine's NTLM requires (an
// empty one fails with SEC_E_INVALID_HANDLE) and Windows accepts.
type sspiContext struct {
	c     *sspi.Context
	pkg   string
	tname *uint16 // the SPN for Negotiate; nil for NTLM
	max   uint32
}

func newSSPIContext(cred *sspi.Credentials, pkg, target string) (*sspiContext, []byte, error) {
	sc := &sspiContext{c: sspi.NewClientContext(cred, sspi.ISC_REQ_CONNECTION), pkg: pkg, max: 48 * 1024}
	if info, err := sspi.QueryPackageInfo(pkg); err == nil && info.MaxToken > 0 {
		sc.max = info.MaxToken
	}
	if target != "" {
		p, err := syscall.UTF16PtrFromString(target)
		if err != nil {
			return nil, nil, err
		}
		sc.tname = p
	}
	_, out, err := sc.step(nil)
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("the %s package produced no first token", pkg)
	}
	if err != nil {
		sc.release()
		return nil, nil, err
	}
	return sc, out, nil
}

// step runs one leg; done is true when the package says the exchange is complete.
func (sc *sspiContext) step(in []byte) (bool, []byte, error) {
	buf := make([]byte, sc.max)
	var outBuf [1]sspi.SecBuffer
	outBuf[0].Set(sspi.SECBUFFER_TOKEN, buf)
	outDesc := sspi.NewSecBufferDesc(outBuf[:])
	var inDesc *sspi.SecBufferDesc
	if in != nil {
		var inBuf [1]sspi.SecBuffer
		inBuf[0].Set(sspi.SECBUFFER_TOKEN, in)
		inDesc = sspi.NewSecBufferDesc(inBuf[:])
	}
	switch ret := sc.c.Update(sc.tname, outDesc, inDesc); ret {
	case sspi.SEC_E_OK:
		return true, buf[:outBuf[0].BufferSize], nil
	case sspi.SEC_I_CONTINUE_NEEDED:
		return false, buf[:outBuf[0].BufferSize], nil
	case sspi.SEC_I_COMPLETE_NEEDED, sspi.SEC_I_COMPLETE_AND_CONTINUE:
		if r := sspi.CompleteAuthToken(sc.c.Handle, outDesc); r != sspi.SEC_E_OK {
			return false, nil, r
		}
		return ret == sspi.SEC_I_COMPLETE_NEEDED, buf[:outBuf[0].BufferSize], nil
	default:
		return false, nil, ret
	}
}

func (sc *sspiContext) release() {
	if sc.c != nil && sc.c.Handle != nil {
		_ = sc.c.Release()
	}
}

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
		sc    *sspiContext
		token []byte
		spn   string
	)
	if scheme == "Negotiate" {
		cred, err = negotiate.AcquireCurrentUserCredentials()
		spn = "HTTP/" + req.URL.Hostname()
	} else {
		cred, err = ntlm.AcquireCurrentUserCredentials()
	}
	if err != nil {
		return nil, fmt.Errorf("SSPI: current user credentials: %s", sspierr.Describe(err))
	}
	sc, token, err = newSSPIContext(cred, scheme, spn)
	if err != nil {
		_ = cred.Release()
		return nil, fmt.Errorf("SSPI %s: %s", scheme, sspiCause(err))
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
			return nil, fmt.Errorf("SSPI %s: %s", scheme, sspiCause(err))
		}
		if done && len(token) == 0 {
			return nil, fmt.Errorf("SSPI %s: the server asked for more after the exchange completed", scheme)
		}
	}
	return nil, fmt.Errorf("SSPI %s: too many authentication rounds", scheme)
}

// sspiCause names an SSPI failure of the AdminService client with what to check first.
func sspiCause(err error) string {
	name := sspierr.Describe(err)
	var e syscall.Errno
	if !errors.As(err, &e) {
		return name
	}
	switch uint32(e) {
	case sspierr.NoCredentials, sspierr.UnknownCredentials, sspierr.InvalidHandle:
		return name + ": this identity has no credentials the SMS Provider's server accepts (run as a domain account; for Kerberos, klist)"
	case sspierr.TargetUnknown:
		return name + ": the KDC knows no HTTP/ service principal for the SMS Provider's host (setspn -Q HTTP/host)"
	case sspierr.LogonDenied, sspierr.InvalidToken:
		return name + ": the server's challenge could not be answered as this identity (wrong domain, or NTLM refused)"
	case sspierr.TimeSkew:
		return name + ": the clock differs from the domain's (w32tm /resync)"
	case sspierr.NoAuthenticatingAuth:
		return name + ": no domain controller answered (nltest /dsgetdc:DOMAIN)"
	case sspierr.StatusNTLMBlocked, sspierr.HResultNTLMBlocked, sspierr.ErrorNTLMBlocked:
		return name + ": NTLM is refused by policy; use Kerberos (the provider's HTTP/ SPN)"
	}
	return name
}
