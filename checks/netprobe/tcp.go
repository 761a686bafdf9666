package netprobe

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/neterr"
)

// happyEyeballsDelay is how long an attempt has before the next address is tried in parallel.
const happyEyeballsDelay = 250 * time.Millisecond

// ConnectError carries the classified reason of a failed connection.
type ConnectError struct {
	Reason string // refused, unreachable, timeout, reset, closed
	Detail string
}

func (e *ConnectError) Error() string { return e.Reason + ": " + e.Detail }

// Connect races TCP connections to addrs (happy-eyeballs style: a new attempt starts when the
// previous one fails or has not finished within 250 ms); the first success wins and the others
// are closed. Every attempt is recorded.
func Connect(ctx context.Context, addrs []string, port string) (net.Conn, *facts.ConnectEvidence, error) {
	ev := &facts.ConnectEvidence{Attempts: []facts.ConnectAttempt{}}
	if len(addrs) == 0 {
		return nil, ev, &ConnectError{Reason: "no-address", Detail: "nothing to connect to"}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		i    int
		conn net.Conn
		err  error
		ms   int64
	}
	results := make(chan result, len(addrs))
	ev.Attempts = make([]facts.ConnectAttempt, 0, len(addrs))
	started := 0
	start := func() {
		i := started
		started++
		addr := net.JoinHostPort(addrs[i], port)
		ev.Attempts = append(ev.Attempts, facts.ConnectAttempt{Address: addr})
		go func() {
			t0 := time.Now()
			var d net.Dialer
			c, err := d.DialContext(ctx, "tcp", addr)
			results <- result{i, c, err, time.Since(t0).Milliseconds()}
		}()
	}
	start()
	pending := 1
	var winner net.Conn
	var lastErr error
	timer := time.NewTimer(happyEyeballsDelay)
	defer timer.Stop()
	for pending > 0 {
		select {
		case r := <-results:
			pending--
			ev.Attempts[r.i].Ms = r.ms
			if r.err == nil && winner == nil {
				winner = r.conn
				ev.Address = ev.Attempts[r.i].Address
				cancel() // stop the others
				continue
			}
			if r.conn != nil {
				r.conn.Close()
				ev.Attempts[r.i].Error = "lost the race"
				continue
			}
			if winner == nil {
				lastErr = classifyNetErr(ctx, r.err)
				ev.Attempts[r.i].Error = lastErr.Error()
				if started < len(addrs) {
					start()
					pending++
					timer.Reset(happyEyeballsDelay)
				}
			} else {
				ev.Attempts[r.i].Error = "abandoned: another address answered first"
			}
		case <-timer.C:
			if winner == nil && started < len(addrs) {
				start()
				pending++
				timer.Reset(happyEyeballsDelay)
			}
		}
	}
	if winner != nil {
		return winner, ev, nil
	}
	return nil, ev, lastErr
}

// classifyNetErr maps a network error to a reason a network team recognises and says it in
// words (the one classifier, internal/neterr): Go's own error text never reaches a message.
func classifyNetErr(ctx context.Context, err error) *ConnectError {
	var ce *ConnectError
	if errors.As(err, &ce) {
		return ce
	}
	return &ConnectError{Reason: neterr.Reason(ctx, err), Detail: neterr.Describe(ctx, err)}
}
