package probers

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/cmpreflight/cmpreflight/facts"
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

// classifyNetErr maps a network error to a reason a network team recognises.
func classifyNetErr(ctx context.Context, err error) *ConnectError {
	var ce *ConnectError
	if errors.As(err, &ce) {
		return ce
	}
	detail := err.Error()
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return &ConnectError{Reason: "timeout", Detail: detail}
	case ctx.Err() != nil || pastDeadline(ctx):
		// A read cut by the deadline can surface as a parse error of the partial data (a
		// status line dripped byte by byte ends as "malformed HTTP response"); the socket
		// deadline equals the context's and may fire a moment before the context notices.
		return &ConnectError{Reason: "timeout", Detail: detail}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &ConnectError{Reason: "refused", Detail: detail}
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return &ConnectError{Reason: "reset", Detail: detail}
	case errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH):
		return &ConnectError{Reason: "unreachable", Detail: detail}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return &ConnectError{Reason: "closed", Detail: "the peer closed the connection"}
	case strings.Contains(detail, "refused"):
		return &ConnectError{Reason: "refused", Detail: detail}
	case strings.Contains(detail, "reset"), strings.Contains(detail, "forcibly closed"):
		return &ConnectError{Reason: "reset", Detail: detail}
	case strings.Contains(detail, "unreachable"):
		return &ConnectError{Reason: "unreachable", Detail: detail}
	}
	return &ConnectError{Reason: "error", Detail: detail}
}

// pastDeadline reports whether ctx's deadline has passed, even if ctx has not noticed yet.
func pastDeadline(ctx context.Context) bool {
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}
