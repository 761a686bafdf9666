package neterr

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

func opErr(op string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: errno}}
}

func TestReason(t *testing.T) {
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	bg := context.Background()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		err  error
		want string
	}{
		{"nil", bg, nil, ""},
		{"deadline", bg, context.DeadlineExceeded, Timeout},
		{"socket deadline", bg, fmt.Errorf("read: %w", os.ErrDeadlineExceeded), Timeout},
		{"net timeout", bg, &net.DNSError{Err: "i/o timeout", IsTimeout: true}, Timeout},
		{"cut by the run's deadline", expired, errors.New("malformed HTTP response"), Timeout},
		{"refused", bg, opErr("dial", syscall.ECONNREFUSED), Refused},
		{"reset", bg, opErr("read", syscall.ECONNRESET), Reset},
		{"broken pipe", bg, opErr("write", syscall.EPIPE), Reset},
		// The DNS classifier used to call this local failure a bad response.
		{"network unreachable", bg, opErr("dial", syscall.ENETUNREACH), Unreachable},
		{"host unreachable", bg, opErr("dial", syscall.EHOSTUNREACH), Unreachable},
		{"eof", bg, io.EOF, Closed},
		{"unexpected eof", bg, fmt.Errorf("reading: %w", io.ErrUnexpectedEOF), Closed},
		{"windows reset wording", bg, errors.New("wsarecv: An existing connection was forcibly closed by the remote host."), Reset},
		{"text refused", bg, errors.New("dial udp 10.0.0.53:53: connect: connection refused"), Refused},
		{"text unreachable", bg, errors.New("dial udp 10.0.0.53:53: connect: network is unreachable"), Unreachable},
		{"other", bg, errors.New("tls: bad certificate"), Other},
	} {
		if got := Reason(tc.ctx, tc.err); got != tc.want {
			t.Errorf("%s: Reason(%v) = %q, want %q", tc.name, tc.err, got, tc.want)
		}
	}
}

// The words of a message never carry Go's own error text for a classified failure.
func TestDescribe(t *testing.T) {
	bg := context.Background()
	addr := &net.TCPAddr{IP: net.IPv4(127, 24, 0, 9), Port: 443}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{io.EOF, "the peer closed the connection"},
		{&net.OpError{Op: "write", Net: "tcp", Addr: addr, Err: &os.SyscallError{Syscall: "write", Err: syscall.EPIPE}}, "the connection was reset (127.24.0.9:443)"},
		{context.DeadlineExceeded, "no answer in time"},
		{opErr("dial", syscall.ECONNREFUSED), "the connection was refused"},
		{errors.New("tls: bad certificate"), "tls: bad certificate"},
	} {
		got := Describe(bg, tc.err)
		if got != tc.want {
			t.Errorf("Describe(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
