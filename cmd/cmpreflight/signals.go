package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/cmpreflight/cmpreflight/internal/outfile"
)

// interrupts handles Ctrl-C (SIGINT) and SIGTERM for one command. While graceful (run before
// its outputs), the first one cancels the context: the run stops probing or evaluating and
// still writes its report, marked interrupted. Any other one, or the first once nothing is
// left to finish, ends the process at once with exit 2, after removing every output still
// being written: what was whole stays, nothing half written is left.
type interrupts struct {
	ctx      context.Context
	cancel   context.CancelFunc
	graceful atomic.Bool
	hint     atomic.Bool // say, on the first interrupt, that a second one stops at once
	ch       chan os.Signal
	done     chan struct{}
}

func watchInterrupts(name string, stderr io.Writer, graceful bool) *interrupts {
	in := &interrupts{ch: make(chan os.Signal, 2), done: make(chan struct{})}
	in.ctx, in.cancel = context.WithCancel(context.Background())
	in.graceful.Store(graceful)
	signal.Notify(in.ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		again := false
		for {
			select {
			case <-in.done:
				return
			case sig := <-in.ch:
				if in.graceful.Load() && !again {
					again = true
					in.cancel()
					if in.hint.Load() {
						fmt.Fprintf(stderr, "\ncmpreflight %s: %v: stopping; the report is written with what finished (interrupt again to stop at once, writing nothing more)\n", name, sig)
					}
					continue
				}
				outfile.Abort()
				what := "interrupted"
				if again {
					what = "interrupted again"
				}
				fmt.Fprintf(stderr, "cmpreflight %s: %s (%v): stopped at once; no output is left half written\n", name, what, sig)
				os.Exit(exitUsage)
			}
		}
	}()
	return in
}

// atOnce makes the next interrupt end the process at once: nothing is left to finish (the
// outputs are being written, and a FIFO nobody reads could hold them for ever).
func (in *interrupts) atOnce() { in.graceful.Store(false) }

func (in *interrupts) stop() {
	signal.Stop(in.ch)
	close(in.done)
	in.cancel()
}
