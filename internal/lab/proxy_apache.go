package lab

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Apache2Bin is the Debian apache2 binary; its modules live in apache2Modules.
var (
	Apache2Bin     = "/usr/sbin/apache2"
	apache2Modules = "/usr/lib/apache2/modules"
)

// ApacheOptions shapes one Apache httpd forward proxy (mod_proxy, proxy_http, proxy_connect).
type ApacheOptions struct {
	// Hosts are the lab names Apache resolves. ProxyBlock resolves the blocked names at
	// start and also blocks their addresses: give blocked names addresses of their own, or
	// every name sharing one is blocked too.
	Hosts map[string]string
	// Block lists ProxyBlock names ("403 Proxy Error").
	Block []string
}

// StartApache runs apache2 -X (one process, foreground) as a forward proxy on its own
// loopback address, and stops it in t.Cleanup.
func StartApache(t testing.TB, o ApacheOptions) *Proxy {
	t.Helper()
	needDaemon(t, Apache2Bin)
	dir := daemonDir(t, "cmpreflight-apache-", "www-data")
	p := &Proxy{dir: dir, LogPath: filepath.Join(dir, "access.log"), CacheLogPath: filepath.Join(dir, "error.log")}
	ip, port, ns := newNSDaemon(t, p, dir, o.Hosts)

	var c strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&c, format+"\n", a...) }
	line("ServerRoot %s", dir)
	line("ServerName cmpreflight-lab-apache")
	line("Listen %s:%d", ip, port)
	line("PidFile %s", filepath.Join(dir, "apache.pid"))
	line("DefaultRuntimeDir %s", dir)
	line("ErrorLog %s", p.CacheLogPath)
	line("LogLevel warn")
	for _, m := range []string{"mpm_event", "authz_core", "authz_host", "proxy", "proxy_http", "proxy_connect"} {
		line("LoadModule %s_module %s/mod_%s.so", m, apache2Modules, m)
	}
	line(`LogFormat "%%h %%r %%>s" lab`)
	line("CustomLog %s lab", p.LogPath)
	line("User www-data")
	line("Group www-data")
	line("ProxyRequests On")
	line("ProxyVia Off")
	// Lab endpoints listen on 443 and 80 on their own addresses.
	line("AllowCONNECT 443 80")
	if len(o.Block) > 0 {
		line("ProxyBlock %s", strings.Join(o.Block, " "))
	}
	line(`<Proxy "*">`)
	line("  Require ip 127.0.0.0/8")
	line("</Proxy>")
	conf := filepath.Join(dir, "apache.conf")
	writeFile(t, conf, []byte(c.String()), 0o644, "")

	cmd := ns.command(dir, Apache2Bin+" -X -f "+conf, "APACHE_RUN_DIR="+dir, "APACHE_LOCK_DIR="+dir)
	runDaemon(t, "apache2", p, cmd, func() string {
		return "error.log:\n" + tail(p.CacheLogPath, 30) + "\nstderr:\n" + p.stderr.String()
	})
	return p
}
