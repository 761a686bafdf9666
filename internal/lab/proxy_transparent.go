package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TransparentSquidOptions configures an intercepting squid inside a network namespace.
type TransparentSquidOptions struct {
	// Resolver is the lab DNS address (port 53) squid resolves with, inside the namespace:
	// squid checks each Host header against the address the client connected to.
	Resolver string
	// Block are names squid refuses (dstdomain).
	Block []string
	// HideErrorHeader drops squid's X-Squid-Error header from its answers, as some
	// deployments do (reply_header_access X-Squid-Error deny all).
	HideErrorHeader bool
}

// StartTransparentSquid runs squid in intercept mode inside ns and redirects every TCP
// connection to port 80 made in ns (except squid's own, user proxy) to it with nftables: a
// transparent proxy on the direct path, invisible to the client's proxy settings.
func StartTransparentSquid(t testing.TB, ns *Netns, o TransparentSquidOptions) *Proxy {
	t.Helper()
	needDaemon(t, SquidBin)
	needDaemon(t, "/usr/sbin/nft")
	dir := daemonDir(t, "cmpf21a-tsquid-", "proxy")
	p := &Proxy{dir: dir, ns: ns, Addr: "127.0.0.1:3129", LogPath: filepath.Join(dir, "access.log"), CacheLogPath: filepath.Join(dir, "cache.log")}
	var c strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&c, format+"\n", a...) }
	line("http_port 127.0.0.1:3129 intercept")
	line("http_port 127.0.0.1:3130")
	line("pid_filename %s", filepath.Join(dir, "squid.pid"))
	line("access_log stdio:%s", p.LogPath)
	line("cache_log %s", p.CacheLogPath)
	line("coredump_dir %s", dir)
	line("cache deny all")
	line("cache_mem 4 MB")
	line("max_filedescriptors 1024")
	line("pinger_enable off")
	line("shutdown_lifetime 1 seconds")
	line("hosts_file none")
	line("dns_nameservers %s", o.Resolver)
	line("dns_timeout 1 seconds")
	if len(o.Block) > 0 {
		line("acl blocked dstdomain %s", strings.Join(o.Block, " "))
		line("http_access deny blocked")
	}
	if o.HideErrorHeader {
		line("reply_header_access X-Squid-Error deny all")
	}
	line("http_access allow all")
	writeFile(t, filepath.Join(dir, "squid.conf"), []byte(c.String()), 0o644, "proxy")
	rules := "table ip cmpf21a {\n chain output {\n  type nat hook output priority -100; policy accept;\n  meta skuid != proxy tcp dport 80 redirect to :3129\n }\n}\n"
	writeFile(t, filepath.Join(dir, "rules.nft"), []byte(rules), 0o644, "")
	if out, err := ns.Command("/usr/sbin/nft", "-f", filepath.Join(dir, "rules.nft")).CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		t.Fatalf("nft in %s: %v: %s", ns.Name, err, out)
	}
	cmd := ns.Command(SquidBin, "-N", "-f", filepath.Join(dir, "squid.conf"))
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}
	runDaemon(t, "transparent squid", p, cmd, func() string { return "cache.log:\n" + tail(p.CacheLogPath, 30) + "\nstderr:\n" + p.stderr.String() })
	return p
}
