package preflight

import (
	"context"
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
	ballast := make([]byte, 8<<20)
	go guardMemory(ctx, stop)
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the guard did not stop the evaluation")
	}
	if err := context.Cause(ctx); err == nil || !strings.Contains(err.Error(), "more than 1 MB of memory") {
		t.Errorf("cause %v", err)
	}
	_ = ballast[len(ballast)-1]
}
