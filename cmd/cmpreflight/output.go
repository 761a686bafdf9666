package main

import (
	"fmt"
	"io"
	"sync"

	"github.com/cmpreflight/cmpreflight/checks"
)

// progress shows checks done of total on stderr (plain lines when not a terminal).
type progress struct {
	mu          sync.Mutex
	w           io.Writer
	total, done int
	failed      int
	quiet       bool
}

func newProgress(w io.Writer, total int, quiet bool) *progress {
	return &progress{w: w, total: total, quiet: quiet}
}

func (p *progress) Done(c checks.Check) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if c.Status != checks.StatusPass {
		p.failed++
	}
	if !p.quiet && (p.done%25 == 0 || p.done == p.total) {
		fmt.Fprintf(p.w, "checked %d/%d, %d not passed\n", p.done, p.total, p.failed)
	}
}

func (p *progress) Finish() {}

type runLog struct{}

func openLog(path string) (*runLog, error)  { return &runLog{}, nil }
func (l *runLog) Close()                    {}
func (l *runLog) check(c checks.Check)      {}
func (l *runLog) verdict(v *checks.Verdict) {}
