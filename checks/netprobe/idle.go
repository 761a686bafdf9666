package netprobe

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cmpreflight/cmpreflight/facts"
)

// IdleTunnel opens a tunnel through the proxy to host:443, makes one request, stays idle for
// wait, then makes a second request on the same connection. The service connection point
// keeps such a long-lived connection to *.manage.microsoft.com, and Microsoft asks for a proxy
// idle timeout of at least three minutes (docs/design.md, "The proxy").
func (env *Env) IdleTunnel(ctx context.Context, host string, wait time.Duration) facts.Check {
	start := time.Now()
	c := facts.Check{ID: "proxy/idle-tunnel", Kind: "https", Host: host, Port: 443, URL: "https://" + host + "/",
		Route: facts.RouteProxy, Groups: []string{"proxy"}, Sources: []string{"IE"}}
	// The idle-tunnel evidence is attached only once a tunnel is up: a check that never got
	// that far says nothing about the proxy's idle timeout.
	ev := &facts.ProxyEvidence{Method: http.MethodConnect}
	c.Evidence.Proxy = ev
	fail := func(stage, reason, detail string) facts.Check {
		c.Status, c.Stage, c.Reason, c.Message = facts.StatusFail, stage, reason, detail
		c.Timings.Total = time.Since(start).Milliseconds()
		if ev.IdleTunnel != nil {
			ev.IdleTunnel.Error = detail
		}
		return c
	}
	var p *ProxyConfig
	if env.ProxyFor != nil {
		p = env.ProxyFor(host, 443, "https")
	}
	if p == nil {
		c.Status, c.Reason, c.Message = facts.StatusSkip, "no-proxy", "no proxy applies to "+host+": the idle-tunnel check needs one"
		return c
	}
	c.ProxyURL, ev.URL = p.Redacted(), p.Redacted()
	timeout := env.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	// Phase deadlines are the check timeout; the idle wait itself is added on top.
	ctx, cancel := context.WithTimeout(ctx, 2*timeout+wait)
	defer cancel()
	tc, pc, perr := (&prober{env: env}).openTunnel(ctx, p, host, &c, ev)
	if perr != nil {
		return fail(perr.Stage, perr.Reason, perr.Detail)
	}
	defer pc.Close()
	cr := &capReader{r: tc}
	br := bufio.NewReader(cr)
	var last *http.Response
	ask := func() error {
		req, _ := http.NewRequest(http.MethodHead, "https://"+host+"/", nil)
		req.Header.Set("User-Agent", env.UserAgent)
		if err := req.Write(tc); err != nil {
			return err
		}
		resp, _, err := readResponse(br, cr, req, false)
		if err != nil {
			return err
		}
		last = resp
		c.Evidence.HTTP = &facts.HTTPEvidence{Method: http.MethodHead, URL: req.URL.String(), StatusCode: resp.StatusCode, StatusLine: statusLine(resp)}
		return nil
	}
	if err := ask(); err != nil {
		pe := classifyReadErr(ctx, facts.StageHTTP, err)
		return fail(pe.Stage, pe.Reason, "first request in the tunnel: "+pe.Detail)
	}
	if pe := httpFailure(last); pe != nil {
		return fail(pe.Stage, pe.Reason, pe.Detail)
	}
	if last.Close {
		c.Status, c.Reason = facts.StatusSkip, "origin-closes"
		c.Message = host + " closes the connection after each answer, so it cannot show whether the proxy keeps an idle tunnel"
		c.Timings.Total = time.Since(start).Milliseconds()
		return c
	}
	ev.IdleTunnel = &facts.IdleTunnel{ProbeHost: host, IdleMs: wait.Milliseconds()}
	select {
	case <-time.After(wait):
	case <-ctx.Done():
		c.Status, c.Reason, c.Message = facts.StatusError, "interrupted", "the run ended during the idle wait"
		c.Timings.Total = time.Since(start).Milliseconds()
		return c
	}
	if err := ask(); err != nil {
		ce := classifyNetErr(ctx, err)
		return fail(facts.StageProxyConnect, "idle-closed", fmt.Sprintf("the proxy closed the tunnel to %s after %s idle (%s); Microsoft asks for an idle timeout of at least 3 minutes", host, wait.Round(time.Second), ce.Reason))
	}
	ev.IdleTunnel.Survived = true
	c.Status = facts.StatusPass
	c.Message = "the tunnel survived " + strconv.FormatInt(wait.Milliseconds()/1000, 10) + " s idle"
	c.Timings.Total = time.Since(start).Milliseconds()
	return c
}

// openTunnel asks the proxy for CONNECT host:443 and runs TLS inside the tunnel; it returns
// the TLS connection and the tunnel to close.
func (pr *prober) openTunnel(ctx context.Context, p *ProxyConfig, host string, c *facts.Check, ev *facts.ProxyEvidence) (net.Conn, net.Conn, *ProbeError) {
	target := net.JoinHostPort(host, "443")
	creq := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: target}, Host: target,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{"User-Agent": {pr.env.UserAgent}}}
	pc, resp, body, perr := pr.proxyRoundTrip(ctx, p, creq, ev)
	if perr != nil {
		return nil, nil, perr
	}
	if resp.StatusCode/100 != 2 {
		pc.Close()
		return nil, nil, proxyFailure(resp, body, target, ev)
	}
	tun := newTunnel(pc, statusLine(resp), target)
	tc, tev, err := Handshake(ctx, tun, host, pr.env.Trust)
	c.Evidence.TLS = tev
	if err != nil {
		pc.Close()
		if pe := tunnelEnded(ctx, tun, err); pe != nil {
			return nil, nil, pe
		}
		var te *TLSError
		if errors.As(err, &te) {
			return nil, nil, &ProbeError{Stage: te.Stage, Reason: te.Reason, Detail: te.Detail}
		}
		return nil, nil, &ProbeError{Stage: facts.StageTLS, Reason: "handshake", Detail: err.Error()}
	}
	return tc, pc, nil
}
