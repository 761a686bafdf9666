package lab

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// nsDaemon is a daemon that resolves names through the C library, started by a shell
// script in its own mount namespace (daemonSysProcAttr) where /etc/hosts and
// /etc/resolv.conf are bind-mounted private copies: the hosts file holds the test's lab
// names, the resolver is a lab DNS on the daemon's own address (NXDOMAIN for the rest),
// never the machine's resolver.
type nsDaemon struct {
	hosts, resolv string
}

// newNSDaemon allocates the proxy's address, starts its lab resolver and writes the private
// resolution files into dir.
func newNSDaemon(t testing.TB, p *Proxy, dir string, hosts map[string]string) (ip string, port int, d *nsDaemon) {
	t.Helper()
	ip, port, err := allocProxyAddr()
	if err != nil {
		os.RemoveAll(dir)
		t.Fatal(err)
	}
	p.Addr = ip + ":" + itoa(port)
	p.URL = proxyURL(p.Addr)
	resolv := "nameserver 127.255.255.254\noptions timeout:1 attempts:1\n"
	if dns, err := labResolver(ip, hosts); err == nil {
		p.DNS = dns
		resolv = "nameserver " + ip + "\noptions timeout:1 attempts:1\n"
	}
	d = &nsDaemon{hosts: filepath.Join(dir, "hosts"), resolv: filepath.Join(dir, "resolv.conf")}
	writeFile(t, d.hosts, hostsFile(hosts), 0o644, "")
	writeFile(t, d.resolv, []byte(resolv), 0o644, "")
	return ip, port, d
}

// command runs execLine (a shell command line) after the private bind mounts.
func (d *nsDaemon) command(dir string, execLine string, env ...string) *exec.Cmd {
	script := strings.Join([]string{
		"set -e",
		"mount --make-rprivate /",
		"mount --bind " + d.hosts + " /etc/hosts",
		"mount --bind " + d.resolv + " /etc/resolv.conf",
		"exec " + execLine,
	}, "\n")
	cmd := exec.Command("/bin/sh", "-c", script)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", "HOME=" + dir}, env...)
	return cmd
}
