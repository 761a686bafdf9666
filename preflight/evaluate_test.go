package preflight

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The memory guard stops an evaluation whose heap passes the limit, naming the limit.
func TestGuardMemoryStopsPastTheLimit(t *testing.T) {
	old := policyMemoryLimit
	policyMemoryLimit = 1 << 20
	defer func() { policyMemoryLimit = old }()
	ctx, stop := context.WithCancelCause(context.Background())
	defer stop(nil)
	ballast = make([]byte, 32<<20) // held in a package variable: live until the test ends
	runtime.GC()                   // settles the heap statistics the guard reads
	go guardMemory(ctx, stop)
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the guard did not stop the evaluation")
	}
	if err := context.Cause(ctx); err == nil || !strings.Contains(err.Error(), "more than 1 MB of memory") {
		t.Errorf("cause %v", err)
	}
	ballast = nil
}

var ballast []byte
