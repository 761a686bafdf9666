package preflight

import (
	"context"
	"strings"

	"github.com/cmpreflight/cmpreflight/checks/netprobe"
	"github.com/cmpreflight/cmpreflight/facts"
)

// idleCheck holds a tunnel idle to the first *.manage.microsoft.com probe host that passed
// (the role's long-lived connection) and returns the outcome as a check.
func idleCheck(ctx context.Context, o *Options, env *netprobe.Env, checks []facts.Check) facts.Check {
	host := ""
	for _, c := range checks {
		if c.Port == 443 && c.Status == facts.StatusPass && (strings.HasSuffix(c.Host, ".manage.microsoft.com") || strings.HasSuffix(c.Host, ".manage.microsoft.us")) {
			host = c.Host
			break
		}
	}
	if host == "" {
		for _, c := range checks {
			if c.Port == 443 && c.Status == facts.StatusPass && c.Route == facts.RouteProxy {
				host = c.Host
				break
			}
		}
	}
	if host == "" {
		return facts.Check{ID: "proxy/idle-tunnel", Kind: "https", Route: facts.RouteProxy,
			Status: facts.StatusSkip, Reason: "no-target", Message: "no endpoint passed through the proxy on 443 to hold a tunnel to"}
	}
	return env.IdleTunnel(ctx, host, o.IdleWait)
}
