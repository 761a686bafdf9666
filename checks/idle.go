package checks

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// IdleTunnel opens a tunnel through the proxy to host:443, makes one request, stays idle for
// wait, then makes a second request on the same connection. The service connection point
// keeps such a long-lived connection to *.manage.microsoft.com, and Microsoft asks for a proxy
// idle timeout of at least three minutes (scp-facts.md, section 1).
func (env *Env) IdleTunnel(ctx context.Context, host string, wait time.Duration) Check {
	start := time.Now()
	c := Check{ID: "proxy/idle-tunnel", Kind: "https", Host: host, Port: 443, URL: "https://" + host + "/",
		Route: RouteProxy, Groups: []string{"proxy"}, Sources: []string{"IE"}}
	ev := &ProxyEvidence{Method: http.MethodConnect, IdleTunnel: &IdleTunnel{ProbeHost: host, IdleMs: wait.Milliseconds()}}
	c.Evidence.Proxy = ev
	fail := func(stage, reason, detail string) Check {
		c.Status, c.Stage, c.Reason, c.Message = StatusFail, stage, reason, detail
		c.Timings.Total = time.Since(start).Milliseconds()
		ev.IdleTunnel.Error = detail
		return c
	}
	var p *ProxyConfig
	if env.ProxyFor != nil {
		p = env.ProxyFor(host, 443, "https")
	}
	if p == nil {
		c.Status, c.Reason, c.Message = StatusSkip, "no-proxy", "no proxy applies to "+host+": the idle-tunnel check needs one"
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
	pr := &prober{env: env}
	target := net.JoinHostPort(host, "443")
	creq := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: target}, Host: target,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{"User-Agent": {env.UserAgent}}}
	pc, resp, body, perr := pr.proxyRoundTrip(ctx, p, creq, ev)
	if perr != nil {
		return fail(perr.Stage, perr.Reason, perr.Detail)
	}
	defer pc.Close()
	if resp.StatusCode/100 != 2 {
		pe := proxyFailure(resp, body, target, ev)
		return fail(pe.Stage, pe.Reason, pe.Detail)
	}
	tc, tev, err := Handshake(ctx, pc, host, env.Trust)
	c.Evidence.TLS = tev
	if err != nil {
		return fail(StageTLS, "handshake", err.Error())
	}
	cr := &capReader{r: tc}
	br := bufio.NewReader(cr)
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
		c.Evidence.HTTP = &HTTPEvidence{Method: http.MethodHead, URL: req.URL.String(), StatusCode: resp.StatusCode, StatusLine: statusLine(resp)}
		return nil
	}
	if err := ask(); err != nil {
		return fail(StageHTTP, "bad-response", "first request in the tunnel: "+err.Error())
	}
	select {
	case <-time.After(wait):
	case <-ctx.Done():
		return fail(StageProxyConnect, "interrupted", "the run ended during the idle wait")
	}
	if err := ask(); err != nil {
		ce := classifyNetErr(ctx, err)
		return fail(StageProxyConnect, "idle-closed", fmt.Sprintf("the proxy closed the tunnel to %s after %s idle (%s); Microsoft asks for an idle timeout of at least 3 minutes", host, wait.Round(time.Second), ce.Reason))
	}
	ev.IdleTunnel.Survived = true
	c.Status = StatusPass
	c.Message = "the tunnel survived " + strconv.FormatInt(wait.Milliseconds()/1000, 10) + " s idle"
	c.Timings.Total = time.Since(start).Milliseconds()
	return c
}
