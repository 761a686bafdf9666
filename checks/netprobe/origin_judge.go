package netprobe

import (
	"context"
	"github.com/cmpreflight/cmpreflight/facts"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/cmpreflight/cmpreflight/checks/origin"
)

// envCanaries holds each Env's canary memory (learnt once per route per run).
var envCanaries sync.Map // *Env -> *origin.Canaries

func (env *Env) canaries() *origin.Canaries {
	if env.Canaries != nil {
		return env.Canaries
	}
	c, _ := envCanaries.LoadOrStore(env, &origin.Canaries{})
	return c.(*origin.Canaries)
}

// answerOf turns a response into what the origin judgement reads.
func answerOf(u *url.URL, resp *http.Response, body []byte) origin.Answer {
	return origin.Answer{Target: u, StatusCode: resp.StatusCode, Status: resp.Status, Header: resp.Header, Body: body}
}

// learnRoute learns the proxy's canary answers for this route: plain HTTP requests in
// absolute form, or CONNECT for TLS.
func (pr *prober) learnRoute(ctx context.Context, p *ProxyConfig, scheme string) *origin.Learnt {
	return pr.env.canaries().Learn(p.Redacted(), scheme, func(target *url.URL) (origin.Answer, error) {
		ev := &facts.ProxyEvidence{}
		var req *http.Request
		if scheme == "https" {
			hp := target.Hostname() + ":443"
			req = &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: hp}, Host: hp,
				Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{"User-Agent": {pr.env.UserAgent}}}
		} else {
			req = &http.Request{Method: http.MethodGet, URL: target, Host: target.Host, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
				Header: http.Header{"User-Agent": {pr.env.UserAgent}, "Accept": {"*/*"}}}
		}
		pc, resp, body, perr := pr.proxyRoundTrip(ctx, p, req, ev)
		if perr != nil {
			return origin.Answer{}, perr
		}
		pc.Close()
		return answerOf(target, resp, body), nil
	})
}

// judgeFailure turns a judgement that a proxy or filter answered into the check's failure:
// through a proxy at proxy-denied or proxy-upstream, direct at http.
func judgeFailure(v origin.Verdict, proxied bool, host string) *ProbeError {
	stage := facts.StageHTTP
	switch {
	case proxied && v.Means == origin.MeansBlock:
		stage = facts.StageProxyDenied
	case proxied:
		stage = facts.StageProxyUpstream
	}
	detail := v.Detail
	if v.Product != "" {
		detail += " [" + v.Product + "]"
	}
	return &ProbeError{Stage: stage, Reason: v.Reason, Detail: host + ": " + detail}
}

// unverified is the warn of an answer whose author cannot be told.
func unverified(v origin.Verdict, host string) *ProbeError {
	d := host + ": who answered cannot be verified: " + v.Detail
	if v.LookAt != "" {
		d += "; look at: " + v.LookAt
	}
	return &ProbeError{Stage: facts.StageHTTP, Reason: origin.ReasonUnverified, Detail: d, Warn: true}
}

// leavesSite tells whether a redirect from host to next goes to another registrable domain
// that is not one of the catalog's.
func (env *Env) leavesSite(host, next string) bool {
	if origin.SameSite(host, next) {
		return false
	}
	for _, h := range env.CatalogHosts {
		if strings.EqualFold(h, next) || origin.SameSite(h, next) {
			return false
		}
	}
	return true
}

// recordOrigin keeps a judgement on the check (first hop, or the hop that decided).
func recordOrigin(c *facts.Check, v origin.Verdict, l *origin.Learnt) {
	c.Evidence.Origin = &facts.OriginEvidence{Verdict: v, Canaries: l}
}

// SamePageAcrossHosts compares the pages of the passing plain-HTTP checks: one page served
// for several different hosts turns those passes into the block (or unverified-origin)
// verdict origin.SamePage gives.
func SamePageAcrossHosts(cs []facts.Check) {
	var seen []origin.Seen
	var at []int
	for i, c := range cs {
		// Passes, and warns whose author could not be told (a second look may settle them).
		unsure := c.Status == facts.StatusWarn && c.Reason == origin.ReasonUnverified
		if c.Status != facts.StatusPass && !unsure || c.Evidence.Origin == nil || c.Evidence.Origin.Page == nil {
			continue
		}
		if origin.Proven(c.Evidence.Origin.By) {
			// Proven inside verified TLS (or by a signature): two hosts of one origin may
			// serve one page, a filter's page does not match the origin's HTTPS answer.
			continue
		}
		seen = append(seen, origin.Seen{Host: c.Host, Page: *c.Evidence.Origin.Page})
		at = append(at, i)
	}
	for j, v := range origin.SamePage(seen) {
		c := &cs[at[j]]
		if c.Status == facts.StatusWarn && v.Means == "" {
			continue // already a warn, with its own evidence
		}
		proxied := c.Route == facts.RouteProxy
		l := c.Evidence.Origin.Canaries
		var pe *ProbeError
		if v.Means != "" {
			pe = judgeFailure(v, proxied, c.Host)
			c.Status = facts.StatusFail
		} else {
			pe = unverified(v, c.Host)
			c.Status = facts.StatusWarn
		}
		c.Stage, c.Reason, c.Message = pe.Stage, pe.Reason, pe.Detail
		recordOrigin(c, v, l)
	}
}
