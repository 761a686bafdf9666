//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/cmpreflight/cmpreflight/checks"
)

func TestDebugProfile(t *testing.T) {
	tb := &benchTB{}
	defer tb.cleanup()
	l := startLab(tb, 4)
	path := endpointsFile(l, 3000)
	l.setRTT(20 * time.Millisecond)
	cat, _ := checks.LoadEndpointFile(path)
	targets, _ := checks.Plan(cat.Entries, checks.PlanOptions{Edition: "current", Cloud: "public"})
	env := &checks.Env{Resolver: &checks.Resolver{Servers: []string{l.dns.Addr}}, Trust: checks.Trust{Machine: l.ca.Pool(), Expected: l.ca.Pool()}, Timeout: 10 * time.Second, UserAgent: "x"}
	jobs := make([]checks.Job, len(targets))
	for i, tg := range targets {
		jobs[i] = checks.Job{Target: tg}
	}
	f, _ := os.Create("/tmp/cpu.prof")
	pprof.StartCPUProfile(f)
	start := time.Now()
	out := (&checks.Runner{Env: env, Concurrency: 64}).Run(context.Background(), jobs)
	pprof.StopCPUProfile()
	f.Close()
	var sum int64
	pass, exp := 0, 0
	for _, c := range out {
		sum += c.Timings.Total
		if c.Status == "pass" {
			pass++
		}
		if c.Evidence.TLS != nil && c.Evidence.TLS.ExpectedRootsVerified != nil && *c.Evidence.TLS.ExpectedRootsVerified {
			exp++
		}
	}
	fmt.Printf("%d checks %d pass (%d expected-roots verified) in %v; mean total %d ms\n", len(out), pass, exp, time.Since(start), sum/int64(len(out)))
}
