package preflight

import (
	"context"
	"errors"
	"fmt"
	"runtime/metrics"
	"time"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/policies"
)

// policyMemoryLimit is the heap past which policy evaluation is stopped: the built-in rules
// over 20,000 checks stay under 200 MB of heap; a runaway user rule (a comprehension over millions of
// numbers) would otherwise take the machine's memory.
var policyMemoryLimit uint64 = 512 << 20

// policyGrace is how long an evaluation may still run when the run was already interrupted
// (the report then still gets the verdict of what finished).
const policyGrace = 10 * time.Second

// evaluate runs the policies under the run's deadline and signals (or, when the run was
// already interrupted, a short grace) and the memory guard. When they stop it, the document
// is marked interrupted and gets a verdict that says so, so the report is still written.
func evaluate(ctx context.Context, engine *policies.Engine, doc *facts.Document) error {
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), policyGrace)
		defer cancel()
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go guardMemory(ctx, stop)

	type result struct {
		v   *facts.Verdict
		err error
	}
	done := make(chan result, 1)
	go func() {
		v, err := engine.Evaluate(ctx, doc)
		done <- result{v, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		// OPA stops between evaluation steps; a builtin in the middle of a huge allocation
		// does not: give it a moment, then leave it behind (the process exits soon after).
		select {
		case r = <-done:
		case <-time.After(2 * time.Second):
			r.err = ctx.Err()
		}
	}
	if r.err == nil {
		doc.Verdict = r.v
		return nil
	}
	if ctx.Err() == nil {
		return r.err
	}
	why := context.Cause(ctx)
	if errors.Is(why, context.DeadlineExceeded) || errors.Is(why, context.Canceled) {
		why = errors.New("the run was interrupted or reached --run-timeout")
	}
	doc.Interrupted = true
	doc.Notes = append(doc.Notes, "policy evaluation was stopped: "+why.Error())
	doc.Verdict = &facts.Verdict{Waived: []facts.Finding{}, Warn: []facts.Finding{}, Deny: []facts.Finding{{
		Rule:        "scp.run_interrupted",
		Message:     "policy evaluation was stopped (" + why.Error() + "), so compliance is unknown",
		Remediation: "fix or remove the user policy that runs away (--policy), or raise --run-timeout, then run again",
	}}}
	return nil
}

// guardMemory stops the evaluation when the heap grows past policyMemoryLimit.
func guardMemory(ctx context.Context, stop context.CancelCauseFunc) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 && sample[0].Value.Uint64() > policyMemoryLimit {
			stop(fmt.Errorf("policy evaluation used more than %d MB of memory", policyMemoryLimit>>20))
			return
		}
	}
}
