package netprobe

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/neterr"
)

// Reasons of a proxy that took the connection and then ended it without a word. They are not
// the proxy refusing connections (it accepted this one) and, after a 200 to CONNECT, not a
// TLS failure (no byte of a handshake came back): what to fix is on the proxy.
const (
	// The proxy accepted the connection and the request (CONNECT, or GET in absolute form)
	// and closed, reset or kept it without sending any answer: stage proxy-connect.
	ReasonProxyClosed = "proxy-closed"
	ReasonProxyReset  = "proxy-reset"
	ReasonProxySilent = "proxy-silent"
	// The proxy answered 2xx to CONNECT, then closed or reset the tunnel, or nothing came
	// back through it, before a byte of the destination's TLS handshake: stage
	// proxy-upstream. A filter on the proxy that drops TLS to the name (SNI or category
	// filtering), or a proxy that answers 200 before it connects and then fails to.
	ReasonTunnelClosed = "tunnel-closed"
	ReasonTunnelReset  = "tunnel-reset"
	ReasonTunnelSilent = "tunnel-silent"
)

// tunnelConn is a CONNECT tunnel: it counts what came back through it, so that a tunnel that
// ended before the destination said anything is told from a TLS failure.
type tunnelConn struct {
	net.Conn
	got        int64
	statusLine string // the proxy's answer to CONNECT
	target     string // host:port
}

func newTunnel(c net.Conn, statusLine, target string) *tunnelConn {
	return &tunnelConn{Conn: c, statusLine: statusLine, target: target}
}

func (t *tunnelConn) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	t.got += int64(n)
	return n, err
}

// tunnelEnded names a handshake failure inside a tunnel that brought nothing back: the
// proxy closed, reset or held the tunnel after its 2xx. Nil when conn is no tunnel, when the
// destination sent something (then the TLS failure is real), or for another kind of error.
func tunnelEnded(ctx context.Context, conn net.Conn, err error) *ProbeError {
	t, ok := conn.(*tunnelConn)
	if !ok || t.got > 0 {
		return nil
	}
	host, _, _ := net.SplitHostPort(t.target)
	// The handshake's error carries the classified reason; a bare error is classified here.
	kind := neterr.Reason(ctx, err)
	var te *TLSError
	if errors.As(err, &te) {
		kind = te.Reason
	}
	var reason, how string
	switch kind {
	case neterr.Closed:
		reason, how = ReasonTunnelClosed, "closed the tunnel"
	case neterr.Reset:
		reason, how = ReasonTunnelReset, "reset the tunnel"
	case neterr.Timeout:
		reason, how = ReasonTunnelSilent, "held the tunnel open with nothing coming back through it"
	default:
		return nil
	}
	return &ProbeError{Stage: facts.StageProxyUpstream, Reason: reason,
		Detail: fmt.Sprintf("the proxy answered %q to CONNECT %s, then %s before %s sent a byte of its TLS handshake: a filter on the proxy drops TLS to this name, or the proxy could not reach %s and hid it behind its 200",
			t.statusLine, t.target, how, host, host)}
}

// proxySendFailed names a failure to send a request to a proxy that accepted the connection.
func proxySendFailed(ctx context.Context, err error) *ProbeError {
	ce := classifyNetErr(ctx, err)
	reason := ce.Reason
	switch reason {
	case neterr.Reset:
		reason = ReasonProxyReset
	case neterr.Closed:
		reason = ReasonProxyClosed
	}
	return &ProbeError{Stage: facts.StageProxyConnect, Reason: reason, Detail: "the proxy accepted the connection but not the request: " + ce.Detail}
}

// proxyAnswerFailed names a failure while waiting for a proxy's answer. A proxy that sent
// nothing at all took the connection and the request and then ended it without a word,
// which is not "does not accept connections"; one that sent part of an answer is a bad one.
func proxyAnswerFailed(ctx context.Context, pc *proxyConn, method string, err error) *ProbeError {
	pe := classifyReadErr(ctx, facts.StageProxyConnect, err)
	if pc.cr.read == pc.asked {
		switch pe.Reason {
		case neterr.Closed:
			pe.Reason, pe.Detail = ReasonProxyClosed, "the proxy accepted the connection and the request, then closed it without answering"
		case neterr.Reset:
			pe.Reason, pe.Detail = ReasonProxyReset, "the proxy accepted the connection and the request, then reset it without answering"
		case neterr.Timeout:
			pe.Reason, pe.Detail = ReasonProxySilent, "the proxy accepted the connection and the request but sent no answer in time (the proxy, or the destination it waits for, is silent)"
		}
	} else if pe.Reason == neterr.Closed || pe.Reason == neterr.Reset || pe.Reason == neterr.Timeout {
		// Part of an answer, then nothing: an unusable answer, not a refused connection.
		pe.Reason, pe.Detail = "bad-response", "the proxy sent part of an answer, then "+pe.Detail
	}
	pe.Detail = "waiting for the proxy's answer to " + method + ": " + pe.Detail
	return pe
}
