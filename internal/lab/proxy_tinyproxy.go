package lab

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TinyproxyBin is the Debian tinyproxy binary.
var TinyproxyBin = "/usr/bin/tinyproxy"

// TinyproxyOptions shapes one tinyproxy instance.
type TinyproxyOptions struct {
	// User and Password, when User is set, require Basic auth. Quirk of tinyproxy 1.11: a
	// wrong or missing password is answered "401 Unauthorized" with WWW-Authenticate, not 407.
	User, Password string
	// Hosts maps lab names to IPs. tinyproxy resolves through the C library, so it runs in a
	// private mount namespace where /etc/hosts and /etc/resolv.conf are bind-mounted copies:
	// the hosts file holds these names, the resolver is the lab DNS (NXDOMAIN for the rest).
	Hosts map[string]string
	// Filter lists host names tinyproxy refuses ("403 Filtered"), or, with
	// FilterDefaultDeny, the only names it lets through (an allow list).
	Filter            []string
	FilterDefaultDeny bool
}

// StartTinyproxy runs tinyproxy in the foreground on its own loopback address and a random
// port, and stops it in t.Cleanup. It skips like StartSquid.
func StartTinyproxy(t testing.TB, o TinyproxyOptions) *Proxy {
	t.Helper()
	needDaemon(t, TinyproxyBin)
	dir := daemonDir(t, "cmpreflight-tinyproxy-", "nobody")
	p := &Proxy{dir: dir, LogPath: filepath.Join(dir, "tinyproxy.log")}
	ip, port, ns := newNSDaemon(t, p, dir, o.Hosts)

	var c strings.Builder
	fmt.Fprintf(&c, "User nobody\nGroup nogroup\n")
	fmt.Fprintf(&c, "Listen %s\nPort %d\n", ip, port)
	fmt.Fprintf(&c, "Timeout 60\nMaxClients 50\n")
	fmt.Fprintf(&c, "LogFile %q\nLogLevel Info\nPidFile %q\n", p.LogPath, filepath.Join(dir, "tinyproxy.pid"))
	fmt.Fprintf(&c, "Allow 127.0.0.0/8\nViaProxyName \"cmpreflight-lab-tinyproxy\"\n")
	// No ConnectPort line: CONNECT is allowed to every port.
	if o.User != "" {
		fmt.Fprintf(&c, "BasicAuth %s %s\n", o.User, o.Password)
	}
	if len(o.Filter) > 0 {
		// One extended regular expression a line, matched against the host name.
		var f strings.Builder
		for _, h := range o.Filter {
			fmt.Fprintf(&f, "^%s$\n", strings.ReplaceAll(h, ".", `\.`))
		}
		filter := filepath.Join(dir, "filter")
		writeFile(t, filter, []byte(f.String()), 0o644, "")
		fmt.Fprintf(&c, "Filter %q\nFilterExtended On\n", filter)
		if o.FilterDefaultDeny {
			fmt.Fprintf(&c, "FilterDefaultDeny Yes\n")
		}
	}
	conf := filepath.Join(dir, "tinyproxy.conf")
	writeFile(t, conf, []byte(c.String()), 0o600, "")

	cmd := ns.command(dir, TinyproxyBin+" -d -c "+conf)
	runDaemon(t, "tinyproxy", p, cmd, func() string {
		return "log:\n" + tail(p.LogPath, 30) + "\nstderr:\n" + p.stderr.String()
	})
	return p
}
