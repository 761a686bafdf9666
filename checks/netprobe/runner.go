package netprobe

import (
	"context"
	"sync"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/facts"
)

// Job is one check to run: a target and a forced route ("" = as the proxy selection says).
type Job struct {
	Target catalog.Target
	Route  string
	// ProxyFor, when set, replaces the run's proxy choice for this job (a role whose proxy
	// differs from the others', e.g. the management point's Local System WinINET).
	ProxyFor func(host string, port int, scheme string) *ProxyConfig
}

// Runner executes network checks with bounded concurrency.
type Runner struct {
	Env         *Env
	Concurrency int
	// OnDone is called (from worker goroutines) after each check.
	OnDone func(facts.Check)
	// OnStarted, when set, is called once the first wave of checks (one per worker) has been
	// handed out: from then on the run mostly waits on the network.
	OnStarted func()
}

// Run executes every job and returns the checks in job order. When ctx ends (Ctrl-C or the
// whole-run deadline), checks not yet started are reported as error/interrupted and running
// ones stop at their next blocking operation.
func (r *Runner) Run(ctx context.Context, jobs []Job) []facts.Check {
	out := make([]facts.Check, len(jobs))
	n := r.Concurrency
	if n <= 0 {
		n = 32
	}
	if n > len(jobs) {
		n = len(jobs)
	}
	// A port-80 check waits for the HTTPS check of its host (its proof is anchored there).
	pg := pairJobs(r.Env, jobs)
	// A port-80 check of a revocation host asks what the run's verified chains name there.
	https, plain := 0, false
	for _, j := range jobs {
		if j.Target.Scheme() == "https" {
			https++
		} else {
			plain = true
		}
	}
	if plain {
		r.Env.chains = newChainStore(https)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				env := r.Env
				if jobs[i].ProxyFor != nil {
					e := *r.Env
					e.ProxyFor = jobs[i].ProxyFor
					env = &e
				}
				c, rest := env.startTarget(ctx, jobs[i].Target, jobs[i].Route, pg.publish[i], pg.read[i])
				if rest != nil {
					// A port-80 check waiting for its host's HTTPS check to prove its
					// answer: the wait runs aside, this worker takes the next check.
					wg.Add(1)
					go func(i int) {
						defer wg.Done()
						c := rest()
						out[i] = c
						if r.OnDone != nil {
							r.OnDone(c)
						}
					}(i)
					continue
				}
				out[i] = c
				if r.OnDone != nil {
					r.OnDone(c)
				}
			}
		}()
	}
	k := 0
feed:
	for ; k < len(pg.order); k++ {
		select {
		case next <- pg.order[k]:
		case <-ctx.Done():
			break feed
		}
		if k == n-1 && r.OnStarted != nil {
			r.OnStarted()
		}
	}
	close(next)
	wg.Wait()
	for _, s := range pg.publish {
		if s != nil {
			s.closeConn()
		}
	}
	// One page for several different hosts is a filter's template, not the origins'.
	SamePageAcrossHosts(out)
	for ; k < len(pg.order); k++ {
		i := pg.order[k]
		c := newCheck(jobs[i].Target, jobs[i].Route)
		c.Status, c.Reason, c.Message = facts.StatusError, "interrupted", "the run was interrupted before this check started"
		out[i] = c
		if r.OnDone != nil {
			r.OnDone(c)
		}
	}
	return out
}

// Summarize counts checks by status.
func Summarize(cs []facts.Check) facts.Summary {
	var s facts.Summary
	for _, c := range cs {
		s.Total++
		switch c.Status {
		case facts.StatusPass:
			s.Pass++
		case facts.StatusFail:
			s.Fail++
		case facts.StatusWarn:
			s.Warn++
		case facts.StatusSkip:
			s.Skip++
		case facts.StatusError:
			s.Error++
		}
		if c.Required {
			s.Required++
			if c.Status != facts.StatusPass {
				s.RequiredFailed++
			}
		}
	}
	return s
}
