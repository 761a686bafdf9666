package netprobe

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/neterr"
)

// When a question is sent, and sent again, follows the Windows DNS client, the resolver the
// role itself uses. Microsoft documents it in "DNS client resolution timeouts" (KB2834226):
// with one server, the query goes at 0 s and again at 1, 2, 4 and 8 s, and the client gives
// up at 10 s; the registry value DNSQueryTimeouts (default 1 2 2 4 8) orders the sends: the
// preferred server alone first, then every server at each later step. Here the first server
// of --dns-server (or of the machine) is the preferred one: it alone gets the first datagram,
// and from the first resend on every server still in the running gets each one. A server
// that cannot be asked (its port refused, no route) or whose answer is of no use (SERVFAIL,
// REFUSED, not a DNS message) leaves the running at once, and the next one is asked at
// once rather than at the next step: a dead first server does not cost the schedule's
// second. A resend keeps the query's ID, so a late answer to an earlier datagram counts,
// as it does for every stub resolver. The check's own deadline ends it sooner.
var sendSchedule = []time.Duration{0, 1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}

// giveUpAfter is when the Windows client stops waiting (KB2834226: 10 s with one server).
const giveUpAfter = 10 * time.Second

// udpAnswerBuffer is the largest UDP answer read; the query advertises 1232 bytes (EDNS).
const udpAnswerBuffer = 4096

// arrival is what one server's socket delivered.
type arrival struct {
	server int
	msg    *dns.Msg // nil when err or bad is set
	bad    error    // the datagram is not a DNS message
	err    error    // the socket failed (refused, unreachable...)
	at     time.Time
}

// asking is one question on its way to the servers.
type asking struct {
	ctx      context.Context
	servers  []string
	msg      *dns.Msg
	wire     []byte
	question string
	start    time.Time // of the whole resolution, for the tries' times
	socks    []net.Conn
	out      []bool // the server left the running
	lastTry  []int  // index in tries of the server's latest datagram, -1 before the first
	tries    []facts.DNSTry
	arrivals chan arrival
	done     chan struct{}
	lastErr  error // the latest server's failure
}

// ask sends one question (name, qt) to the servers on the schedule above and returns the
// first usable answer, the server that gave it, whether TCP carried it, and every query
// sent. An answer with the TC bit is asked again over TCP of the same server. SERVFAIL and
// REFUSED are kept, and returned only when no other server answers better.
func (r *Resolver) ask(ctx context.Context, name string, qt uint16, start time.Time) (*dns.Msg, string, bool, []facts.DNSTry, error) {
	all := strings.Join(r.Servers, ",")
	if len(r.Servers) == 0 {
		return nil, all, false, nil, &DNSError{Reason: "no-server", Detail: "no DNS server to ask"}
	}
	m := new(dns.Msg)
	m.SetQuestion(name, qt)
	m.RecursionDesired = true
	m.SetEdns0(1232, false)
	wire, err := m.Pack()
	if err != nil {
		return nil, all, false, nil, &DNSError{Reason: "bad-name", Detail: fmt.Sprintf("%q cannot be asked: %v", strings.TrimSuffix(name, "."), err)}
	}
	n := len(r.Servers)
	a := &asking{ctx: ctx, servers: r.Servers, msg: m, wire: wire, start: start,
		question: dns.TypeToString[qt] + " " + strings.TrimSuffix(name, "."),
		socks:    make([]net.Conn, n), out: make([]bool, n), lastTry: make([]int, n),
		arrivals: make(chan arrival, 2*n), done: make(chan struct{})}
	for i := range a.lastTry {
		a.lastTry[i] = -1
	}
	defer a.close()
	resp, server, tcp, err := a.run()
	for i := range a.tries {
		if a.tries[i].Outcome == "" {
			a.tries[i].Outcome = "no-answer"
		}
	}
	if err != nil {
		server = all
	}
	return resp, server, tcp, a.tries, err
}

func (a *asking) close() {
	close(a.done)
	for _, c := range a.socks {
		if c != nil {
			c.Close()
		}
	}
}

// run is the schedule: sends, resends, answers, until one is usable or time is up.
func (a *asking) run() (*dns.Msg, string, bool, error) {
	var fallback *dns.Msg
	fallbackServer := ""
	a.send(0)
	a.keepOneAsked()
	step := 1
	next := time.NewTimer(sendSchedule[step])
	defer next.Stop()
	giveUp := time.NewTimer(giveUpAfter)
	defer giveUp.Stop()
	for a.inRunning() > 0 {
		select {
		case <-a.ctx.Done():
			return a.end(fallback, fallbackServer, a.lastErr, true)
		case <-giveUp.C:
			return a.end(fallback, fallbackServer, a.lastErr, true)
		case <-next.C:
			for i := range a.servers {
				if !a.out[i] {
					a.send(i)
				}
			}
			if step+1 < len(sendSchedule) {
				next.Reset(sendSchedule[step+1] - sendSchedule[step])
				step++
			}
		case ar := <-a.arrivals:
			if a.ctx.Err() != nil {
				return a.end(fallback, fallbackServer, a.lastErr, true)
			}
			server := a.servers[ar.server]
			switch {
			case ar.err != nil:
				de := classifyDNSErr(a.ctx, server, ar.err)
				a.answered(ar, de.Reason)
				a.out[ar.server] = true
				a.lastErr = de
			case ar.bad != nil:
				a.answered(ar, "bad-response")
				a.out[ar.server] = true
				a.lastErr = &DNSError{Reason: "bad-response", Detail: server + " answered with something that is not a DNS message"}
			case ar.msg.Id != a.msg.Id || !sameQuestion(ar.msg, a.msg):
				continue // not the answer to this query (a stray or spoofed datagram)
			case ar.msg.Truncated:
				a.answered(ar, "truncated")
				resp, err := a.overTCP(ar.server)
				if err != nil {
					a.out[ar.server] = true
					a.lastErr = err
					break
				}
				if resp.Rcode == dns.RcodeServerFailure || resp.Rcode == dns.RcodeRefused {
					a.out[ar.server] = true
					if fallback == nil {
						fallback, fallbackServer = resp, server
					}
					break
				}
				return resp, server, true, nil
			case ar.msg.Rcode == dns.RcodeServerFailure || ar.msg.Rcode == dns.RcodeRefused:
				// Another server may know better; keep this answer if none does.
				a.answered(ar, dns.RcodeToString[ar.msg.Rcode])
				a.out[ar.server] = true
				if fallback == nil {
					fallback, fallbackServer = ar.msg, server
				}
			default:
				a.answered(ar, dns.RcodeToString[ar.msg.Rcode])
				return ar.msg, server, false, nil
			}
			a.keepOneAsked()
		}
	}
	return a.end(fallback, fallbackServer, a.lastErr, false)
}

// end is the outcome when no usable answer came: a SERVFAIL or REFUSED kept aside, else a
// timeout when a server was still in the running (silent), else the last server's failure.
func (a *asking) end(fallback *dns.Msg, fallbackServer string, lastErr error, timedOut bool) (*dns.Msg, string, bool, error) {
	if fallback != nil {
		return fallback, fallbackServer, false, nil
	}
	if timedOut || lastErr == nil {
		silent := []string{}
		isSilent := map[string]bool{}
		sent := 0
		for i, s := range a.servers {
			if !a.out[i] && a.lastTry[i] >= 0 {
				silent = append(silent, s)
				isSilent[s] = true
			}
		}
		for _, t := range a.tries {
			if isSilent[t.Server] && t.Outcome == "" {
				sent++
			}
		}
		if len(silent) > 0 || lastErr == nil {
			return nil, "", false, &DNSError{Reason: neterr.Timeout,
				Detail: fmt.Sprintf("no answer from %s to %d %s over %d ms", strings.Join(silent, ", "), sent, plural(sent, "query", "queries"), time.Since(a.start).Milliseconds())}
		}
	}
	return nil, "", false, lastErr
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// inRunning counts the servers still in the running.
func (a *asking) inRunning() int {
	n := 0
	for _, o := range a.out {
		if !o {
			n++
		}
	}
	return n
}

// keepOneAsked makes sure a server in the running has been sent the question: when the
// ones asked so far all left the running, the next one is asked now, not at the next step.
func (a *asking) keepOneAsked() {
	for {
		next := -1
		for i := range a.servers {
			if a.out[i] {
				continue
			}
			if a.lastTry[i] >= 0 {
				return
			}
			if next < 0 {
				next = i
			}
		}
		if next < 0 {
			return
		}
		if a.send(next) {
			return
		}
	}
}

// send writes the question to server i (opening its socket on first use); false when the
// socket cannot be opened or written, which takes the server out of the running.
func (a *asking) send(i int) bool {
	a.tries = append(a.tries, facts.DNSTry{Server: a.servers[i], Question: a.question, Transport: "udp", AtMs: time.Since(a.start).Milliseconds()})
	a.lastTry[i] = len(a.tries) - 1
	if a.socks[i] == nil {
		var d net.Dialer
		c, err := d.DialContext(a.ctx, "udp", a.servers[i])
		if err != nil {
			a.failSend(i, err)
			return false
		}
		a.socks[i] = c
		go a.read(i, c)
	}
	if _, err := a.socks[i].Write(a.wire); err != nil {
		a.failSend(i, err)
		return false
	}
	return true
}

func (a *asking) failSend(i int, err error) {
	de := classifyDNSErr(a.ctx, a.servers[i], err)
	a.tries[a.lastTry[i]].Outcome = de.Reason
	a.out[i] = true
	a.lastErr = de
}

// read delivers every datagram (and the socket's failure) of server i until the question
// is settled.
func (a *asking) read(i int, c net.Conn) {
	buf := make([]byte, udpAnswerBuffer)
	for {
		n, err := c.Read(buf)
		ar := arrival{server: i, at: time.Now(), err: err}
		if err == nil {
			m := new(dns.Msg)
			if perr := m.Unpack(buf[:n]); perr != nil {
				ar.bad = perr
			} else {
				ar.msg = m
			}
		}
		select {
		case a.arrivals <- ar:
		case <-a.done:
			return
		}
		if err != nil {
			return
		}
	}
}

// answered records what came of server ar.server's latest datagram.
func (a *asking) answered(ar arrival, outcome string) {
	t := a.lastTry[ar.server]
	if t < 0 {
		return
	}
	a.tries[t].Outcome = outcome
	sent := a.start.Add(time.Duration(a.tries[t].AtMs) * time.Millisecond)
	a.tries[t].Ms = max(ar.at.Sub(sent).Milliseconds(), 0)
}

// overTCP asks server i again over TCP, within what is left of the schedule.
func (a *asking) overTCP(i int) (*dns.Msg, error) {
	server := a.servers[i]
	a.tries = append(a.tries, facts.DNSTry{Server: server, Question: a.question, Transport: "tcp", AtMs: time.Since(a.start).Milliseconds()})
	t := len(a.tries) - 1
	ctx, cancel := context.WithDeadline(a.ctx, a.start.Add(giveUpAfter))
	defer cancel()
	sent := time.Now()
	resp, err := exchangeTCP(ctx, a.msg, server)
	if err == nil && (resp.Id != a.msg.Id || !sameQuestion(resp, a.msg)) {
		a.tries[t].Outcome = "bad-response"
		return nil, &DNSError{Reason: "bad-response", Detail: server + " answered another question over TCP"}
	}
	if err != nil {
		de := classifyDNSErr(ctx, server, err)
		a.tries[t].Outcome = de.Reason
		return nil, de
	}
	a.tries[t].Outcome = dns.RcodeToString[resp.Rcode]
	a.tries[t].Ms = time.Since(sent).Milliseconds()
	return resp, nil
}

// sameQuestion says the answer is to the question asked (name case aside).
func sameQuestion(resp, q *dns.Msg) bool {
	if len(resp.Question) != 1 || len(q.Question) != 1 {
		return false
	}
	x, y := resp.Question[0], q.Question[0]
	return x.Qtype == y.Qtype && x.Qclass == y.Qclass && strings.EqualFold(x.Name, y.Name)
}

// exchangeTCP asks one server over TCP. miekg/dns only takes the context's deadline, not its
// cancellation: closing the connection when ctx ends makes a pending read return at once, so
// Ctrl-C, or a lookup whose answer is no longer needed, does not wait for the deadline.
func exchangeTCP(ctx context.Context, m *dns.Msg, server string) (*dns.Msg, error) {
	c := &dns.Client{Net: "tcp"}
	co, err := c.DialContext(ctx, server)
	if err != nil {
		return nil, err
	}
	defer co.Close()
	stop := context.AfterFunc(ctx, func() { co.Close() })
	defer stop()
	resp, _, err := c.ExchangeWithConnContext(ctx, m, co)
	return resp, err
}
