package netprobe

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/checks/origin"
	"github.com/cmpreflight/cmpreflight/checks/revocation"
	"github.com/cmpreflight/cmpreflight/facts"
)

// proxiedDNSGrace is how long a proxied check waits, once the proxy has answered, for its own
// (informational) resolution of the target before recording it as timed out.
const proxiedDNSGrace = time.Second

// aLongTimeAgo is a deadline in the past: setting it makes blocked I/O return at once.
var aLongTimeAgo = time.Unix(1, 0)

// Env is what every endpoint check shares in one run.
type Env struct {
	Resolver *Resolver
	Trust    Trust
	// Timeout bounds one check, every phase and redirect included.
	Timeout time.Duration
	// ProxyFor returns the proxy for a target, or nil for a direct connection.
	ProxyFor  func(host string, port int, scheme string) *ProxyConfig
	UserAgent string
	// Canaries learns each proxy's own answers once per run (nil: one per Env).
	Canaries *origin.Canaries
	// CatalogHosts are the run's endpoint hosts: a redirect to one of their domains stays
	// in the catalog; any other is followed and judged.
	CatalogHosts []string
	// chains, set by the Runner, collects the chains verified in the run that name
	// revocation URLs (a port-80 check of a revocation host asks what they name).
	chains *chainStore
	// OnPhase, when set, is told each phase of each request as it ends (from the check's
	// goroutine): the check's id, the request's URL, the phase (PhaseDNS...) and its duration.
	OnPhase func(check, url, phase string, took time.Duration)
}

type prober struct {
	env *Env
	// side, on an HTTPS check that port-80 checks of its host wait for: where it publishes
	// its outcome and keeps its first connection.
	side *httpsSide
	kept *keptConn
	// peer, on a port-80 check: the HTTPS check of its host and route, when the run has one.
	peer *httpsSide
	// stops detach the first connection from the check's context when it is kept.
	stops []func() bool
	// first is the check's first answer (its body peeked when it was read).
	first *origin.Answer
	// firstMethod is the method of the first request.
	firstMethod string
	// rev, on a port-80 check of a revocation host: the signed object asked for instead of
	// GET / (its answer is verified against the issuing CA).
	rev *revocation.Request
	// own, on a port-80 check whose host has no HTTPS check in the run: the answer of its
	// own HTTPS request to ownURL, asked beside the plain one.
	own    chan ownAnswer
	ownURL *url.URL
	// lastPlain is the answer of the latest plain-HTTP redirect hop; end keeps it when the
	// chain ended there: an answer the first one's proof says nothing about.
	lastPlain, end *origin.Answer
}

// RunTarget runs one network check. route forces "direct" or "proxy" (for --compare-direct);
// empty lets ProxyFor decide.
func (env *Env) RunTarget(ctx context.Context, t catalog.Target, route string) facts.Check {
	return env.runTarget(ctx, t, route, nil, nil)
}

// runTarget runs one check to its end; side is set on an HTTPS check that port-80 checks wait
// for, peer on a port-80 check whose host has an HTTPS check in the run.
func (env *Env) runTarget(ctx context.Context, t catalog.Target, route string, side, peer *httpsSide) facts.Check {
	c, rest := env.startTarget(ctx, t, route, side, peer)
	if rest != nil {
		return rest()
	}
	return c
}

// startTarget runs a check up to its answer. A port-80 check whose proof waits for the HTTPS
// check of its host returns rest instead, which waits and completes the check: the runner's
// worker is free for the next check meanwhile (waiting is not probing).
func (env *Env) startTarget(ctx context.Context, t catalog.Target, route string, side, peer *httpsSide) (c facts.Check, rest func() facts.Check) {
	pr := &prober{env: env, side: side, peer: peer}
	if side != nil {
		defer func() {
			var asked *url.URL
			if pr.first != nil {
				asked = pr.first.Target
			}
			side.finish(&c, pr.kept, asked, pr.firstMethod, pr.first)
		}()
	}
	if peer != nil {
		defer func() {
			if rest == nil {
				peer.release()
			}
		}()
	}
	if t.Scheme() == "https" {
		defer env.chains.httpsDone()
	}
	start := time.Now()
	c = newCheck(t, route)
	u, err := url.Parse(t.URL)
	if err != nil {
		c.Status, c.Stage, c.Reason, c.Message = facts.StatusError, facts.StageHTTP, "bad-url", err.Error()
		return c, nil
	}
	var p *ProxyConfig
	if env.ProxyFor != nil && route != facts.RouteDirect {
		p = env.ProxyFor(t.Host, t.Port, u.Scheme)
	}
	if route == facts.RouteProxy && p == nil {
		c.Route = facts.RouteProxy
		c.Status, c.Stage, c.Reason = facts.StatusSkip, facts.StageProxyConnect, "no-proxy"
		c.Message = "no proxy applies to this target (bypass list or no proxy configured)"
		return c, nil
	}
	if p != nil {
		c.Route = facts.RouteProxy
		c.ProxyURL = p.Redacted()
	}
	ask := u
	if u.Scheme == "http" {
		// On a revocation host the check asks the signed object the run's verified chains
		// (or the catalog) name. Waiting for those chains is the run's scheduling, not the
		// endpoint's time: the check's deadline and timings start after it.
		if pr.rev = env.planRevocation(ctx, t, u); pr.rev != nil {
			ask = pr.rev.URL
		}
		start = time.Now()
	}
	timeout := env.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	runCtx := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer func() {
		if rest == nil {
			cancel()
		}
	}()
	if u.Scheme == "http" && pr.rev == nil && peer == nil {
		pr.startOwnHTTPS(ctx, c.ID, httpsURL(u), route)
	}
	perr := pr.run(ctx, &c, ask, p, route, t.FollowRedirects)
	needsProof := u.Scheme == "http" && (perr == nil || perr.unproven)
	complete := func(c facts.Check) facts.Check {
		if needsProof {
			// A plain-HTTP answer nothing refused is the origin's only with a proof.
			if pr.rev != nil {
				perr = pr.proveSigned(&c, u, perr)
			} else {
				perr = pr.prove(ctx, &c, u, p, route, perr)
				if perr == nil {
					perr = pr.proveEnd(ctx, &c, u, route)
				}
			}
		} else if perr == nil {
			// An HTTPS link that ends on plain HTTP (a redirect to http://) ends where a
			// filter may answer: that last answer needs the same proof.
			perr = pr.proveEnd(ctx, &c, u, route)
		}
		return conclude(c, perr, start, timeout, runCtx)
	}
	if needsProof && pr.rev == nil && peer != nil && !peer.finished() {
		return c, func() facts.Check {
			defer cancel()
			defer peer.release()
			return complete(c)
		}
	}
	return complete(c), nil
}

// conclude sets a check's status from its outcome: pass, or the failure (warn, interrupted).
func conclude(c facts.Check, perr *ProbeError, start time.Time, timeout time.Duration, runCtx context.Context) facts.Check {
	c.Timings.Total = time.Since(start).Milliseconds()
	if perr != nil {
		c.Status, c.Stage, c.Reason, c.Message = facts.StatusFail, perr.Stage, perr.Reason, perr.Detail
		if perr.Warn {
			c.Status = facts.StatusWarn
		}
		// The connection deadline can fire a moment before the run context reports it, so
		// a deadline that belongs to the run (earlier than this check's own) also counts.
		runDL, hasRunDL := runCtx.Deadline()
		cutByRun := hasRunDL && runDL.Before(start.Add(timeout)) && !time.Now().Before(runDL)
		if runCtx.Err() != nil || cutByRun {
			// Ctrl-C or the whole-run deadline cut it short: not the endpoint's fault.
			c.Status = facts.StatusError
			c.Reason = "interrupted"
			c.Message = "the run was interrupted or reached --run-timeout during this check (" + perr.Stage + "): " + perr.Detail
		}
		return c
	}
	c.Status = facts.StatusPass
	return c
}

// newCheck is a target's check before it runs: provenance, kind and id (with the forced
// route appended under --compare-direct).
func newCheck(t catalog.Target, route string) facts.Check {
	c := facts.Check{
		ID: t.ID, Kind: t.Scheme(), Host: t.Host, Port: t.Port, URL: t.URL,
		Entries: t.Entries, Groups: t.Groups, Editions: t.Editions, Sources: t.Sources,
		Wildcards: t.Wildcards, Profiles: t.Profiles, RequiredIn: t.RequiredIn, Required: t.Required,
		Route: facts.RouteDirect,
	}
	if route != "" {
		c.ID = t.ID + "@" + route
		c.Route = route
	}
	return c
}

// run probes u and, for URL entries, follows redirects.
func (pr *prober) run(ctx context.Context, c *facts.Check, u *url.URL, p *ProxyConfig, route string, follow bool) *ProbeError {
	seen := map[string]bool{}
	first := u
	leftSite, firstProven := false, false
	// unprovenOff: a redirect off the endpoint's domain came from a hop whose answer nothing
	// proves (plain HTTP, no relay stamp): a filter writes such a redirect as easily.
	unprovenOff := false
	method := http.MethodHead
	if follow {
		method = http.MethodGet
	}
	for hop := 0; ; hop++ {
		// Every hop is routed as the role's HTTP stack would route that URL: a bypassed first
		// host does not make the next one direct, nor the reverse (unless the route is forced).
		hopProxy := p
		if hop > 0 && pr.env.ProxyFor != nil && route != facts.RouteDirect {
			hopProxy = pr.env.ProxyFor(u.Hostname(), portOf(u), u.Scheme)
		}
		resp, perr := pr.fetch(ctx, c, u, hopProxy, method, hop == 0)
		if perr != nil {
			if hop > 0 {
				perr.Detail = fmt.Sprintf("redirect hop %d to %s: %s", hop, u.Host, perr.Detail)
				if leftSite && !perr.Warn {
					// The endpoint sent us off its domain to an address that refuses or
					// fails: a redirect to a block host.
					perr.Reason = origin.ReasonBlockRedirect
				}
			}
			return perr
		}
		h := c.Evidence.HTTP
		if hop == 0 {
			// Inside verified TLS the origin wrote the answer.
			// For a redirect off the catalog "differs from the proxy's pages" is not enough: a
			// portal or block redirect differs too. Only a relay's stamp proves it.
			firstProven = u.Scheme == "https" || (c.Evidence.Origin != nil && c.Evidence.Origin.Origin && c.Evidence.Origin.By == "relayed")
		}
		if hop == 0 {
			h.StatusCode, h.StatusLine, h.Server = resp.StatusCode, statusLine(resp), resp.Header.Get("Server")
		}
		loc := resp.Header.Get("Location")
		isRedirect := resp.StatusCode >= 300 && resp.StatusCode < 400 && loc != ""
		var next *url.URL
		if isRedirect {
			if n, err := u.Parse(loc); err == nil && (n.Scheme == "http" || n.Scheme == "https") {
				next = n
			}
		}
		// A redirect that leaves the endpoint's domain and the catalog is followed and
		// judged even for a host entry. Unless the redirect itself is proven the origin's,
		// the chain must come back to the endpoint's domain or the catalog to pass: a block
		// host's page is not the endpoint's answer.
		offSite := next != nil && pr.env.leavesSite(first.Hostname(), next.Hostname())
		if offSite && !follow {
			follow, leftSite = true, true
		}
		// This hop's answer is proven inside verified TLS, or through a proxy that stamped it
		// Via (a proxied answer that got here with Via was judged relayed).
		hopProven := u.Scheme == "https" || (hopProxy != nil && resp.Header.Get("Via") != "")
		if offSite && !hopProven {
			unprovenOff = true
		}
		if !follow || !isRedirect {
			if hop > 0 && u.Scheme == "http" {
				pr.end = pr.lastPlain
			}
			if hop > 0 {
				h.Redirects = append(h.Redirects, facts.RedirectHop{URL: u.String(), StatusCode: resp.StatusCode, Host: u.Hostname()})
			}
			h.StatusCode, h.StatusLine = resp.StatusCode, statusLine(resp)
			if f := httpFailure(resp); f != nil {
				return f
			}
			if hop > 0 && (!firstProven || unprovenOff) && pr.env.leavesSite(first.Hostname(), u.Hostname()) {
				// The chain ended off the endpoint's domain and the catalog: whatever answered
				// there, the endpoint itself was not seen answering.
				v := origin.Verdict{Reason: origin.ReasonUnverified, By: "off-site-redirect",
					Detail: fmt.Sprintf("%s redirected off its domain to %s, which answered %s: the endpoint's own answer was never seen", first.Host, u.Host, statusLine(resp)),
					LookAt: fmt.Sprintf("where %s redirects from an unfiltered network (a filter's block or portal host is not the endpoint)", first.Host)}
				var learnt *origin.Learnt
				if c.Evidence.Origin != nil {
					learnt = c.Evidence.Origin.Canaries
				}
				recordOrigin(c, v, learnt)
				return &ProbeError{Stage: facts.StageHTTP, Reason: origin.ReasonUnverified, Warn: true, Detail: v.Detail + "; look at: " + v.LookAt}
			}
			return nil
		}
		if next == nil {
			return &ProbeError{Stage: facts.StageHTTP, Reason: "bad-redirect", Detail: fmt.Sprintf("%s redirects to an unusable location %q", u.Host, loc)}
		}
		h.Redirects = append(h.Redirects, facts.RedirectHop{URL: u.String(), StatusCode: resp.StatusCode, Location: next.String(), Host: u.Hostname()})
		if seen[next.String()] || hop+1 > maxRedirects {
			return &ProbeError{Stage: facts.StageHTTP, Reason: "too-many-redirects",
				Detail: fmt.Sprintf("more than %d redirects or a loop (last %s → %s)", maxRedirects, u, next)}
		}
		seen[u.String()] = true
		u = next
	}
}

func portOf(u *url.URL) int {
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return p
	}
	if u.Scheme == "http" {
		return 80
	}
	return 443
}

// fetch makes one request to u; phase evidence and timings are recorded for the first hop.
// The phases run in order, each a method of the hop: name resolution, then the connection
// (direct TCP, a CONNECT tunnel, or the proxy itself for plain HTTP), TLS, the exchange.
func (pr *prober) fetch(ctx context.Context, c *facts.Check, u *url.URL, p *ProxyConfig, method string, first bool) (*http.Response, *ProbeError) {
	h := &hop{pr: pr, c: c, u: u, p: p, first: first, host: u.Hostname(), port: strconv.Itoa(portOf(u))}
	h.keep = first && pr.side != nil && u.Scheme == "https"
	h.peek = h.keep
	if h.keep {
		// The port-80 check of this host compares its GET with this answer: asking GET
		// here (one round trip, as HEAD) spares it a second request.
		method = http.MethodGet
	}
	return h.fetch(ctx, method)
}

// fetch runs the hop's phases: name resolution, the connection, TLS, the exchange.
func (h *hop) fetch(ctx context.Context, method string) (*http.Response, *ProbeError) {
	pr, c, u, p := h.pr, h.c, h.u, h.p
	if on := pr.env.OnPhase; on != nil && !h.aside {
		id, at := c.ID, u.String()
		h.tr.observe = func(phase string, took time.Duration) { on(id, at, phase, took) }
	}
	defer h.keepTimings()
	if p == nil {
		if perr := h.resolve(ctx); perr != nil {
			return nil, perr
		}
	} else {
		defer h.resolveAside(ctx)()
	}
	h.newRequest(method)
	var conn net.Conn
	var perr *ProbeError
	switch {
	case p == nil:
		conn, perr = h.connect(ctx)
	case u.Scheme == "https":
		conn, perr = h.tunnel(ctx)
	default:
		return h.throughProxy(ctx)
	}
	if perr != nil {
		return nil, perr
	}
	raw := conn
	defer func() {
		// A kept connection is the HTTPS side's now (closing the TLS layer closes raw).
		if !h.kept {
			raw.Close()
		}
	}()
	if u.Scheme == "https" {
		if conn, perr = h.handshake(ctx, conn); perr != nil {
			return nil, perr
		}
	}
	return h.exchange(ctx, conn)
}

// hop is one request of a check (the first, or a redirect) on its way through the phases.
type hop struct {
	pr    *prober
	c     *facts.Check
	u     *url.URL
	p     *ProxyConfig
	first bool // the check's first request: its evidence and timings are the check's
	// keep: leave the connection open after the answer (the first hop of an HTTPS check that
	// port-80 checks compare with); kept: it was left open.
	keep, kept bool
	// peek: read the start of the body even over TLS (the HTTPS side of a comparison).
	peek bool
	// aside: a request beside the check's own (the HTTPS side of a proof): its phases are
	// not the check's.
	aside      bool
	body       []byte             // the peeked body of the answer
	tev        *facts.TLSEvidence // what the handshake saw
	host, port string
	tr         trace
	dns        *facts.DNSEvidence
	req        *http.Request
}

// keepTimings records the first hop's phase timings in the check.
func (h *hop) keepTimings() {
	if h.first {
		c, tm := h.c, h.tr.tm
		c.Timings.DNS, c.Timings.Connect, c.Timings.Proxy, c.Timings.TLS, c.Timings.FirstByte = tm.DNS, tm.Connect, tm.Proxy, tm.TLS, tm.FirstByte
	}
}

// resolve is name resolution on the direct path: it comes first and its failure fails the
// check.
func (h *hop) resolve(ctx context.Context) *ProbeError {
	end := h.tr.begin(PhaseDNS)
	var de *DNSError
	h.dns, de = h.pr.env.Resolver.Lookup(ctx, h.host)
	end()
	if h.first {
		h.c.Evidence.DNS = h.dns
	}
	if de != nil {
		return &ProbeError{Stage: facts.StageDNS, Reason: de.Reason, Detail: h.dns.Error}
	}
	return nil
}

// resolveAside starts name resolution beside a proxied exchange and returns the function that
// collects it. Through a proxy, resolution is the proxy's job: ours is only for the record
// (the CNAME chain still feeds the allowlist analysis), so a slow or mute local DNS neither
// delays nor fails a check the proxy completes.
func (h *hop) resolveAside(ctx context.Context) func() {
	dctx, dcancel := context.WithCancel(ctx)
	resolved := make(chan *facts.DNSEvidence, 1)
	go func() { resolved <- h.pr.env.Resolver.Resolve(dctx, h.host) }()
	return func() {
		var ev *facts.DNSEvidence
		select {
		case ev = <-resolved:
		case <-time.After(proxiedDNSGrace):
			dcancel()
			ev = <-resolved
		}
		dcancel()
		ev.Informational = true
		h.tr.record(PhaseDNS, time.Duration(ev.Ms)*time.Millisecond)
		if h.first {
			h.c.Evidence.DNS = ev
		}
	}
}

// newRequest prepares the request the hop sends.
func (h *hop) newRequest(method string) {
	u := h.u
	if u.Scheme == "http" {
		// On plain HTTP a proxy, or a transparent filter on the direct path, can answer with
		// its own block page as a 200: GET brings the body that tells it apart from the
		// origin's answer.
		method = http.MethodGet
	}
	h.req = &http.Request{
		Method: method, URL: u, Host: u.Host, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"User-Agent": {h.pr.env.UserAgent}, "Accept": {"*/*"}},
	}
	if rev := h.pr.rev; h.first && rev != nil && u == rev.URL {
		if r, err := rev.NewHTTPRequest(); err == nil {
			r.Header.Set("User-Agent", h.pr.env.UserAgent)
			r.URL, r.Host = u, u.Host
			h.req, method = r, r.Method
		}
	}
	if h.first {
		h.c.Evidence.HTTP = &facts.HTTPEvidence{Method: method, URL: u.String()}
	}
}

// connect opens the direct TCP connection to the resolved addresses.
func (h *hop) connect(ctx context.Context) (net.Conn, *ProbeError) {
	end := h.tr.begin(PhaseConnect)
	raw, cev, err := Connect(ctx, h.dns.Addresses, h.port)
	end()
	if h.first {
		h.c.Evidence.Connect = cev
	}
	if err != nil {
		ce := classifyNetErr(ctx, err)
		return nil, &ProbeError{Stage: facts.StageConnect, Reason: ce.Reason, Detail: fmt.Sprintf("TCP %s to %s: %s", h.port, h.host, ce.Detail)}
	}
	h.pr.detachable(stopOnDone(ctx, raw), h.keep)
	return raw, nil
}

// tunnel asks the proxy for CONNECT host:port and returns the tunnel.
func (h *hop) tunnel(ctx context.Context) (net.Conn, *ProbeError) {
	pev := &facts.ProxyEvidence{URL: h.p.Redacted(), Method: http.MethodConnect}
	if h.first {
		h.c.Evidence.Proxy = pev
	}
	end := h.tr.begin(PhaseProxy)
	target := net.JoinHostPort(h.host, h.port)
	creq := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: target}, Host: target,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{"User-Agent": {h.pr.env.UserAgent}}}
	pc, resp, body, perr := h.pr.proxyRoundTrip(ctx, h.p, creq, pev)
	end()
	if perr != nil {
		return nil, perr
	}
	if resp.StatusCode/100 != 2 {
		pc.Close()
		if resp.StatusCode != http.StatusProxyAuthRequired && resp.StatusCode != http.StatusUnauthorized {
			// The proxy refused the tunnel: its own name-resolution failure (as its
			// canary for a name that cannot exist shows, or a product's page) is dns.
			learnt := h.pr.learnRoute(ctx, h.p, "https")
			v := origin.Judge(answerOf(h.u, resp, body), true, learnt)
			if v.Means != "" {
				recordOrigin(h.c, v, learnt)
				pev.PageTitle = origin.Title(body)
				return nil, judgeFailure(v, true, target)
			}
		}
		return nil, proxyFailure(resp, body, target, pev)
	}
	return newTunnel(pc, statusLine(resp), target), nil
}

// throughProxy sends a plain HTTP request to the proxy in absolute form and tells the
// origin's answer from one the proxy wrote itself.
func (h *hop) throughProxy(ctx context.Context) (*http.Response, *ProbeError) {
	u, req := h.u, h.req
	pev := &facts.ProxyEvidence{URL: h.p.Redacted(), Method: req.Method + " (absolute form)"}
	if h.first {
		h.c.Evidence.Proxy = pev
	}
	end := h.tr.begin(PhaseFirstByte)
	pc, resp, body, perr := h.pr.proxyRoundTrip(ctx, h.p, req, pev)
	end()
	if perr != nil {
		return nil, perr
	}
	defer pc.Close()
	if h.first {
		h.c.Evidence.HTTP.BytesRead = pc.cr.read
		h.pr.firstAnswer(u, req.Method, resp, body)
	} else {
		a := answerOf(u, resp, body)
		h.pr.lastPlain = &a
	}
	if resp.StatusCode != http.StatusProxyAuthRequired && resp.StatusCode != http.StatusUnauthorized {
		// Who answered? The proxy's own pages (learnt from canaries), the products'
		// signatures, the redirect's target: a pass needs the origin's answer.
		learnt := h.pr.learnRoute(ctx, h.p, "http")
		v := origin.Judge(answerOf(u, resp, body), true, learnt)
		if v.Means != "" || !v.Origin {
			recordOrigin(h.c, v, learnt)
			if h.first {
				h.c.Evidence.HTTP.ProxyMade = v.Means != ""
				pev.PageTitle = origin.Title(body)
			}
			if v.Means != "" {
				return nil, judgeFailure(v, true, u.Host)
			}
			if !failStatuses[resp.StatusCode] && !proxyMade(resp.Header) {
				// Who wrote it cannot be told from the answer alone: a proof (the same
				// answer over verified HTTPS) may still settle it.
				pe := unverified(v, u.Host)
				pe.unproven = h.first
				return nil, pe
			}
		} else if h.first {
			// A pass keeps its verdict and page (for the cross-host comparison), not the
			// canaries: they are the same for every check of the route.
			recordOrigin(h.c, v, nil)
		}
	}
	block := resp.StatusCode < 400 && blockPage(resp.Header, body)
	// A gateway error (502, 503, 504) through a proxy, or any 5xx no relay stamped with
	// Via, is the proxy's own failure to reach the origin, whatever product wrote it:
	// counting it as the origin's answer would pass an endpoint nobody reached.
	gateway := resp.StatusCode >= 502 && resp.StatusCode <= 504
	made := proxyMade(resp.Header) || block || gateway || (resp.StatusCode >= 500 && resp.Header.Get("Via") == "")
	if h.first {
		h.c.Evidence.HTTP.ProxyMade = made
	}
	if block {
		pev.PageTitle = origin.Title(body)
		whose := "its own block page"
		if resp.Header.Get("Via") != "" {
			whose = "a block page it relayed (Via), as a URL rewriter makes it do,"
		}
		return nil, &ProbeError{Stage: facts.StageProxyDenied, Reason: "block-page",
			Detail: fmt.Sprintf("the proxy answered %s with %s %q (%s)", u.Host, whose, pev.PageTitle, statusLine(resp))}
	}
	if resp.StatusCode == http.StatusProxyAuthRequired || made {
		// Whatever its status (a 302 to a portal, a 200 error page), an answer the proxy
		// wrote itself is not the origin's.
		return nil, proxyFailure(resp, body, u.Host, pev)
	}
	return resp, nil
}

// handshake runs TLS over the connection (direct or tunnelled).
func (h *hop) handshake(ctx context.Context, conn net.Conn) (net.Conn, *ProbeError) {
	end := h.tr.begin(PhaseTLS)
	var chains [][]*x509.Certificate
	want := &chains
	if h.pr.env.chains == nil {
		want = nil
	}
	tc, tev, err := handshake(ctx, conn, h.host, h.pr.env.Trust, want)
	end()
	h.tev = tev
	if err == nil && anchored(tev) {
		h.pr.env.chains.add(chains)
	}
	if h.first {
		h.c.Evidence.TLS = tev
	}
	if err != nil {
		if pe := tunnelEnded(ctx, conn, err); pe != nil {
			// Nothing came back through the tunnel: the proxy's doing, not TLS.
			if h.first && h.c.Evidence.Proxy != nil {
				h.c.Evidence.Proxy.Error = pe.Detail
			}
			return nil, pe
		}
		var te *TLSError
		if errors.As(err, &te) {
			return nil, &ProbeError{Stage: te.Stage, Reason: te.Reason, Detail: te.Detail}
		}
		return nil, &ProbeError{Stage: facts.StageTLS, Reason: "handshake", Detail: err.Error()}
	}
	return tc, nil
}

// exchange sends the request on the connection and reads the origin's answer; on plain HTTP
// it refuses an answer a filter on the direct path wrote.
func (h *hop) exchange(ctx context.Context, conn net.Conn) (*http.Response, *ProbeError) {
	u, req, port := h.u, h.req, h.port
	cr := &capReader{r: conn}
	br := bufio.NewReaderSize(cr, 4096)
	end := h.tr.begin(PhaseFirstByte)
	if !h.keep {
		req.Header.Set("Connection", "close")
	}
	bw := bufio.NewWriter(conn)
	err := req.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		ce := classifyNetErr(ctx, err)
		return nil, &ProbeError{Stage: facts.StageHTTP, Reason: ce.Reason, Detail: "sending the request: " + ce.Detail}
	}
	plain := u.Scheme == "http"
	resp, body, err := readResponseN(br, cr, req, h.pr.peekSize(req, plain || h.peek))
	end()
	h.body = body
	if err == nil && h.first {
		h.pr.firstAnswer(u, req.Method, resp, body)
	} else if err == nil && u.Scheme == "http" && !h.aside {
		a := answerOf(u, resp, body)
		h.pr.lastPlain = &a
	}
	if err == nil && h.keep && reusable(cr, resp) && h.pr.detach() {
		h.kept = true
		h.pr.kept = &keptConn{conn: conn, br: br, cr: cr}
	}
	if h.first {
		h.c.Evidence.HTTP.BytesRead = cr.read
	}
	if err != nil {
		pe := classifyReadErr(ctx, facts.StageHTTP, err)
		pe.Detail = fmt.Sprintf("waiting for %s's answer: %s", u.Host, pe.Detail)
		return nil, pe
	}
	if plain && proxyMade(resp.Header) {
		return nil, &ProbeError{Stage: facts.StageHTTP, Reason: "proxy-made",
			Detail: fmt.Sprintf("a proxy or filter on the direct path answered %s itself (%s, %s): port %s is intercepted, not open", u.Host, statusLine(resp), resp.Header.Get("X-Squid-Error"), port)}
	}
	if plain {
		v := origin.Judge(answerOf(u, resp, body), false, nil)
		if h.first {
			recordOrigin(h.c, v, nil)
		}
		if v.Means != "" {
			return nil, judgeFailure(v, false, u.Host)
		}
	}
	if plain && resp.StatusCode < 400 && blockPage(resp.Header, body) {
		return nil, &ProbeError{Stage: facts.StageHTTP, Reason: "block-page",
			Detail: fmt.Sprintf("%s answered with a block page %q (%s): a filter on the direct path intercepts port %s", u.Host, origin.Title(body), statusLine(resp), port)}
	}
	return resp, nil
}
