package lab

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// StartDNSSinkhole runs dnsmasq (Debian dnsmasq-base) on a loopback address of its own: it
// answers every name in blocked with sinkIP, as Pi-hole, RPZ or Umbrella-like services block,
// and forwards every other name to upstream (a lab DNS, "ip:port"). The returned Proxy's Addr
// is the DNS server's "ip:port".
func StartDNSSinkhole(t testing.TB, upstream string, blocked []string, sinkIP string) *Proxy {
	t.Helper()
	needDaemon(t, "/usr/sbin/dnsmasq")
	ip, err := AllocIP()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	uh, up, err := net.SplitHostPort(upstream)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-k", "--conf-file=/dev/null", "--pid-file=", "--user=root", "--log-facility=-",
		"--listen-address=" + ip, "--bind-interfaces", "--port=" + strconv.Itoa(port),
		"--no-resolv", "--no-hosts", "--server=" + uh + "#" + up, "--cache-size=0"}
	for _, b := range blocked {
		args = append(args, "--address=/"+b+"/"+sinkIP)
	}
	p := &Proxy{Addr: net.JoinHostPort(ip, strconv.Itoa(port))}
	runDaemon(t, "dnsmasq", p, exec.Command("/usr/sbin/dnsmasq", args...), func() string { return "" })
	return p
}

// StartNginxBlockPage runs nginx (Debian nginx-light) on ip:80 and ip:443 answering every
// request with page (200, text/html), as a DNS filter's block-page server does; on 443 it
// presents a certificate for names issued by ca (the filter's own CA, which the machine
// does not trust).
func StartNginxBlockPage(t testing.TB, ip string, page string, ca *CA, names []string) *Proxy {
	t.Helper()
	needDaemon(t, "/usr/sbin/nginx")
	dir := daemonDir(t, "cmpf21a-nginx-", "")
	cert, err := ca.Leaf(names[0])
	if err != nil {
		t.Fatal(err)
	}
	var chain []byte
	for _, der := range cert.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "cert.pem"), chain, 0o644, "")
	writeFile(t, filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600, "")
	writeFile(t, filepath.Join(dir, "block.html"), []byte(page), 0o644, "")
	conf := fmt.Sprintf(`worker_processes 1;
daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 64; }
http {
  access_log %[1]s/access.log;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  server {
    listen %[2]s:80 default_server;
    listen %[2]s:443 ssl default_server;
    server_name %[3]s;
    ssl_certificate %[1]s/cert.pem;
    ssl_certificate_key %[1]s/key.pem;
    root %[1]s;
    location / { default_type text/html; try_files /block.html =404; }
  }
}
`, dir, ip, strings.Join(names, " "))
	writeFile(t, filepath.Join(dir, "nginx.conf"), []byte(conf), 0o644, "")
	p := &Proxy{Addr: net.JoinHostPort(ip, "80"), dir: dir}
	runDaemon(t, "nginx", p, exec.Command("/usr/sbin/nginx", "-c", filepath.Join(dir, "nginx.conf"), "-p", dir), func() string { return tail(filepath.Join(dir, "error.log"), 20) })
	return p
}
