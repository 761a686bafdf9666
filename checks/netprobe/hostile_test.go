package netprobe

// Hostile network tests: every misbehaviour happens for real against in-process lab peers
// (DNS, TLS/HTTP endpoints, proxies) on loopback. Each asserts the stage and reason the check
// stops at, that it stops within its deadline plus a small slack, that it reads a bounded
// number of bytes, and that no goroutine is left behind once the lab is closed.

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

const (
	hostileTimeout = 1500 * time.Millisecond
	// hostileSlack covers scheduling on a loaded 2-core machine under -race.
	hostileSlack = 750 * time.Millisecond
	// hostileMaxRead is what a probe may read from one peer: the header cap plus the body peek.
	hostileMaxRead = maxHeaderBytes + maxBodyPeek
)

// hostileLab is one DNS server and one CA; endpoints are added per test.
type hostileLab struct {
	t       *testing.T
	ca      *lab.CA
	dns     *lab.DNS
	closers []func()
}

func newHostileLab(t *testing.T) *hostileLab {
	t.Helper()
	ca, err := lab.NewCA("cmpreflight hostile lab root")
	if err != nil {
		t.Fatal(err)
	}
	ip, err := lab.DNSIP()
	if err != nil {
		t.Fatal(err)
	}
	d, err := lab.StartDNS(ip, 0)
	if err != nil {
		t.Fatal(err)
	}
	h := &hostileLab{t: t, ca: ca, dns: d}
	h.closers = append(h.closers, d.Close)
	return h
}

// web starts an endpoint with a listener behaviour and a default route, named host.
func (h *hostileLab) web(host, conn string, r *lab.Route) *lab.Web {
	h.t.Helper()
	// HTTPS on its real port, as an origin serves it: a port-80 answer is proven against the
	// same request over HTTPS to that host.
	ip, err := lab.AllocIP(443)
	if err != nil {
		h.t.Fatal(err)
	}
	w, err := lab.StartWeb(ip, 443, 0, h.ca, conn)
	if err != nil {
		h.t.Fatal(err)
	}
	if r != nil {
		w.Handle("", *r)
	}
	h.dns.A(host, ip)
	h.closers = append(h.closers, w.Close)
	return w
}

// close stops every lab server (in reverse order of start) and then checks for leaked
// goroutines; ignore lists those that ran before the test began.
func (h *hostileLab) close(ignore goleak.Option) {
	h.t.Helper()
	for i := len(h.closers) - 1; i >= 0; i-- {
		h.closers[i]()
	}
	h.closers = nil
	goleak.VerifyNone(h.t, ignore)
}

func (h *hostileLab) env(proxy *lab.Proxy) *Env {
	env := &Env{
		Resolver:  &Resolver{Servers: []string{h.dns.Addr}},
		Trust:     Trust{Machine: h.ca.Pool(), Expected: h.ca.Pool()},
		Timeout:   hostileTimeout,
		UserAgent: "cmpreflight-hostile-test",
	}
	if proxy != nil {
		u, err := url.Parse(proxy.URL)
		if err != nil {
			h.t.Fatal(err)
		}
		env.ProxyFor = func(string, int, string) *ProxyConfig { return &ProxyConfig{URL: u, Auth: AuthNone} }
	}
	return env
}

func target(scheme, host string, port int, path string, follow bool) catalog.Target {
	return catalog.Target{
		ID: fmt.Sprintf("%s:%d", host, port), Host: host, Port: port,
		URL: fmt.Sprintf("%s://%s:%d%s", scheme, host, port, path), FollowRedirects: follow, Required: true,
	}
}

// run runs one check and asserts its outcome, its duration and the bytes it read.
func run(t *testing.T, env *Env, tg catalog.Target, status, stage, reason string) facts.Check {
	t.Helper()
	start := time.Now()
	c := env.RunTarget(context.Background(), tg, "")
	wall := time.Since(start)
	assertCheck(t, c, wall, status, stage, reason)
	return c
}

func assertCheck(t *testing.T, c facts.Check, wall time.Duration, status, stage, reason string) {
	t.Helper()
	if c.Status != status || c.Stage != stage || c.Reason != reason {
		t.Errorf("%s: %s at %q (%s): %s; want %s at %q (%s)", c.ID, c.Status, c.Stage, c.Reason, c.Message, status, stage, reason)
	}
	if limit := hostileTimeout + hostileSlack; wall > limit || time.Duration(c.Timings.Total)*time.Millisecond > limit {
		t.Errorf("%s took %v (reported %d ms); the deadline is %v plus %v slack", c.ID, wall, c.Timings.Total, hostileTimeout, hostileSlack)
	}
	if c.Evidence.HTTP != nil && c.Evidence.HTTP.BytesRead > hostileMaxRead {
		t.Errorf("%s read %d bytes from its peer; at most %d are allowed", c.ID, c.Evidence.HTTP.BytesRead, hostileMaxRead)
	}
}

func TestHostileAcceptAndNeverSpeak(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	w := h.web("silent.lab.test", lab.ConnHang, nil)
	env := h.env(nil)
	run(t, env, target("https", "silent.lab.test", w.TLSPort, "/", false), facts.StatusFail, facts.StageTLS, "timeout")
	run(t, env, target("http", "silent.lab.test", w.HTTPPort, "/", false), facts.StatusFail, facts.StageHTTP, "timeout")
	h.close(ignore)
}

func TestHostileStallMidTLSHandshake(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	w := h.web("stall.lab.test", lab.ConnStallTLS, nil)
	c := run(t, h.env(nil), target("https", "stall.lab.test", w.TLSPort, "/", false), facts.StatusFail, facts.StageTLS, "timeout")
	if c.Evidence.TLS == nil || c.Evidence.TLS.Error == "" {
		t.Errorf("TLS evidence %+v; want the handshake error recorded", c.Evidence.TLS)
	}
	h.close(ignore)
}

// The body drips one byte a second: the answer's head is what a probe needs, so the check
// passes at once and never waits for (or reads) the body.
func TestHostileSlowDripBodyOnURLEntry(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	w := h.web("drip.lab.test", lab.ConnServe, &lab.Route{DripEvery: time.Second})
	c := run(t, h.env(nil), target("https", "drip.lab.test", w.TLSPort, "/download/file.cab", true), facts.StatusPass, "", "")
	if c.Evidence.HTTP == nil || c.Evidence.HTTP.Method != "GET" || c.Evidence.HTTP.StatusCode != 200 {
		t.Errorf("HTTP evidence %+v; want GET answered 200", c.Evidence.HTTP)
	}
	if c.Timings.Total > hostileTimeout.Milliseconds()/2 {
		t.Errorf("the check waited %d ms for a body it does not need", c.Timings.Total)
	}
	h.close(ignore)
}

// The status line and headers drip one byte a second: the deadline ends the check at the
// http stage with a timeout, having read a handful of bytes.
func TestHostileSlowDripHeadersOnURLEntry(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	ip, err := lab.AllocIP()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	h.dns.A("dripheaders.lab.test", ip)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				tc := tls.Server(c, h.ca.TLSConfig())
				tc.SetDeadline(time.Now().Add(30 * time.Second))
				if tc.Handshake() != nil {
					return
				}
				tc.Read(make([]byte, 4096)) // the request
				for _, b := range []byte("HTTP/1.1 200 OK\r\nServer: drip\r\n\r\n") {
					if _, err := tc.Write([]byte{b}); err != nil {
						return
					}
					select {
					case <-quit:
						return
					case <-time.After(time.Second):
					}
				}
			}()
		}
	}()
	h.closers = append(h.closers, func() { close(quit); ln.Close(); wg.Wait() })
	port := ln.Addr().(*net.TCPAddr).Port
	c := run(t, h.env(nil), target("https", "dripheaders.lab.test", port, "/", true), facts.StatusFail, facts.StageHTTP, "timeout")
	if c.Evidence.HTTP == nil || c.Evidence.HTTP.BytesRead < 1 || c.Evidence.HTTP.BytesRead > 10 {
		t.Errorf("HTTP evidence %+v; want the one or two dripped bytes counted", c.Evidence.HTTP)
	}
	h.close(ignore)
}

// A 1 GiB body on a URL entry (GET) and a host entry (HEAD): the probe stops after the head.
func TestHostileGigabyteBody(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	w := h.web("huge.lab.test", lab.ConnServe, &lab.Route{BigBody: 1 << 30})
	env := h.env(nil)
	for _, tg := range []catalog.Target{
		target("https", "huge.lab.test", w.TLSPort, "/big.cab", true),
		target("https", "huge.lab.test", w.TLSPort, "/", false),
		target("http", "huge.lab.test", w.HTTPPort, "/big.cab", true),
	} {
		c := run(t, env, tg, facts.StatusPass, "", "")
		if c.Evidence.HTTP == nil || c.Evidence.HTTP.BytesRead == 0 || c.Evidence.HTTP.BytesRead > hostileMaxRead {
			t.Errorf("%s: HTTP evidence %+v", tg.URL, c.Evidence.HTTP)
		}
	}
	h.close(ignore)
}

// A 1 GiB body relayed by a proxy for a plain-HTTP GET: the probe peeks at most maxBodyPeek
// of it (to recognise block pages) and stops.
func TestHostileGigabyteBodyThroughProxyPeeksOnly(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	w := h.web("hugeproxied.lab.test", lab.ConnServe, &lab.Route{BigBody: 1 << 30, Headers: map[string]string{"Content-Type": "text/html"}})
	// The "proxy" is the origin itself: it answers absolute-form GETs like any server.
	p := &lab.Proxy{URL: fmt.Sprintf("http://%s:%d", w.IP, w.HTTPPort)}
	// The origin answers this host only; any other name (the canaries) gets its 404, so the
	// answer differs from what this "proxy" says for names it does not serve.
	w.Handle("hugeproxied.lab.test", lab.Route{BigBody: 1 << 30, Headers: map[string]string{"Content-Type": "text/html"}})
	w.Handle("", lab.Route{Status: 404, Body: "no such site", Headers: map[string]string{"X-Lab-Proxy-Page": "1"}})
	// This "proxy" cannot CONNECT, so no HTTPS answer proves the page: a warn, after a peek.
	c := run(t, h.env(p), target("http", "hugeproxied.lab.test", w.HTTPPort, "/", false), facts.StatusWarn, facts.StageHTTP, "unverified-origin")
	if c.Evidence.HTTP == nil || c.Evidence.HTTP.BytesRead > maxHeaderBytes+maxBodyPeek || c.Evidence.HTTP.BytesRead < maxBodyPeek {
		t.Errorf("HTTP evidence %+v; want the head plus a %d-byte peek", c.Evidence.HTTP, maxBodyPeek)
	}
	h.close(ignore)
}

func TestHostileEndlessHeaders(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	w := h.web("endless.lab.test", lab.ConnServe, &lab.Route{EndlessHeaders: true})
	env := h.env(nil)
	for _, tg := range []catalog.Target{
		target("https", "endless.lab.test", w.TLSPort, "/", false),
		target("http", "endless.lab.test", w.HTTPPort, "/x", true),
	} {
		c := run(t, env, tg, facts.StatusFail, facts.StageHTTP, "too-large")
		if c.Evidence.HTTP == nil || c.Evidence.HTTP.BytesRead < maxHeaderBytes {
			t.Errorf("%s: HTTP evidence %+v; want the header cap reached", tg.URL, c.Evidence.HTTP)
		}
	}
	h.close(ignore)
}

func TestHostileRedirectLoop(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	self := h.web("loop.lab.test", lab.ConnServe, nil)
	self.Handle("loop.lab.test", lab.Route{Status: 302, Location: fmt.Sprintf("https://loop.lab.test:%d/", self.TLSPort)})
	// Two hosts sending each other back and forth, and a chain that never repeats a URL.
	a := h.web("ping.lab.test", lab.ConnServe, nil)
	b := h.web("pong.lab.test", lab.ConnServe, nil)
	a.Handle("ping.lab.test", lab.Route{Status: 301, Location: fmt.Sprintf("http://pong.lab.test:%d/", b.HTTPPort)})
	b.Handle("pong.lab.test", lab.Route{Status: 307, Location: fmt.Sprintf("https://ping.lab.test:%d/", a.TLSPort)})
	endless := h.web("endless-redirect.lab.test", lab.ConnServe, &lab.Route{Status: 302, Location: "/next?again"})
	env := h.env(nil)
	cases := []struct {
		tg   catalog.Target
		hops int
	}{
		{target("https", "loop.lab.test", self.TLSPort, "/", true), 2},
		{target("https", "ping.lab.test", a.TLSPort, "/", true), 2},
		{target("https", "endless-redirect.lab.test", endless.TLSPort, "/start", true), 0},
	}
	for _, cs := range cases {
		c := run(t, env, cs.tg, facts.StatusFail, facts.StageHTTP, "too-many-redirects")
		if c.Evidence.HTTP == nil || len(c.Evidence.HTTP.Redirects) > maxRedirects+1 || (cs.hops > 0 && len(c.Evidence.HTTP.Redirects) != cs.hops) {
			t.Errorf("%s: redirects %+v", cs.tg.URL, c.Evidence.HTTP)
		}
	}
	h.close(ignore)
}

func TestHostileDNSNeverAnswers(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	h.dns.Behave("mute.lab.test", lab.DNSNoAnswer)
	c := run(t, h.env(nil), target("https", "mute.lab.test", 443, "/", false), facts.StatusFail, facts.StageDNS, "timeout")
	if c.Evidence.DNS == nil || c.Evidence.DNS.Error == "" {
		t.Errorf("DNS evidence %+v", c.Evidence.DNS)
	}
	h.close(ignore)
}

// Through a proxy, name resolution is the proxy's job: a local DNS that never answers is on
// record but must not fail (or stall) a check the proxy can complete.
func TestHostileDNSNeverAnswersThroughProxy(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	w := h.web("mute-proxied.lab.test", lab.ConnServe, nil)
	h.dns.Behave("mute-proxied.lab.test", lab.DNSNoAnswer)
	p := &lab.Proxy{URL: fmt.Sprintf("http://%s:%d", w.IP, w.HTTPPort)}
	// This "proxy" cannot CONNECT, so no HTTPS answer proves the page: a warn, not a stall.
	c := run(t, h.env(p), target("http", "mute-proxied.lab.test", w.HTTPPort, "/", false), facts.StatusWarn, facts.StageHTTP, "unverified-origin")
	if c.Evidence.DNS == nil || !c.Evidence.DNS.Informational || c.Evidence.DNS.Error == "" {
		t.Errorf("DNS evidence %+v; want the informational timeout recorded", c.Evidence.DNS)
	}
	h.close(ignore)
}

func TestHostileDNSAnswersGarbage(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	h.dns.Behave("garbage.lab.test", lab.DNSGarbage)
	run(t, h.env(nil), target("https", "garbage.lab.test", 443, "/", false), facts.StatusFail, facts.StageDNS, "bad-response")
	h.close(ignore)
}

func TestHostileDNSTruncatedOverUDPRetriesOverTCP(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	w := h.web("truncated.lab.test", lab.ConnServe, nil)
	h.dns.Behave("truncated.lab.test", lab.DNSTruncated)
	c := run(t, h.env(nil), target("https", "truncated.lab.test", w.TLSPort, "/", false), facts.StatusPass, "", "")
	if c.Evidence.DNS == nil || !c.Evidence.DNS.TCP || len(c.Evidence.DNS.Addresses) != 1 || c.Evidence.DNS.Addresses[0] != w.IP {
		t.Errorf("DNS evidence %+v; want the address found over TCP", c.Evidence.DNS)
	}
	h.close(ignore)
}

func TestHostileProxyNeverAnswersCONNECT(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	w := h.web("behind-mute-proxy.lab.test", lab.ConnServe, nil)
	p := lab.StartHostileProxy(t, lab.HostileNeverAnswer)
	h.closers = append(h.closers, p.Close)
	c := run(t, h.env(p), target("https", "behind-mute-proxy.lab.test", w.TLSPort, "/", false), facts.StatusFail, facts.StageProxyConnect, ReasonProxySilent)
	if c.Route != facts.RouteProxy || c.Evidence.Proxy == nil || c.Evidence.Proxy.Error == "" {
		t.Errorf("route %s proxy evidence %+v", c.Route, c.Evidence.Proxy)
	}
	h.close(ignore)
}

func TestHostileProxyAnswersGarbage(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	w := h.web("behind-garbage-proxy.lab.test", lab.ConnServe, nil)
	p := lab.StartHostileProxy(t, lab.HostileGarbage)
	h.closers = append(h.closers, p.Close)
	env := h.env(p)
	run(t, env, target("https", "behind-garbage-proxy.lab.test", w.TLSPort, "/", false), facts.StatusFail, facts.StageProxyConnect, "bad-response")
	run(t, env, target("http", "behind-garbage-proxy.lab.test", w.HTTPPort, "/", false), facts.StatusFail, facts.StageProxyConnect, "bad-response")
	h.close(ignore)
}

func TestHostileProxyClosesMidTunnel(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	w := h.web("behind-closing-proxy.lab.test", lab.ConnServe, nil)
	p := lab.StartHostileProxy(t, lab.HostileCloseMidTunnel)
	h.closers = append(h.closers, p.Close)
	c := h.env(p).RunTarget(context.Background(), target("https", "behind-closing-proxy.lab.test", w.TLSPort, "/", false), "")
	// The proxy, not TLS: nothing came back through the tunnel it opened.
	if c.Status != facts.StatusFail || c.Stage != facts.StageProxyUpstream || (c.Reason != ReasonTunnelReset && c.Reason != ReasonTunnelClosed) {
		t.Errorf("%s at %s (%s): %s; want fail at proxy-upstream (tunnel-reset or tunnel-closed)", c.Status, c.Stage, c.Reason, c.Message)
	}
	if c.Evidence.Proxy == nil || !strings.Contains(c.Evidence.Proxy.StatusLine, "200") {
		t.Errorf("proxy evidence %+v; want the 200 that opened the tunnel", c.Evidence.Proxy)
	}
	if time.Duration(c.Timings.Total)*time.Millisecond > hostileTimeout {
		t.Errorf("took %d ms; a reset ends the check at once", c.Timings.Total)
	}
	h.close(ignore)
}

// Every hostile peer at once through the runner: each check ends in time with its stage,
// and the run as a whole reports every check (none missing, none interrupted).
func TestHostileRunReportsEverything(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	hang := h.web("r-hang.lab.test", lab.ConnHang, nil)
	stall := h.web("r-stall.lab.test", lab.ConnStallTLS, nil)
	huge := h.web("r-huge.lab.test", lab.ConnServe, &lab.Route{BigBody: 1 << 30})
	endless := h.web("r-endless.lab.test", lab.ConnServe, &lab.Route{EndlessHeaders: true})
	slow := h.web("r-slow.lab.test", lab.ConnServe, &lab.Route{Delay: time.Hour})
	ok := h.web("r-ok.lab.test", lab.ConnServe, nil)
	h.dns.Behave("r-mute.lab.test", lab.DNSNoAnswer)
	h.dns.Behave("r-garbage.lab.test", lab.DNSGarbage)
	want := []struct {
		tg            catalog.Target
		stage, reason string
	}{
		{target("https", "r-hang.lab.test", hang.TLSPort, "/", false), facts.StageTLS, "timeout"},
		{target("https", "r-stall.lab.test", stall.TLSPort, "/", false), facts.StageTLS, "timeout"},
		{target("https", "r-huge.lab.test", huge.TLSPort, "/f", true), "", ""},
		{target("https", "r-endless.lab.test", endless.TLSPort, "/", false), facts.StageHTTP, "too-large"},
		{target("http", "r-slow.lab.test", slow.HTTPPort, "/", false), facts.StageHTTP, "timeout"},
		{target("https", "r-ok.lab.test", ok.TLSPort, "/", false), "", ""},
		{target("https", "r-mute.lab.test", 443, "/", false), facts.StageDNS, "timeout"},
		{target("https", "r-garbage.lab.test", 443, "/", false), facts.StageDNS, "bad-response"},
	}
	jobs := make([]Job, len(want))
	for i, w := range want {
		jobs[i] = Job{Target: w.tg}
	}
	var mu sync.Mutex
	done := 0
	r := &Runner{Env: h.env(nil), Concurrency: 4, OnDone: func(facts.Check) { mu.Lock(); done++; mu.Unlock() }}
	start := time.Now()
	out := r.Run(context.Background(), jobs)
	wall := time.Since(start)
	if len(out) != len(want) || done != len(want) {
		t.Fatalf("%d checks reported, %d done callbacks; want %d", len(out), done, len(want))
	}
	for i, w := range want {
		status := facts.StatusFail
		if w.stage == "" {
			status = facts.StatusPass
		}
		assertCheck(t, out[i], time.Duration(out[i].Timings.Total)*time.Millisecond, status, w.stage, w.reason)
	}
	// Two waves of at most one deadline each.
	if limit := 2*hostileTimeout + 2*hostileSlack; wall > limit {
		t.Errorf("the run took %v; two waves of %v deadlines should end within %v", wall, hostileTimeout, limit)
	}
	h.close(ignore)
}
