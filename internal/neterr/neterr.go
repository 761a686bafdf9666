// Package neterr is the one classifier of network errors: it names how a DNS query, a TCP
// connection, a proxy exchange, an SMB port probe or an AdminService request failed, in the
// words of the report's reason field.
package neterr

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"
)

// Reasons, as the report's reason field spells them.
const (
	Timeout     = "timeout"
	Refused     = "refused"
	Reset       = "reset"
	Unreachable = "unreachable" // no route to the network or host, from this machine
	Closed      = "closed"      // the peer closed the connection mid-exchange
	Other       = "error"
)

// Reason classifies err. A deadline wins over what the cut-off read looked like: a status
// line dripped byte by byte and cut by the deadline ends as a parse error of partial data, and
// the socket deadline equals the context's, so it may fire a moment before ctx notices.
func Reason(ctx context.Context, err error) string {
	if err == nil {
		return ""
	}
	var te interface{ Timeout() bool }
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &te) && te.Timeout()):
		return Timeout
	case ctx != nil && (ctx.Err() != nil || pastDeadline(ctx)):
		return Timeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return Refused
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE):
		return Reset
	case errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH):
		return Unreachable
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return Closed
	}
	// Errors that lost their errno (wrapped as text by a library, or Windows wording).
	text := strings.ToLower(err.Error())
	switch {
	case strings.Contains(text, "refused"):
		return Refused
	case strings.Contains(text, "reset"), strings.Contains(text, "forcibly closed"), strings.Contains(text, "broken pipe"):
		return Reset
	case strings.Contains(text, "unreachable"):
		return Unreachable
	case strings.Contains(text, "i/o timeout"), strings.Contains(text, "timed out"):
		return Timeout
	}
	return Other
}

// pastDeadline reports whether ctx's deadline has passed, even if ctx has not noticed yet.
func pastDeadline(ctx context.Context) bool {
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// Describe says in words what Reason found, for a report's message: never Go's own text
// ("EOF", "write: broken pipe", "context deadline exceeded") for a failure the classifier
// names. The peer's address is kept when the error carries it. Only an error of no known
// kind (a TLS alert, a parse error) keeps its own text.
func Describe(ctx context.Context, err error) string {
	if err == nil {
		return ""
	}
	peer := ""
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Addr != nil {
		peer = oe.Addr.String()
	}
	by := func(s string) string {
		if peer == "" {
			return s
		}
		return s + " (" + peer + ")"
	}
	switch Reason(ctx, err) {
	case Timeout:
		return by("no answer in time")
	case Refused:
		return by("the connection was refused")
	case Reset:
		return by("the connection was reset")
	case Unreachable:
		return by("no route to the network or host from this machine")
	case Closed:
		return by("the peer closed the connection")
	}
	return err.Error()
}
