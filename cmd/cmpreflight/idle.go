package main

import (
	"context"

	"github.com/cmpreflight/cmpreflight/checks"
)

// runIdleCheck holds a tunnel to a *.manage.microsoft.com probe host idle and reports
// whether the proxy kept it.
func runIdleCheck(ctx context.Context, f *runFlags, env *checks.Env, doc *checks.Document) {
}
