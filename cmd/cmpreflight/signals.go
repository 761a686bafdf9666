package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/cmpreflight/cmpreflight/internal/outfile"
)

// exitNow ends the process; a variable so that nothing else in the package calls os.Exit.
var exitNow = os.Exit

// watchInterrupts handles Ctrl-C (SIGINT) and SIGTERM for one command. With graceful (run),
// the first one cancels the returned context: the run stops probing and still writes its
// report, marked interrupted. Any other one, or the first for a command that has nothing
// to finish, ends the process at once with exit 2, after removing every output still being
// written: what was whole stays, nothing half written is left.
func watchInterrupts(name string, stderr io.Writer, graceful bool) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		first := true
		for {
			select {
			case <-done:
				return
			case sig := <-ch:
				if graceful && first {
					first = false
					cancel()
					continue
				}
				outfile.Abort()
				what := "interrupted"
				if !first {
					what = "interrupted again"
				}
				fmt.Fprintf(stderr, "cmpreflight %s: %s (%v): stopped at once; no output is left half written\n", name, what, sig)
				exitNow(exitUsage)
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel()
	}
}
