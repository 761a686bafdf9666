package netprobe

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/cmpreflight/cmpreflight/checks/origin"
	"github.com/cmpreflight/cmpreflight/facts"
)

// detachable remembers how to detach a connection from the check's context, when it may be
// kept past the check.
func (pr *prober) detachable(stop func() bool, keep bool) {
	if keep {
		pr.stops = append(pr.stops, stop)
	}
}

// detach stops the check's context from cutting its kept connection; false when the context
// already ended (the connection is being cut).
func (pr *prober) detach() bool {
	ok := true
	for _, s := range pr.stops {
		if !s() {
			ok = false
		}
	}
	pr.stops = nil
	return ok
}

// firstAnswer keeps the check's first answer, what a proof is about.
func (pr *prober) firstAnswer(u *url.URL, method string, resp *http.Response, body []byte) {
	if pr.first == nil {
		a := answerOf(u, resp, body)
		pr.first, pr.firstMethod = &a, method
	}
}

// prove decides a plain-HTTP check that nothing refused: its first answer is the origin's
// only with a proof anchored in what TLS verified in this run (https-upgrade, https-match).
// Without one it is a warn, unverified-origin, whose message says what was compared and what
// differed; prev is the judgement that could not tell who answered, if any.
func (pr *prober) prove(ctx context.Context, c *facts.Check, u *url.URL, p *ProxyConfig, route string, prev *ProbeError) *ProbeError {
	a := pr.first
	if a == nil {
		return pr.noProof(c, u, origin.ByNoProof, "no answer was read", prev)
	}
	said := describe(*a, "port "+portString(u))
	if origin.IsUpgrade(a.Target, a.StatusCode, a.Header.Get("Location")) {
		root, why := pr.upgradeVerified(ctx, c, a.Target, route, prev)
		if why != "" {
			return pr.noProof(c, u, origin.ByNoProof, fmt.Sprintf("%s (an upgrade to HTTPS), but %s's chain was not verified in this run: %s", said, a.Target.Hostname(), why), prev)
		}
		pr.proven(c, origin.ByHTTPSUpgrade, fmt.Sprintf("%s (an upgrade to HTTPS) and %s's chain verified to the expected roots in this run%s", said, a.Target.Hostname(), rootNote(root)))
		return nil
	}
	hu := httpsURL(a.Target)
	ans, root, why := pr.httpsAnswer(ctx, c, hu, route)
	if ans == nil {
		return pr.noProof(c, u, origin.ByNoProof, fmt.Sprintf("%s; no answer of %s over verified HTTPS to compare it with: %s", said, hu.Host, why), prev)
	}
	plain, secure := origin.ShapeOf(*a), origin.ShapeOf(*ans)
	if diffs := plain.Differences(secure); len(diffs) > 0 {
		return pr.noProof(c, u, origin.ByHTTPSMismatch, fmt.Sprintf("%s where HTTPS (chain verified) answered %s: %s differ", said, describe(*ans, ""), strings.Join(diffs, ", ")), prev)
	}
	pr.proven(c, origin.ByHTTPSMatch, fmt.Sprintf("%s, as HTTPS did in a chain verified to the expected roots%s", said, rootNote(root)))
	return nil
}

// proveEnd holds the last answer of a redirect chain that ended on plain HTTP to the proof
// the first answer needed: the first answer being the origin's says nothing of the hop it
// led to (another host, which a sinkhole may answer). It is compared with the same request
// over verified HTTPS, on a connection of its own (such chains are rare).
func (pr *prober) proveEnd(ctx context.Context, c *facts.Check, u *url.URL, route string) *ProbeError {
	a := pr.end
	if a == nil {
		return nil
	}
	said := fmt.Sprintf("the redirect chain ended at %s, which answered %s", a.Target, describe(*a, ""))
	hu := httpsURL(a.Target)
	ans, _, why := pr.ownHTTPS(ctx, c.ID, hu, route)
	var pe *ProbeError
	if ans == nil {
		pe = pr.noProof(c, u, origin.ByNoProof, fmt.Sprintf("%s; no answer of %s over verified HTTPS to compare it with: %s", said, hu.Host, why), nil)
	} else if diffs := origin.ShapeOf(*a).Differences(origin.ShapeOf(*ans)); len(diffs) > 0 {
		pe = pr.noProof(c, u, origin.ByHTTPSMismatch, fmt.Sprintf("%s where HTTPS (chain verified) answered %s: %s differ", said, describe(*ans, ""), strings.Join(diffs, ", ")), nil)
	}
	if pe != nil {
		c.Evidence.Origin.LookAt = "open " + a.Target.String() + " and " + hu.String() + " from this server: a filter's or portal's page on plain HTTP means the link does not reach the origin"
		return pe
	}
	if c.Evidence.Origin != nil {
		c.Evidence.Origin.Detail += "; the chain's last answer, from " + a.Target.Host + ", matched HTTPS too"
	}
	return nil
}

// upgradeVerified tells whether target's host had its chain verified in this run: by this
// check itself (it followed the redirect), by the HTTPS check of the host, or by a handshake
// of its own. root names the chain's top; why says what failed.
func (pr *prober) upgradeVerified(ctx context.Context, c *facts.Check, target *url.URL, route string, prev *ProbeError) (root, why string) {
	if prev == nil && c.Evidence.HTTP != nil && pr.env.Trust.ExpectedPool() != nil {
		for _, r := range c.Evidence.HTTP.Redirects {
			if ru, err := url.Parse(r.URL); err == nil && ru.Scheme == "https" && strings.EqualFold(ru.Hostname(), target.Hostname()) && portOf(ru) == 443 {
				// This check's own hop over verified TLS (a failed handshake fails the check).
				return "", ""
			}
		}
	}
	_, root, why = pr.httpsAnswer(ctx, c, httpsURL(target), route)
	return root, why
}

// httpsAnswer is the answer to GET hu over TLS verified to the expected roots: the HTTPS check
// of the host's answer when it asked the same, else one more request on its kept connection,
// else (no HTTPS check of the host in the run, or its connection is gone) a connection of its
// own. nil, with why, when no verified answer can be had.
func (pr *prober) httpsAnswer(ctx context.Context, c *facts.Check, hu *url.URL, route string) (ans *origin.Answer, root, why string) {
	if s := pr.peer; s != nil {
		if !s.wait(ctx) {
			return nil, "", "the HTTPS check of " + hu.Host + " did not finish before this check's deadline"
		}
		if !s.verified {
			return nil, "", s.failed
		}
		if s.answer != nil && s.method == http.MethodGet && sameRequest(s.asked, hu) {
			return s.answer, s.root, ""
		}
		req := pr.plainRequest(hu)
		if resp, body, ok := s.ask(ctx, req); ok {
			a := answerOf(hu, resp, body)
			return &a, s.root, ""
		}
	}
	if pr.own != nil && sameRequest(pr.ownURL, hu) {
		select {
		case o := <-pr.own:
			pr.own = nil
			return o.ans, o.root, o.why
		case <-ctx.Done():
			return nil, "", "HTTPS to " + hu.Host + " did not answer before this check's deadline"
		}
	}
	return pr.ownHTTPS(ctx, c.ID, hu, route)
}

// ownAnswer is what a check's own HTTPS request to its host got.
type ownAnswer struct {
	ans       *origin.Answer
	root, why string
}

// startOwnHTTPS asks hu over a TLS connection of the check's own, beside its plain request: a
// port-80 check whose host has no HTTPS check in the run then waits for no handshake after its
// answer.
func (pr *prober) startOwnHTTPS(ctx context.Context, id string, hu *url.URL, route string) {
	ch := make(chan ownAnswer, 1)
	pr.own, pr.ownURL = ch, hu
	go func() {
		a, root, why := pr.ownHTTPS(ctx, id, hu, route)
		ch <- ownAnswer{a, root, why}
	}()
}

// ownHTTPS asks hu over a new TLS connection, verified as any check's. It records nothing on
// the check (a scratch check takes the hop's evidence).
func (pr *prober) ownHTTPS(ctx context.Context, id string, hu *url.URL, route string) (ans *origin.Answer, root, why string) {
	var p *ProxyConfig
	if pr.env.ProxyFor != nil && route != facts.RouteDirect {
		p = pr.env.ProxyFor(hu.Hostname(), 443, "https")
	}
	h := &hop{pr: pr, c: &facts.Check{ID: id}, u: hu, p: p, host: hu.Hostname(), port: "443", peek: true, aside: true}
	resp, perr := h.fetch(ctx, http.MethodGet)
	if perr != nil {
		return nil, "", fmt.Sprintf("HTTPS to %s failed at %s (%s): %s", hu.Host, perr.Stage, perr.Reason, perr.Detail)
	}
	if !anchored(h.tev) {
		return nil, "", fmt.Sprintf("HTTPS to %s: no expected roots were given to verify its chain against", hu.Host)
	}
	if len(h.tev.Chain) > 0 {
		root = h.tev.Chain[len(h.tev.Chain)-1].Issuer
	}
	a := answerOf(hu, resp, h.body)
	return &a, root, ""
}

// plainRequest is the request a port-80 check sends, for u.
func (pr *prober) plainRequest(u *url.URL) *http.Request {
	return &http.Request{Method: http.MethodGet, URL: u, Host: u.Host, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"User-Agent": {pr.env.UserAgent}, "Accept": {"*/*"}}}
}

// httpsURL is u over HTTPS on the default port.
func httpsURL(u *url.URL) *url.URL {
	v := *u
	v.Scheme, v.Host = "https", u.Hostname()
	if strings.Contains(v.Host, ":") {
		v.Host = "[" + v.Host + "]"
	}
	return &v
}

func sameRequest(a, b *url.URL) bool {
	if a == nil || b == nil {
		return false
	}
	pa, pb := a.EscapedPath(), b.EscapedPath()
	if pa == "" {
		pa = "/"
	}
	if pb == "" {
		pb = "/"
	}
	return strings.EqualFold(a.Hostname(), b.Hostname()) && pa == pb && a.RawQuery == b.RawQuery
}

func portString(u *url.URL) string { return fmt.Sprint(portOf(u)) }

func rootNote(root string) string {
	if root == "" {
		return ""
	}
	return " (" + root + ")"
}

// describe names an answer the way a message shows it: "302 to https://…", "200 text/html
// 'Contoso …'".
func describe(a origin.Answer, prefix string) string {
	out := fmt.Sprint(a.StatusCode)
	if prefix != "" {
		out = prefix + " answered " + out
	}
	if loc := a.Header.Get("Location"); loc != "" && a.StatusCode/100 == 3 {
		if len(loc) > 120 {
			loc = loc[:120] + "…"
		}
		return out + " to " + loc
	}
	if ct := a.Header.Get("Content-Type"); ct != "" {
		if i := strings.IndexByte(ct, ';'); i >= 0 {
			ct = ct[:i]
		}
		out += " " + strings.TrimSpace(ct)
	}
	if t := origin.Title(a.Body); t != "" {
		out += fmt.Sprintf(" %q", t)
	}
	if s := a.Header.Get("Server"); s != "" {
		out += " (Server " + s + ")"
	}
	return out
}

// originOf is the check's origin evidence, made when missing, with the fingerprint of the
// first answer read.
func (pr *prober) originOf(c *facts.Check) *facts.OriginEvidence {
	if c.Evidence.Origin == nil {
		c.Evidence.Origin = &facts.OriginEvidence{}
	}
	o := c.Evidence.Origin
	if o.Page == nil && pr.first != nil {
		pg := origin.Fingerprint(*pr.first)
		o.Page = &pg
	}
	return o
}

// proven records the proof on the check's origin evidence.
func (pr *prober) proven(c *facts.Check, by, detail string) {
	o := pr.originOf(c)
	o.Origin, o.Means, o.Reason, o.By, o.Product, o.Source, o.LookAt = true, "", "", by, "", "", ""
	o.Detail = detail
}

// noProof is the warn of an answer nothing proves the origin wrote. What the first judgement
// said about who answered (a relay, a page no canary showed) stays in the message.
func (pr *prober) noProof(c *facts.Check, u *url.URL, by, detail string, prev *ProbeError) *ProbeError {
	o := pr.originOf(c)
	if prev != nil {
		detail += "; before that: " + strings.TrimPrefix(prev.Detail, u.Host+": ")
	}
	o.Origin, o.Means, o.Reason, o.By, o.Detail = false, "", origin.ReasonUnverified, by, detail
	o.LookAt = "open http://" + u.Host + u.EscapedPath() + " and https://" + u.Hostname() + u.EscapedPath() + " from this server: a filter's or portal's page on port 80 means port 80 does not reach the origin"
	return &ProbeError{Stage: facts.StageHTTP, Reason: origin.ReasonUnverified, Warn: true,
		Detail: u.Host + ": who answered cannot be verified: " + detail}
}
