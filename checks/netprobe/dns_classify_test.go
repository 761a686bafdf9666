package netprobe

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"testing"
)

// The DNS classifier used to cut error text at ':' and call a local "network is unreachable"
// a bad response; it now shares the one network-error classifier.
func TestClassifyDNSErr(t *testing.T) {
	op := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "udp", Err: &os.SyscallError{Syscall: "connect", Err: errno}}
	}
	for _, tc := range []struct {
		err    error
		reason string
	}{
		{op(syscall.ENETUNREACH), "unreachable"},
		{op(syscall.ECONNREFUSED), "refused"},
		{context.DeadlineExceeded, "timeout"},
		{errors.New("dns: bad rdata"), "bad-response"},
	} {
		de := classifyDNSErr(context.Background(), "10.0.0.53:53", tc.err)
		if de.Reason != tc.reason {
			t.Errorf("%v: reason %q, want %q", tc.err, de.Reason, tc.reason)
		}
	}
	// The reason reaches the check without parsing the evidence's text.
	r := &Resolver{Servers: []string{"127.0.0.1:1"}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ev, de := r.Lookup(ctx, "example.invalid")
	if de == nil || de.Reason == "" || ev.Error != de.Error() {
		t.Errorf("Lookup: evidence %q, error %+v", ev.Error, de)
	}
}
