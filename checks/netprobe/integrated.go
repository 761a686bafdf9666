package netprobe

import (
	"bytes"
	"errors"
	"net"
	"slices"
	"strings"

	"github.com/cmpreflight/cmpreflight/facts"
)

// AuthKerberos proves the Kerberos path alone: Negotiate with a Kerberos ticket, never NTLM.
const AuthKerberos = "kerberos"

// Security packages named in the report.
const (
	PackageKerberos = "Kerberos"
	PackageNTLM     = "NTLM"
)

// Named causes of integrated-authentication failures (ProbeError.Reason at the proxy-auth
// stage, and ProxyAuthResult.KerberosFailure).
const (
	ReasonKerberosNoSPN         = "kerberos-no-spn"
	ReasonKerberosNoTicket      = "kerberos-no-ticket"
	ReasonKerberosKDCDown       = "kerberos-kdc-unreachable"
	ReasonKerberosClockSkew     = "kerberos-clock-skew"
	ReasonKerberosClientUnknown = "kerberos-client-unknown"
	ReasonKerberosRejected      = "kerberos-rejected"
	ReasonKerberosRequired      = "kerberos-required"
	ReasonKerberosConfig        = "kerberos-config"
	ReasonNTLMRefused           = "ntlm-refused"
	ReasonNoSecurityPackage     = "no-security-package"
	ReasonSSPI                  = "sspi-failed"
	ReasonKerberosMutual        = "kerberos-mutual-auth-failed"
	ReasonKerberosTicketRefused = "kerberos-ticket-refused"
)

// authFailure is an integrated-authentication failure with its name and next step. Detail
// never carries a raw error number: a status the code does not know is named by its symbol.
type authFailure struct {
	Reason string
	Detail string
}

func (e *authFailure) Error() string { return e.Detail }

// kerberosCause builds the named failure for a Kerberos reason; spn and realm fill in the
// words where known, what is the underlying error's own text (never a secret).
func kerberosCause(reason, spn, realm, what string) *authFailure {
	if realm == "" {
		realm = "the domain"
	}
	host := strings.TrimPrefix(spn, "HTTP/")
	var d string
	switch reason {
	case ReasonKerberosNoSPN:
		d = "the KDC knows no service principal " + spn + ": no account holds the proxy's SPN, so no ticket can be issued for it." +
			" Next: register it on the proxy's service account (setspn -S " + spn + " DOMAIN\\account) and check with setspn -Q " + spn
	case ReasonKerberosNoTicket:
		d = "this identity has no Kerberos ticket-granting ticket for " + realm + "." +
			" Next: on Windows the computer account gets one when it is joined and reaches a domain controller (klist -li 0x3e7, nltest /sc_verify:DOMAIN);" +
			" on Linux run kinit, or point KRB5CCNAME at a valid cache or KRB5_CLIENT_KTNAME at a keytab"
	case ReasonKerberosKDCDown:
		d = "no KDC (domain controller) of " + realm + " answered." +
			" Next: check that a domain controller is reachable on TCP and UDP port 88 (nltest /dsgetdc:DOMAIN; on Linux the kdc lines of krb5.conf)"
	case ReasonKerberosClockSkew:
		d = "this machine's clock differs from the KDC's by more than Kerberos allows (5 minutes by default)." +
			" Next: synchronise the clock with the domain (w32tm /resync, or chrony/ntpd on Linux)"
	case ReasonKerberosClientUnknown:
		d = "the KDC does not know this client principal." +
			" Next: check the machine's domain membership (Test-ComputerSecureChannel) or the principal in the keytab/cache (klist)"
	case ReasonKerberosRejected:
		d = "the proxy refused the Kerberos ticket for " + spn + ": the SPN belongs to an account whose key the proxy does not hold." +
			" Next: setspn -Q " + spn + " shows which account has it, setspn -X finds duplicates; the proxy's keytab must come from that account"
	case ReasonKerberosRequired:
		d = "the proxy " + host + " accepts only Kerberos, and this run could offer only NTLM." +
			" Next: fix Kerberos for " + spn + ", or let the proxy accept NTLM"
	case ReasonKerberosTicketRefused:
		d = "a KDC of " + realm + " answers, yet no ticket for " + spn + " came back, and the security package does not say why." +
			" Next, most likely first: check that an account holds the SPN (setspn -Q " + spn + "), that the clock is within 5 minutes of the KDC's" +
			" (w32tm /stripchart /computer:DC), that the computer account is enabled and in sync (Test-ComputerSecureChannel)"
	case ReasonKerberosConfig:
		d = "the Kerberos configuration could not be read." + " Next: check KRB5_CONFIG or /etc/krb5.conf (default_realm and the realm's kdc)"
	default:
		d = "Kerberos failed."
	}
	if what != "" {
		d += " (" + what + ")"
	}
	return &authFailure{Reason: reason, Detail: d}
}

// proxySPN is the service principal name WinHTTP asks a ticket for when a proxy answers
// Negotiate: the service class HTTP, then the proxy's host name as the client resolved it
// (the last CNAME target when the configured name is an alias), never the port.
func proxySPN(host string, cnames []string) string {
	name := host
	if len(cnames) > 0 && net.ParseIP(host) == nil {
		name = cnames[len(cnames)-1]
	}
	return "HTTP/" + strings.ToLower(strings.TrimSuffix(name, "."))
}

// tokenPackage tells which package produced an integrated-authentication token: NTLM
// messages start with (or, inside SPNEGO, contain) the NTLMSSP signature; anything else a
// Negotiate client sends is Kerberos (raw AP-REQ or SPNEGO around one).
func tokenPackage(tok []byte) string {
	if bytes.Contains(tok, []byte("NTLMSSP\x00")) {
		return PackageNTLM
	}
	return PackageKerberos
}

// authResulter is an authenticator that can say which package it used, for the report.
type authResulter interface {
	result() *facts.ProxyAuthResult
}

// mutualVerifier is an authenticator that checks the proxy's last token (mutual
// authentication) when the proxy sends one with its final answer.
type mutualVerifier interface {
	verifyFinal(token []byte) error
}

// negotiateFallback runs Negotiate the way Windows' Negotiate package does, where the
// platform's own does not: Kerberos first; when it cannot start, NTLM inside the Negotiate
// header (with explicit credentials, or SSPI's NTLM as the current identity), remembering why
// Kerberos failed.
type negotiateFallback struct {
	krb   authenticator // nil when Kerberos could not start
	ntlm  authenticator // nil when NTLM is not possible
	spn   string
	kfail *authFailure
	using authenticator
}

// kerberosCauser is a Kerberos authenticator that can name why Kerberos alone failed, without
// what any fallback added to its error.
type kerberosCauser interface {
	kerberosFailure() *authFailure
}

func (n *negotiateFallback) scheme() string { return AuthNegotiate }

func (n *negotiateFallback) next(challenge []byte) (string, error) {
	if n.using == nil && n.krb != nil {
		h, err := n.krb.next(challenge)
		var af *authFailure
		if err == nil || n.ntlm == nil || !errors.As(err, &af) {
			n.using = n.krb
			return h, err
		}
		// Kerberos could not produce a ticket (no SPN, no KDC...): Negotiate goes on with NTLM.
		n.kfail = af
		if kc, ok := n.krb.(kerberosCauser); ok {
			if f := kc.kerberosFailure(); f != nil {
				n.kfail = f
			}
		}
	}
	if n.using == nil {
		if n.ntlm == nil {
			return "", n.kfail
		}
		n.using = n.ntlm
	}
	return n.using.next(challenge)
}

func (n *negotiateFallback) result() *facts.ProxyAuthResult {
	if n.using == nil || n.using == n.krb {
		if r, ok := n.krb.(authResulter); ok {
			return r.result()
		}
		return nil
	}
	r := &facts.ProxyAuthResult{Package: PackageNTLM}
	if nr, ok := n.ntlm.(authResulter); ok {
		r = nr.result()
	}
	r.SPN = n.spn
	if n.kfail != nil {
		r.KerberosFailure, r.KerberosDetail = n.kfail.Reason, n.kfail.Detail
	}
	return r
}

func (n *negotiateFallback) verifyFinal(token []byte) error {
	if v, ok := n.using.(mutualVerifier); ok {
		return v.verifyFinal(token)
	}
	return nil
}

// noteAuth records in the evidence what the authenticator used, if it can say.
func noteAuth(a authenticator, ev *facts.ProxyEvidence, accepted bool) {
	if r, ok := a.(authResulter); ok {
		if res := r.result(); res != nil {
			res.Accepted = accepted
			ev.Auth = res
		}
	}
}

// authProbeError turns an authentication error into the proxy-auth failure: a named cause
// when the error is one, else fallback as the reason.
func authProbeError(err error, fallback, scheme, spn string, ev *facts.ProxyEvidence) *ProbeError {
	var af *authFailure
	if !errors.As(err, &af) {
		return &ProbeError{Stage: facts.StageProxyAuth, Reason: fallback, Detail: err.Error()}
	}
	if ev.Auth == nil {
		ev.Auth = &facts.ProxyAuthResult{}
		if scheme == AuthNegotiate || scheme == AuthKerberos {
			ev.Auth.SPN = spn
		}
	}
	if strings.HasPrefix(af.Reason, "kerberos-") {
		if ev.Auth.Package == "" {
			ev.Auth.Package = PackageKerberos
		}
		ev.Auth.KerberosFailure, ev.Auth.KerberosDetail = af.Reason, af.Detail
	}
	return &ProbeError{Stage: facts.StageProxyAuth, Reason: af.Reason, Detail: af.Detail}
}

// integratedRefusal names a proxy's final 407 after integrated authentication: a Kerberos
// ticket it could not accept, or an NTLM message a Kerberos-only proxy did not even
// challenge. Nil leaves the generic refusal.
func integratedRefusal(ev *facts.ProxyEvidence) *ProbeError {
	a := ev.Auth
	if a == nil || a.Accepted || a.Legs == 0 {
		return nil
	}
	switch {
	case a.Package == PackageKerberos:
		c := kerberosCause(ReasonKerberosRejected, a.SPN, "", "")
		return &ProbeError{Stage: facts.StageProxyAuth, Reason: c.Reason, Detail: c.Detail}
	case a.Package == PackageNTLM && a.Legs == 1 && slices.Contains(ev.AuthOffered, AuthNegotiate) && !slices.Contains(ev.AuthOffered, AuthNTLM):
		c := kerberosCause(ReasonKerberosRequired, a.SPN, "", "")
		if a.KerberosDetail != "" {
			c.Detail += ". Kerberos failed because " + a.KerberosDetail
		}
		return &ProbeError{Stage: facts.StageProxyAuth, Reason: c.Reason, Detail: c.Detail}
	}
	return nil
}
