//go:build windows

package netprobe

import (
	"encoding/base64"
	"errors"
	"syscall"
	"unsafe"

	"github.com/alexbrainman/sspi"
	"golang.org/x/sys/windows"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/sspierr"
)

// On Windows, NTLM, Negotiate and Kerberos without a user authenticate as the current
// identity: run as SYSTEM, that is the computer account, as the service connection point does.
const sspiAvailable = true

// kerberosAvailable: SSPI decides; Negotiate is always worth trying as the current identity.
func kerberosAvailable() bool { return true }

// sspiAuth is one SSPI client context over one proxy connection.
type sspiAuth struct {
	headerScheme string // NTLM or Negotiate: what the Proxy-Authorization header says
	pkg          string // the SSPI package: NTLM, Negotiate or Kerberos
	spn          string // target name; empty for NTLM
	cred         *sspi.Credentials
	ctx          *sspi.Context
	legs         int
	done         bool
	used         string // the package the first token came from
	kfail        *authFailure
	probed       bool
}

func newSSPIAuth(headerScheme string) (authenticator, error) {
	return newSSPI(headerScheme, headerScheme, "")
}

// newIntegratedAuth: Negotiate as the current identity names the proxy's SPN and asks for
// mutual authentication, as WinHTTP does; Kerberos alone uses the Kerberos package so NTLM can
// never stand in. With explicit credentials Negotiate sends NTLM (go-ntlmssp), as before.
func newIntegratedAuth(p *ProxyConfig, spn string, kerberosOnly bool) (authenticator, error) {
	if p.User != "" && !kerberosOnly {
		return &ntlmAuth{user: p.User, pass: p.Password, headerScheme: "Negotiate"}, nil
	}
	if kerberosOnly {
		return newSSPI("Negotiate", "Kerberos", spn)
	}
	neg, err := newSSPI("Negotiate", "Negotiate", spn)
	if err != nil {
		return nil, err
	}
	// Windows' Negotiate falls back to NTLM by itself; Wine's does not once Kerberos failed.
	// NTLM in the Negotiate header, as the current identity, does what Windows would do.
	ntlm, err := newSSPI("Negotiate", "NTLM", "")
	if err != nil {
		return neg, nil
	}
	return &negotiateFallback{krb: neg, ntlm: ntlm, spn: spn}, nil
}

func newSSPI(headerScheme, pkg, spn string) (*sspiAuth, error) {
	cred, err := sspi.AcquireCredentials("", pkg, sspi.SECPKG_CRED_OUTBOUND, nil)
	if err != nil {
		return nil, classifySSPI(err, pkg, spn, nil)
	}
	return &sspiAuth{headerScheme: headerScheme, pkg: pkg, spn: spn, cred: cred}, nil
}

func (s *sspiAuth) scheme() string {
	if s.headerScheme == "Negotiate" {
		return AuthNegotiate
	}
	return AuthNTLM
}

// next runs one InitializeSecurityContext leg. The first leg passes no input buffer at all
// (Wine's NTLM refuses an empty one), and a challenge is fed back until the package is done.
func (s *sspiAuth) next(challenge []byte) (string, error) {
	if s.ctx == nil && challenge != nil {
		return "", errors.New("SSPI: challenge without a context")
	}
	if s.done {
		// The context is complete yet the proxy asks again: it did not accept what was sent.
		if s.used == PackageKerberos {
			return "", kerberosCause(ReasonKerberosRejected, s.spn, "", "")
		}
		return "", &authFailure{Reason: "rejected", Detail: "the proxy asked again after the " + s.pkg + " exchange completed: it did not accept this identity"}
	}
	out, err := s.step(challenge)
	if err != nil {
		return "", err
	}
	if len(out) == 0 {
		return "", &authFailure{Reason: ReasonSSPI, Detail: "SSPI " + s.pkg + " produced no token for the proxy"}
	}
	if s.legs == 0 {
		s.used = tokenPackage(out)
		if s.pkg == "NTLM" {
			s.used = PackageNTLM
		}
	}
	s.legs++
	return s.headerScheme + " " + base64.StdEncoding.EncodeToString(out), nil
}

func (s *sspiAuth) step(in []byte) ([]byte, error) {
	if s.ctx == nil {
		flags := uint32(sspi.ISC_REQ_CONNECTION)
		if s.pkg != "NTLM" {
			flags |= sspi.ISC_REQ_MUTUAL_AUTH
		}
		s.ctx = sspi.NewClientContext(s.cred, flags)
	}
	size := uint32(48 * 1024)
	if info, err := sspi.QueryPackageInfo(s.pkg); err == nil && info.MaxToken > 0 {
		size = info.MaxToken
	}
	buf := make([]byte, size)
	var outBuf [1]sspi.SecBuffer
	outBuf[0].Set(sspi.SECBUFFER_TOKEN, buf)
	outDesc := sspi.NewSecBufferDesc(outBuf[:])
	var inDesc *sspi.SecBufferDesc
	if in != nil {
		var inBuf [1]sspi.SecBuffer
		inBuf[0].Set(sspi.SECBUFFER_TOKEN, in)
		inDesc = sspi.NewSecBufferDesc(inBuf[:])
	}
	var tname *uint16
	if s.spn != "" {
		p, err := syscall.UTF16PtrFromString(s.spn)
		if err != nil {
			return nil, err
		}
		tname = p
	}
	ret := s.ctx.Update(tname, outDesc, inDesc)
	switch ret {
	case sspi.SEC_E_OK:
		s.done = true
	case sspi.SEC_I_CONTINUE_NEEDED:
	case sspi.SEC_I_COMPLETE_NEEDED, sspi.SEC_I_COMPLETE_AND_CONTINUE:
		if r := sspi.CompleteAuthToken(s.ctx.Handle, outDesc); r != sspi.SEC_E_OK {
			return nil, classifySSPI(r, s.pkg, s.spn, s)
		}
		s.done = ret == sspi.SEC_I_COMPLETE_NEEDED
	default:
		return nil, classifySSPI(ret, s.pkg, s.spn, s)
	}
	return buf[:outBuf[0].BufferSize], nil
}

// verifyFinal feeds the proxy's last token (Kerberos AP-REP) to the context: with mutual
// authentication that is where the client checks the proxy holds the SPN's key.
func (s *sspiAuth) verifyFinal(token []byte) error {
	if s.done || s.ctx == nil {
		return nil
	}
	_, err := s.step(token)
	if err != nil {
		var af *authFailure
		if errors.As(err, &af) {
			af.Detail = "the proxy's answer to the Kerberos ticket did not prove it holds the key of " + s.spn + " (mutual authentication): " + af.Detail
			af.Reason = ReasonKerberosMutual
		}
		return err
	}
	return nil
}

func (s *sspiAuth) result() *facts.ProxyAuthResult {
	r := &facts.ProxyAuthResult{Package: s.used, SPN: s.spn, Legs: s.legs, Principal: s.principal()}
	if s.used == "" && s.pkg == "Kerberos" {
		r.Package = PackageKerberos
	}
	if s.pkg == "Negotiate" && s.used == PackageNTLM {
		if f := s.kerberosFailure(); f != nil {
			r.KerberosFailure, r.KerberosDetail = f.Reason, f.Detail
		}
	}
	return r
}

// secPkgContextNames is SecPkgContext_NamesW.
type secPkgContextNames struct{ userName *uint16 }

const secpkgAttrNames = 1

// principal asks the context which client identity it used, where the package says.
func (s *sspiAuth) principal() string {
	if s.ctx == nil || s.ctx.Handle == nil {
		return ""
	}
	var n secPkgContextNames
	if sspi.QueryContextAttributes(s.ctx.Handle, secpkgAttrNames, (*byte)(unsafe.Pointer(&n))) != sspi.SEC_E_OK || n.userName == nil {
		if s.used == PackageNTLM {
			// NTLM as the current identity uses this process's account (SYSTEM: the
			// computer account); a Kerberos ticket may belong to another, so no guess there.
			return currentAccount()
		}
		return ""
	}
	defer sspi.FreeContextBuffer((*byte)(unsafe.Pointer(n.userName)))
	return windows.UTF16PtrToString(n.userName)
}

// kerberosFailure asks the Kerberos package alone for a ticket to the SPN, once, to name why
// Negotiate did not use it. It talks to the KDC only, never to the proxy.
func (s *sspiAuth) kerberosFailure() *authFailure {
	if s.probed {
		return s.kfail
	}
	s.probed = true
	if s.spn == "" {
		return nil
	}
	k, err := newSSPI("Negotiate", "Kerberos", s.spn)
	if err != nil {
		errors.As(err, &s.kfail)
		return s.kfail
	}
	defer k.release()
	if _, err := k.step(nil); err != nil {
		errors.As(err, &s.kfail)
	}
	return s.kfail
}

func (s *sspiAuth) release() {
	if s.ctx != nil && s.ctx.Handle != nil {
		s.ctx.Release()
	}
	if s.cred != nil {
		s.cred.Release()
	}
}

// SSPI statuses this code tells apart (named by internal/sspierr).
const (
	secEInvalidHandle        = syscall.Errno(sspierr.InvalidHandle)
	secEUnsupportedFunction  = syscall.Errno(sspierr.UnsupportedFunction)
	secETargetUnknown        = syscall.Errno(sspierr.TargetUnknown)
	secEInternalError        = syscall.Errno(sspierr.InternalError)
	secESecpkgNotFound       = syscall.Errno(sspierr.SecpkgNotFound)
	secELogonDenied          = syscall.Errno(sspierr.LogonDenied)
	secEUnknownCredentials   = syscall.Errno(sspierr.UnknownCredentials)
	secENoCredentials        = syscall.Errno(sspierr.NoCredentials)
	secENoAuthenticatingAuth = syscall.Errno(sspierr.NoAuthenticatingAuth)
	secEWrongPrincipal       = syscall.Errno(sspierr.WrongPrincipal)
	secETimeSkew             = syscall.Errno(sspierr.TimeSkew)
	statusNTLMBlocked        = syscall.Errno(sspierr.StatusNTLMBlocked)
	hresultNTLMBlocked       = syscall.Errno(sspierr.HResultNTLMBlocked)
	errorNTLMBlocked         = syscall.Errno(sspierr.ErrorNTLMBlocked)
)

func sspiStatusName(e syscall.Errno) string { return sspierr.Name(uint32(e)) }

// classifySSPI names an SSPI failure of package pkg for spn. For Negotiate, a status that
// does not say why (Wine and Windows both end in SEC_E_INVALID_HANDLE or
// SEC_E_NO_CREDENTIALS when neither Kerberos nor NTLM can start) is explained by asking the
// Kerberos package alone what it lacks.
func classifySSPI(err error, pkg, spn string, s *sspiAuth) error {
	var e syscall.Errno
	if !errors.As(err, &e) {
		return &authFailure{Reason: ReasonSSPI, Detail: "SSPI " + pkg + ": " + err.Error()}
	}
	name := sspiStatusName(e)
	krb := pkg != "NTLM"
	switch e {
	case secETargetUnknown:
		return kerberosCause(ReasonKerberosNoSPN, spn, "", name)
	case secENoAuthenticatingAuth:
		return kerberosCause(ReasonKerberosKDCDown, spn, "", name)
	case secETimeSkew:
		return kerberosCause(ReasonKerberosClockSkew, spn, "", name)
	case secEWrongPrincipal:
		return kerberosCause(ReasonKerberosRejected, spn, "", name)
	case statusNTLMBlocked, hresultNTLMBlocked, errorNTLMBlocked:
		return &authFailure{Reason: ReasonNTLMRefused, Detail: "NTLM is refused by this machine's or the domain's policy (" + name + ")." +
			" Next: make Kerberos work for " + orWord(spn, "the proxy") + " (Negotiate), or ask for an NTLM exception for the proxy (Network security: Restrict NTLM: Add remote server exceptions)"}
	}
	if pkg == "Kerberos" {
		switch e {
		case secENoCredentials, secEUnknownCredentials, secEInvalidHandle, secELogonDenied:
			return kerberosCause(ReasonKerberosNoTicket, spn, "", name)
		case secEInternalError:
			return diagnoseKerberos(name, spn)
		}
	}
	if pkg == "Negotiate" && s != nil && spn != "" {
		if kf := s.kerberosFailure(); kf != nil {
			return &authFailure{Reason: kf.Reason, Detail: kf.Detail + "; NTLM as the current identity could not stand in either (" + name + ")"}
		}
	}
	if !krb {
		switch e {
		case secENoCredentials, secEUnknownCredentials, secEInvalidHandle:
			return &authFailure{Reason: ReasonNoSecurityPackage, Detail: "NTLM has no credentials for the current identity (" + name + ")." +
				" Next: run as the account the role uses (SYSTEM); under Wine, NTLM single sign-on needs a running winbindd holding the password"}
		case secELogonDenied:
			return &authFailure{Reason: ReasonNTLMRefused, Detail: "NTLM logon was denied for the current identity (" + name + ")"}
		}
	}
	switch e {
	case secESecpkgNotFound, secEUnsupportedFunction:
		return &authFailure{Reason: ReasonNoSecurityPackage, Detail: "the " + pkg + " security package is not available on this machine (" + name + ")"}
	}
	return &authFailure{Reason: ReasonSSPI, Detail: "SSPI " + pkg + " failed: " + name}
}

func orWord(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// currentAccount is DOMAIN\user of this process, empty when Windows cannot say.
func currentAccount() string {
	n := uint32(256)
	b := make([]uint16, n)
	if err := windows.GetUserNameEx(windows.NameSamCompatible, &b[0], &n); err != nil {
		return ""
	}
	return windows.UTF16ToString(b[:n])
}
