package main

import (
	"context"
	"strings"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/probers"
)

// runIdleCheck holds a tunnel idle to the first *.manage.microsoft.com probe host that passed
// (the role's long-lived connection) and adds the outcome as a check.
func runIdleCheck(ctx context.Context, f *runFlags, env *probers.Env, doc *facts.Document) {
	host := ""
	for _, c := range doc.Checks {
		if c.Port == 443 && c.Status == facts.StatusPass && (strings.HasSuffix(c.Host, ".manage.microsoft.com") || strings.HasSuffix(c.Host, ".manage.microsoft.us")) {
			host = c.Host
			break
		}
	}
	if host == "" {
		for _, c := range doc.Checks {
			if c.Port == 443 && c.Status == facts.StatusPass && c.Route == facts.RouteProxy {
				host = c.Host
				break
			}
		}
	}
	if host == "" {
		doc.Checks = append(doc.Checks, facts.Check{ID: "proxy/idle-tunnel", Kind: "https", Route: facts.RouteProxy,
			Status: facts.StatusSkip, Reason: "no-target", Message: "no endpoint passed through the proxy on 443 to hold a tunnel to"})
		return
	}
	doc.Checks = append(doc.Checks, env.IdleTunnel(ctx, host, f.idleWait))
}
