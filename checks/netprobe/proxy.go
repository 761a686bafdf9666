package netprobe

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/cmpreflight/cmpreflight/checks/origin"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/Azure/go-ntlmssp"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/redact"
)

// Proxy authentication schemes.
const (
	AuthNone      = "none"
	AuthBasic     = "basic"
	AuthNTLM      = "ntlm"
	AuthNegotiate = "negotiate"
	AuthAuto      = "auto"
)

// ProxyConfig is the proxy a check goes through and how it authenticates.
type ProxyConfig struct {
	URL      *url.URL // scheme://host:port, never with userinfo
	Auth     string
	User     string // DOMAIN\user or user@domain; empty = current identity where supported
	Password string
}

// Redacted is the proxy URL safe to show.
func (p *ProxyConfig) Redacted() string {
	if p == nil {
		return ""
	}
	return redact.URL(p.URL)
}

// authenticator produces Proxy-Authorization values for one connection.
type authenticator interface {
	scheme() string
	// next returns the header for the next request given the proxy's last challenge token
	// (nil on the first request); done reports the final leg.
	next(challenge []byte) (header string, err error)
}

type basicAuth struct{ user, pass string }

func (b *basicAuth) scheme() string { return AuthBasic }
func (b *basicAuth) next([]byte) (string, error) {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(b.user+":"+b.pass)), nil
}

// ntlmAuth runs NTLM (or raw NTLM inside Negotiate, which Windows proxies accept) with
// explicit credentials.
type ntlmAuth struct {
	user, pass, headerScheme string
	sent                     int
}

func (n *ntlmAuth) scheme() string { return strings.ToLower(n.headerScheme) }
func (n *ntlmAuth) next(challenge []byte) (string, error) {
	n.sent++
	if challenge == nil {
		msg, err := ntlmssp.NewNegotiateMessage("", "")
		if err != nil {
			return "", err
		}
		return n.headerScheme + " " + base64.StdEncoding.EncodeToString(msg), nil
	}
	msg, err := ntlmssp.NewAuthenticateMessage(challenge, n.user, n.pass, nil)
	if err != nil {
		// Some helpers (squid's ntlm_fake_auth among them) send a challenge whose target
		// name points outside the message; drop the broken fields and answer anyway.
		msg, err = ntlmssp.NewAuthenticateMessage(repairChallenge(challenge), n.user, n.pass, nil)
	}
	if err != nil {
		return "", fmt.Errorf("NTLM: %w", err)
	}
	return n.headerScheme + " " + base64.StdEncoding.EncodeToString(msg), nil
}

func (n *ntlmAuth) result() *facts.ProxyAuthResult {
	return &facts.ProxyAuthResult{Package: PackageNTLM, Principal: n.user, Legs: n.sent}
}

// repairChallenge empties the variable fields (target name, target info) of an NTLM
// CHALLENGE message that point outside it, keeping flags and the server challenge.
func repairChallenge(b []byte) []byte {
	if len(b) < 32 {
		return b
	}
	out := append([]byte(nil), b...)
	for _, at := range []int{12, 40} {
		if at+8 > len(out) {
			continue
		}
		l := int(binary.LittleEndian.Uint16(out[at:]))
		off := int(binary.LittleEndian.Uint32(out[at+4:]))
		if off+l > len(out) || off < 0 {
			binary.LittleEndian.PutUint16(out[at:], 0)
			binary.LittleEndian.PutUint16(out[at+2:], 0)
			binary.LittleEndian.PutUint32(out[at+4:], uint32(len(out)))
		}
	}
	return out
}

// newAuthenticator picks the implementation for a scheme; with no user, NTLM uses the current
// Windows identity (sspi), which only exists on Windows. Negotiate and Kerberos ask a ticket
// for spn: through SSPI on Windows, from a credential cache or keytab elsewhere.
func newAuthenticator(scheme string, p *ProxyConfig, spn string) (authenticator, error) {
	switch scheme {
	case AuthBasic:
		if p.User == "" {
			return nil, errors.New("basic proxy authentication needs --proxy-user")
		}
		// DOMAIN\user is sent as typed: proxies that check Basic against a directory expect it.
		return &basicAuth{user: p.User, pass: p.Password}, nil
	case AuthNTLM:
		if p.User == "" {
			return newSSPIAuth("NTLM")
		}
		return &ntlmAuth{user: p.User, pass: p.Password, headerScheme: "NTLM"}, nil
	case AuthNegotiate, AuthKerberos:
		return newIntegratedAuth(p, spn, scheme == AuthKerberos)
	}
	return nil, fmt.Errorf("unknown proxy authentication %q", scheme)
}

// offeredSchemes lists the schemes of Proxy-Authenticate (or WWW-Authenticate from proxies
// that answer 401, as tinyproxy does), lower-case.
func offeredSchemes(h http.Header) []string {
	var out []string
	for _, key := range []string{"Proxy-Authenticate", "Www-Authenticate"} {
		for _, v := range h.Values(key) {
			f := strings.Fields(v)
			if len(f) == 0 {
				continue
			}
			s := strings.ToLower(strings.TrimSuffix(f[0], ","))
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	}
	return out
}

// challengeToken extracts the token the proxy sent for scheme.
func challengeToken(h http.Header, scheme string) []byte {
	for _, key := range []string{"Proxy-Authenticate", "Www-Authenticate"} {
		for _, v := range h.Values(key) {
			f := strings.Fields(v)
			if len(f) == 2 && strings.EqualFold(f[0], scheme) {
				b, err := base64.StdEncoding.DecodeString(f[1])
				if err == nil {
					return b
				}
			}
		}
	}
	return nil
}

// strongest picks what auto uses among the offered schemes.
func strongest(offered []string, haveUser bool) string {
	for _, s := range []string{AuthNegotiate, AuthNTLM, AuthBasic} {
		if !slices.Contains(offered, s) {
			continue
		}
		if s == AuthBasic && !haveUser {
			continue
		}
		if s == AuthNTLM && !haveUser && !sspiAvailable {
			continue
		}
		if s == AuthNegotiate && !haveUser && !sspiAvailable && !kerberosAvailable() {
			continue
		}
		return s
	}
	return ""
}

// proxyConn is a connection to the proxy with its bounded reader.
type proxyConn struct {
	net.Conn
	br *bufio.Reader
	cr *capReader
	// asked is how much had been read when the latest request was sent: an answer that
	// brings nothing past it was no answer at all.
	asked int64
	// cnames is the CNAME chain of the proxy's name, for the SPN Negotiate asks for.
	cnames []string
}

// Read drains what the bufio reader already holds before reading the socket, so bytes that
// arrived with the proxy's answer are not lost to the tunnel.
func (c *proxyConn) Read(p []byte) (int, error) {
	if c.br.Buffered() > 0 {
		return c.br.Read(p)
	}
	return c.Conn.Read(p)
}

// dialProxy connects to the proxy itself.
func (pr *prober) dialProxy(ctx context.Context, p *ProxyConfig, ev *facts.ProxyEvidence) (*proxyConn, *ProbeError) {
	host, port := p.URL.Hostname(), p.URL.Port()
	if port == "" {
		port = "80"
		if p.URL.Scheme == "https" {
			port = "443"
		}
	}
	addrs := []string{host}
	var cnames []string
	if net.ParseIP(host) == nil {
		d, de := pr.env.Resolver.Lookup(ctx, host)
		if de != nil {
			ev.Error = "resolving the proxy: " + d.Error
			return nil, &ProbeError{Stage: facts.StageProxyConnect, Reason: "dns-" + de.Reason, Detail: "the proxy's name " + host + " did not resolve: " + d.Error}
		}
		addrs = d.Addresses
		cnames = d.CNAMEs
	}
	c, _, err := Connect(ctx, addrs, port)
	if err != nil {
		ce := classifyNetErr(ctx, err)
		ev.Error = ce.Detail
		return nil, &ProbeError{Stage: facts.StageProxyConnect, Reason: ce.Reason, Detail: "cannot connect to the proxy " + p.Redacted() + ": " + ce.Detail}
	}
	pr.detachable(stopOnDone(ctx, c), pr.side != nil)
	cr := &capReader{r: c}
	return &proxyConn{Conn: c, br: bufio.NewReaderSize(cr, 4096), cr: cr, cnames: cnames}, nil
}

// proxyRoundTrip sends req to the proxy (CONNECT, or a request in absolute form) and runs the
// authentication the configuration asks for, on one connection where the scheme needs it.
// It returns the final answer with the connection it arrived on.
func (pr *prober) proxyRoundTrip(ctx context.Context, p *ProxyConfig, req *http.Request, ev *facts.ProxyEvidence) (*proxyConn, *http.Response, []byte, *ProbeError) {
	pc, perr := pr.dialProxy(ctx, p, ev)
	if perr != nil {
		return nil, nil, nil, perr
	}
	var err error
	scheme := p.Auth
	if scheme == "" {
		scheme = AuthNone
	}
	var auth authenticator
	spn := proxySPN(p.URL.Hostname(), pc.cnames)
	if scheme != AuthNone && scheme != AuthAuto {
		ev.AuthTried = scheme
		if auth, err = newAuthenticator(scheme, p, spn); err != nil {
			pc.Close()
			return nil, nil, nil, authProbeError(err, "config", scheme, spn, ev)
		}
	}
	var challenge []byte
	for leg := 0; leg < 4; leg++ {
		req.Header.Del("Proxy-Authorization")
		if auth != nil {
			h, err := auth.next(challenge)
			if err != nil {
				pc.Close()
				noteAuth(auth, ev, false)
				return nil, nil, nil, authProbeError(err, "handshake", auth.scheme(), spn, ev)
			}
			req.Header.Set("Proxy-Authorization", h)
		}
		if err := writeProxyRequest(pc, req); err != nil {
			pc.Close()
			return nil, nil, nil, proxySendFailed(ctx, err)
		}
		resp, body, err := readResponseN(pc.br, pc.cr, req, pr.peekSize(req, req.Method != http.MethodConnect))
		if err != nil {
			pc.Close()
			pe := proxyAnswerFailed(ctx, pc, req.Method, err)
			ev.Error = pe.Detail
			return nil, nil, nil, pe
		}
		ev.StatusLine = statusLine(resp)
		ev.Headers = interestingHeaders(resp.Header)
		isAuthChallenge := resp.StatusCode == http.StatusProxyAuthRequired ||
			(resp.StatusCode == http.StatusUnauthorized && (req.Method == http.MethodConnect || proxyMade(resp.Header)))
		if !isAuthChallenge {
			if auth != nil {
				noteAuth(auth, ev, true)
				if v, ok := auth.(mutualVerifier); ok {
					if tok := challengeToken(resp.Header, AuthNegotiate); tok != nil {
						if err := v.verifyFinal(tok); err != nil {
							pc.Close()
							if ev.Auth != nil {
								ev.Auth.Accepted = false
							}
							return nil, nil, nil, authProbeError(err, ReasonKerberosMutual, auth.scheme(), spn, ev)
						}
					}
				}
			}
			return pc, resp, body, nil
		}
		offered := offeredSchemes(resp.Header)
		ev.AuthOffered = offered
		if scheme == AuthAuto && auth == nil {
			pick := strongest(offered, p.User != "")
			if pick == "" {
				return pc, resp, body, nil
			}
			if auth, err = newAuthenticator(pick, p, spn); err != nil {
				var af *authFailure
				if errors.As(err, &af) {
					ev.AuthTried = pick
					pc.Close()
					return nil, nil, nil, authProbeError(err, "config", pick, spn, ev)
				}
				return pc, resp, body, nil
			}
			ev.AuthTried = pick
			challenge = nil
		} else if auth != nil && (auth.scheme() == AuthNTLM || auth.scheme() == AuthNegotiate) {
			challenge = challengeToken(resp.Header, auth.scheme())
			if challenge == nil {
				// No challenge: the proxy rejected the last leg.
				noteAuth(auth, ev, false)
				return pc, resp, body, nil
			}
		} else {
			return pc, resp, body, nil
		}
		drain(pc.cr, resp)
		if resp.Close {
			// The scheme needs the same connection; a proxy that closes it between legs
			// cannot complete NTLM. Basic can start over on a new connection.
			pc.Close()
			if challenge != nil {
				return nil, nil, nil, &ProbeError{Stage: facts.StageProxyAuth, Reason: "connection-closed",
					Detail: "the proxy closed the connection in the middle of the " + auth.scheme() + " handshake"}
			}
			if pc, perr = pr.dialProxy(ctx, p, ev); perr != nil {
				return nil, nil, nil, perr
			}
		}
	}
	pc.Close()
	return nil, nil, nil, &ProbeError{Stage: facts.StageProxyAuth, Reason: "loop", Detail: "the proxy kept asking for authentication"}
}

func writeProxyRequest(pc *proxyConn, req *http.Request) error {
	pc.asked = pc.cr.read
	bw := bufio.NewWriter(pc.Conn)
	var err error
	if req.Method == http.MethodConnect {
		err = req.Write(bw)
	} else {
		err = req.WriteProxy(bw)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

// proxyFailure turns a proxy's non-success answer into the failure lane it belongs to.
func proxyFailure(resp *http.Response, body []byte, target string, ev *facts.ProxyEvidence) *ProbeError {
	ev.PageTitle = origin.Title(body)
	code := resp.StatusCode
	reason := fmt.Sprintf("status-%d", code)
	why := ""
	if e := resp.Header.Get("X-Squid-Error"); e != "" {
		why = " (" + e + ")"
	}
	switch {
	case code == http.StatusProxyAuthRequired || code == http.StatusUnauthorized:
		tried := ev.AuthTried
		if tried == "" {
			tried = "none"
		}
		if pe := integratedRefusal(ev); pe != nil {
			return pe
		}
		return &ProbeError{Stage: facts.StageProxyAuth, Reason: reason,
			Detail: fmt.Sprintf("the proxy refused the credentials (tried %s; it offers %s)", tried, strings.Join(ev.AuthOffered, ", "))}
	case code == http.StatusForbidden || code == 451 || (code >= 400 && code < 500):
		return &ProbeError{Stage: facts.StageProxyDenied, Reason: reason,
			Detail: fmt.Sprintf("the proxy denied %s: %s%s", target, statusLine(resp), why)}
	case code >= 500:
		return &ProbeError{Stage: facts.StageProxyUpstream, Reason: reason,
			Detail: fmt.Sprintf("the proxy could not reach %s: %s%s", target, statusLine(resp), why)}
	}
	return &ProbeError{Stage: facts.StageProxyDenied, Reason: "proxy-made-" + strconv.Itoa(code),
		Detail: fmt.Sprintf("the proxy answered %s itself instead of relaying the origin: %s%s", target, statusLine(resp), why)}
}

// stopOnDone makes every blocking call on c return when ctx ends (deadline or Ctrl-C).
// It returns the function that undoes the second part (a connection kept past the check).
func stopOnDone(ctx context.Context, c net.Conn) func() bool {
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	return context.AfterFunc(ctx, func() { c.SetDeadline(aLongTimeAgo) })
}

var errNoSSPI = errors.New("authenticating as the current Windows identity needs Windows; pass --proxy-user and CMPREFLIGHT_PROXY_PASSWORD")
