package lab

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// PrivoxyBin is the Debian privoxy binary.
var PrivoxyBin = "/usr/sbin/privoxy"

// PrivoxyOptions shapes one privoxy instance: which names it blocks, and how.
type PrivoxyOptions struct {
	Hosts map[string]string // lab names privoxy resolves (others: NXDOMAIN)
	// Block: "+block" ("403 Request blocked by Privoxy" and its block page).
	Block []string
	// Empty: "+block +handle-as-empty-document" (an empty document instead of the page).
	Empty []string
	// Redirect: "+redirect{RedirectTo}" ("302 Local Redirect from Privoxy").
	Redirect   []string
	RedirectTo string
}

// StartPrivoxy runs privoxy in the foreground on its own loopback address, resolving
// through a private resolv.conf naming the lab DNS, and stops it in t.Cleanup.
func StartPrivoxy(t testing.TB, o PrivoxyOptions) *Proxy {
	t.Helper()
	needDaemon(t, PrivoxyBin)
	dir := daemonDir(t, "cmpreflight-privoxy-", "privoxy")
	p := &Proxy{dir: dir, LogPath: filepath.Join(dir, "privoxy.log")}
	ip, port, ns := newNSDaemon(t, p, dir, o.Hosts)

	var a strings.Builder
	section := func(action string, names []string) {
		if len(names) == 0 {
			return
		}
		fmt.Fprintf(&a, "{ %s }\n", action)
		for _, n := range names {
			// A host pattern: the name itself (a leading dot would add its subdomains).
			fmt.Fprintf(&a, "%s\n", n)
		}
	}
	section("+block{blocked by the cmpreflight lab policy}", o.Block)
	section("+block{blocked by the cmpreflight lab policy} +handle-as-empty-document", o.Empty)
	section("+redirect{"+o.RedirectTo+"}", o.Redirect)
	actions := filepath.Join(dir, "lab.action")
	writeFile(t, actions, []byte(a.String()), 0o644, "privoxy")

	var c strings.Builder
	fmt.Fprintf(&c, "listen-address %s:%d\n", ip, port)
	fmt.Fprintf(&c, "confdir %s\ntempldir /etc/privoxy/templates\nlogdir %s\nlogfile privoxy.log\n", dir, dir)
	fmt.Fprintf(&c, "actionsfile %s\n", actions)
	fmt.Fprintf(&c, "toggle 1\nenable-remote-toggle 0\nenable-edit-actions 0\nenable-remote-http-toggle 0\n")
	fmt.Fprintf(&c, "debug 1\ndebug 1024\n")
	conf := filepath.Join(dir, "privoxy.conf")
	writeFile(t, conf, []byte(c.String()), 0o644, "privoxy")

	cmd := ns.command(dir, PrivoxyBin+" --no-daemon "+conf)
	runDaemon(t, "privoxy", p, cmd, func() string {
		return "log:\n" + tail(p.LogPath, 30) + "\nstderr:\n" + p.stderr.String()
	})
	return p
}
