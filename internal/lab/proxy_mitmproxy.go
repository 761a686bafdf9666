package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// MitmdumpBin is the Debian mitmproxy's non-interactive proxy.
var MitmdumpBin = "/usr/bin/mitmdump"

// MitmproxyOptions shapes one mitmproxy instance: it intercepts TLS through CONNECT and
// re-signs with its own CA (CAFile of the returned proxy).
type MitmproxyOptions struct {
	Hosts map[string]string
	// UpstreamCA is the PEM mitmproxy trusts for the origins (the lab CA).
	UpstreamCA []byte
}

// StartMitmproxy runs mitmdump on its own loopback address and stops it in t.Cleanup.
// The returned proxy's CAFile is the PEM of the CA it re-signs with.
func StartMitmproxy(t testing.TB, o MitmproxyOptions) *Proxy {
	t.Helper()
	needDaemon(t, MitmdumpBin)
	dir := daemonDir(t, "cmpreflight-mitmproxy-", "")
	p := &Proxy{dir: dir}
	ip, port, ns := newNSDaemon(t, p, dir, o.Hosts)
	upstream := filepath.Join(dir, "upstream-ca.pem")
	writeFile(t, upstream, o.UpstreamCA, 0o644, "")
	confdir := filepath.Join(dir, "conf")
	if err := os.MkdirAll(confdir, 0o755); err != nil {
		t.Fatal(err)
	}
	args := []string{MitmdumpBin, "--listen-host", ip, "-p", itoa(port), "-q",
		"--set", "confdir=" + confdir, "--set", "ssl_verify_upstream_trusted_ca=" + upstream,
		"--set", "connection_strategy=lazy"}
	cmd := ns.command(dir, strings.Join(args, " "))
	runDaemon(t, "mitmdump", p, cmd, func() string { return "stderr:\n" + p.stderr.String() })
	p.CAFile = filepath.Join(confdir, "mitmproxy-ca-cert.pem")
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, err := os.Stat(p.CAFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mitmproxy wrote no CA at %s", p.CAFile)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("mitmproxy CA: %s", p.CAFile)
	return p
}
