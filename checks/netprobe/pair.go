package netprobe

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cmpreflight/cmpreflight/checks/origin"
	"github.com/cmpreflight/cmpreflight/facts"
)

// httpsSide is the HTTPS check of one host on one route as the plain-HTTP checks of that host
// see it: whether its chain verified, its first answer, and its connection, kept open so that
// a port-80 check can ask the same request over verified TLS without a new TCP or TLS
// handshake.
type httpsSide struct {
	done chan struct{}
	once sync.Once
	// users counts the plain-HTTP checks that may still ask on the connection; the last one
	// to finish closes it.
	users atomic.Int32

	// Set before done is closed, read only after.
	verified bool   // the chain verified to this machine's trust and the expected roots
	failed   string // why the HTTPS check gives nothing to compare with
	root     string // the chain's top certificate (for messages)
	asked    *url.URL
	method   string
	answer   *origin.Answer // the first hop's answer; Body only when it was a GET

	mu   sync.Mutex // one request at a time on conn
	conn net.Conn   // nil when none was kept
	br   *bufio.Reader
	cr   *capReader
}

// anchored tells whether a handshake's chain verified to this machine's trust and to the
// expected roots: only such a chain anchors a port-80 proof. Without expected roots (an Env
// that skips the interception check) the machine's trust alone, which --ca-file extends to
// an inspecting filter's CA, proves nothing.
func anchored(tev *facts.TLSEvidence) bool {
	return tev != nil && tev.Verified && tev.Error == "" && !tev.Intercepted &&
		tev.ExpectedRootsVerified != nil && *tev.ExpectedRootsVerified
}

func newHTTPSSide() *httpsSide { return &httpsSide{done: make(chan struct{})} }

// keptConn is the first hop's connection an HTTPS check leaves open for its side.
type keptConn struct {
	conn net.Conn
	br   *bufio.Reader
	cr   *capReader
}

// finish publishes the HTTPS check's outcome (once) and wakes the waiting port-80 checks.
func (s *httpsSide) finish(c *facts.Check, k *keptConn, asked *url.URL, method string, ans *origin.Answer) {
	s.once.Do(func() {
		tev := c.Evidence.TLS
		ok := anchored(tev)
		if ok && c.Stage != "" && (c.Stage == facts.StageTLS || c.Stage == facts.StageTLSIntercepted) {
			ok = false
		}
		s.verified = ok
		if tev != nil && len(tev.Chain) > 0 {
			s.root = tev.Chain[len(tev.Chain)-1].Issuer
		}
		if !ok {
			switch {
			case tev != nil && tev.Verified && tev.ExpectedRootsVerified == nil:
				s.failed = "no expected roots were given to verify its chain against"
			case c.Status == facts.StatusPass || c.Stage == "":
				s.failed = "its HTTPS check verified no chain"
			default:
				s.failed = "its HTTPS check failed at " + c.Stage + " (" + c.Reason + "): " + c.Message
			}
		}
		if ok && k != nil {
			s.conn, s.br, s.cr = k.conn, k.br, k.cr
			s.asked, s.method, s.answer = asked, method, ans
		} else if k != nil {
			k.conn.Close()
		}
		if s.users.Load() <= 0 {
			s.closeConn()
		}
		close(s.done)
	})
}

// wait blocks until the HTTPS check has finished or ctx ends.
func (s *httpsSide) wait(ctx context.Context) bool {
	select {
	case <-s.done:
		return true
	case <-ctx.Done():
		return false
	}
}

// finished tells, without waiting, whether the HTTPS check has finished.
func (s *httpsSide) finished() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// release is a port-80 check saying it will not ask again.
func (s *httpsSide) release() {
	if s.users.Add(-1) <= 0 {
		select {
		case <-s.done:
			s.closeConn()
		default:
		}
	}
}

func (s *httpsSide) closeConn() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
	}
	// The readers hold the TLS connection and its buffers (tens of KB), the answer its body:
	// the runner keeps every side to the end of the run, so a side no port-80 check will read
	// again must not keep them.
	s.br, s.cr, s.answer = nil, nil, nil
}

// dropConn closes the kept connection and lets go of its readers; s.mu is held.
func (s *httpsSide) dropConn() {
	s.conn.Close()
	s.conn, s.br, s.cr = nil, nil, nil
}

// ask sends req on the kept connection and reads the answer with a peek at its body. ok is
// false when there is no connection (any more) or it failed: the caller opens its own.
func (s *httpsSide) ask(ctx context.Context, req *http.Request) (*http.Response, []byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil, nil, false
	}
	if dl, ok := ctx.Deadline(); ok {
		s.conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { s.conn.SetDeadline(aLongTimeAgo) })
	defer stop()
	bw := bufio.NewWriter(s.conn)
	if err := req.Write(bw); err != nil || bw.Flush() != nil {
		s.dropConn()
		return nil, nil, false
	}
	resp, body, err := readResponse(s.br, s.cr, req, true)
	if err != nil {
		s.dropConn()
		return nil, nil, false
	}
	if !reusable(s.cr, resp) {
		s.dropConn()
	}
	return resp, body, true
}

// reusable drains what is left of an answer's body (bounded) and tells whether the
// connection can carry another request.
func reusable(cr *capReader, resp *http.Response) bool {
	if resp.Close || resp.Body == nil {
		return false
	}
	cr.left = maxBodyPeek
	_, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return err == nil
}

// sideKey names the HTTPS check of a host on a route: the host and the proxy its HTTPS
// requests go through ("direct" when none).
func sideKey(env *Env, host string, route string) string {
	via := facts.RouteDirect
	if route != facts.RouteDirect && env.ProxyFor != nil {
		if p := env.ProxyFor(host, 443, "https"); p != nil {
			via = p.Redacted()
		}
	}
	return strings.ToLower(host) + " " + via
}

// pairing is, per job, the HTTPS side it publishes (an HTTPS check on 443 that a port-80
// check of its host and route waits for) or the side it reads (a port-80 check).
type pairing struct {
	publish []*httpsSide
	read    []*httpsSide
	// order dispatches every paired HTTPS check before its port-80 checks: a port-80 check
	// waits for the HTTPS one, which then is always already running (no deadlock, whatever
	// the concurrency).
	order []int
}

// pairJobs pairs each plain-HTTP job with the HTTPS check of the same host on port 443 and
// the same route, when the run has one.
func pairJobs(env *Env, jobs []Job) pairing {
	pg := pairing{publish: make([]*httpsSide, len(jobs)), read: make([]*httpsSide, len(jobs))}
	envOf := func(j Job) *Env {
		if j.ProxyFor == nil {
			return env
		}
		e := *env
		e.ProxyFor = j.ProxyFor
		return &e
	}
	at := map[string]int{}
	pubAt := map[*httpsSide]int{}
	for i, j := range jobs {
		if j.Target.Scheme() == "https" && j.Target.Port == 443 {
			k := sideKey(envOf(j), j.Target.Host, j.Route)
			if _, ok := at[k]; !ok {
				at[k] = i
			}
		}
	}
	for i, j := range jobs {
		if j.Target.Scheme() != "http" {
			continue
		}
		k := sideKey(envOf(j), j.Target.Host, j.Route)
		h, ok := at[k]
		if !ok {
			continue
		}
		if pg.publish[h] == nil {
			pg.publish[h] = newHTTPSSide()
			pubAt[pg.publish[h]] = h
		}
		pg.publish[h].users.Add(1)
		pg.read[i] = pg.publish[h]
	}
	sent := make([]bool, len(jobs))
	// A port-80 check with a catalog proof (a revocation host) may wait for every HTTPS
	// check of the run (planRevocation): it goes after all of them, so that waiting never
	// holds a worker an HTTPS check still needs.
	waits := func(j Job) bool {
		return j.Target.Scheme() == "http" && j.Target.Proof != nil && j.Target.Proof.Cert == ""
	}
	var last []int
	for i := range jobs {
		if sent[i] || pg.publish[i] != nil {
			// A paired HTTPS check goes right before its first port-80 check, wherever the
			// plan put it: its kept connection and answer then live for a check's time, not
			// until a plan that lists every 443 before every 80 reaches the port-80 half.
			continue
		}
		if waits(jobs[i]) {
			last = append(last, i)
			continue
		}
		if s := pg.read[i]; s != nil {
			if h := pubAt[s]; !sent[h] {
				pg.order = append(pg.order, h)
				sent[h] = true
			}
		}
		pg.order = append(pg.order, i)
		sent[i] = true
	}
	for _, i := range last {
		if s := pg.read[i]; s != nil {
			if h := pubAt[s]; !sent[h] {
				pg.order = append(pg.order, h)
				sent[h] = true
			}
		}
		pg.order = append(pg.order, i)
	}
	return pg
}
