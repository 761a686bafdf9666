package lab

import (
	"fmt"
	"os"
	"os/exec"
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
}

// StartTinyproxy runs tinyproxy in the foreground on its own loopback address and a random
// port, and stops it in t.Cleanup. It skips like StartSquid.
func StartTinyproxy(t testing.TB, o TinyproxyOptions) *Proxy {
	t.Helper()
	needDaemon(t, TinyproxyBin)
	dir := daemonDir(t, "cmpreflight-tinyproxy-", "nobody")
	p := &Proxy{dir: dir, LogPath: filepath.Join(dir, "tinyproxy.log")}
	ip, port, err := allocProxyAddr()
	if err != nil {
		os.RemoveAll(dir)
		t.Fatal(err)
	}
	p.Addr = fmt.Sprintf("%s:%d", ip, port)
	p.URL = proxyURL(p.Addr)
	resolv := "nameserver 127.255.255.254\noptions timeout:1 attempts:1\n"
	if d, err := labResolver(ip, o.Hosts); err == nil {
		p.DNS = d
		resolv = "nameserver " + ip + "\noptions timeout:1 attempts:1\n"
	}
	hosts := filepath.Join(dir, "hosts")
	resolvPath := filepath.Join(dir, "resolv.conf")
	writeFile(t, hosts, hostsFile(o.Hosts), 0o644, "")
	writeFile(t, resolvPath, []byte(resolv), 0o644, "")

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
	conf := filepath.Join(dir, "tinyproxy.conf")
	writeFile(t, conf, []byte(c.String()), 0o600, "")

	// The daemon's own mount namespace (daemonSysProcAttr) is made private first, so the
	// bind mounts never show outside it.
	script := strings.Join([]string{
		"set -e",
		"mount --make-rprivate /",
		"mount --bind " + hosts + " /etc/hosts",
		"mount --bind " + resolvPath + " /etc/resolv.conf",
		"exec " + TinyproxyBin + " -d -c " + conf,
	}, "\n")
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}
	runDaemon(t, "tinyproxy", p, cmd, func() string {
		return "log:\n" + tail(p.LogPath, 30) + "\nstderr:\n" + p.stderr.String()
	})
	return p
}
