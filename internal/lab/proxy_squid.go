package lab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// Squid authentication modes.
const (
	SquidNoAuth = ""
	SquidBasic  = "basic" // basic_ncsa_auth over an htpasswd file made from Users
	// SquidNTLMFake uses ntlm_fake_auth: the NTLM exchange with any password accepted. Beware:
	// squid 5.7's helper sends a malformed challenge (target-name offset 0xaaaaaaae, no
	// target info) that github.com/Azure/go-ntlmssp refuses to parse; use SquidNTLM to test a
	// real client.
	SquidNTLMFake = "ntlm-fake"
	// SquidNTLM uses ntlm_auth from winbind against a private standalone winbindd: real
	// password checks (wrong password or unknown user: 407 again). Domain: NTLMDomain.
	SquidNTLM = "ntlm"
)

// Paths of the Debian squid-openssl binaries and helpers.
var (
	SquidBin         = "/usr/sbin/squid"
	squidHelperDir   = "/usr/lib/squid"
	htpasswdBin      = "/usr/bin/htpasswd"
	squidCertgenName = "security_file_certgen"
)

// SquidOptions shapes one squid instance.
type SquidOptions struct {
	// Auth is "", "basic", "ntlm-fake" or "ntlm". With an NTLM mode and Users set, Basic is
	// offered as well (two Proxy-Authenticate headers, NTLM first), as many real proxies do.
	Auth string
	// Users maps user -> password (Basic: an htpasswd file; "ntlm": Samba accounts).
	Users map[string]string
	// Deny lists dstdomain entries (".akamaiedge.net" matches the domain and its subdomains);
	// requests for them get 403 with X-Squid-Error: ERR_ACCESS_DENIED, after authentication.
	Deny []string
	// Hosts maps lab names to IPs; squid reads them from its hosts_file. Other names go to a
	// lab resolver that answers NXDOMAIN (Proxy.DNS can add names later).
	Hosts map[string]string
	// Bump, when set, makes squid intercept TLS (ssl_bump) and re-sign with this CA.
	Bump *CA
	// UpstreamCA is the PEM squid trusts for origin servers when it bumps.
	UpstreamCA []byte
	// IdleTimeout, when set, is how long squid lets a client connection or tunnel stay idle
	// (rounded up to whole seconds: squid's granularity).
	IdleTimeout time.Duration
	// CONNECTDelay, when set, holds every CONNECT that long before squid answers it (an
	// external ACL helper that sleeps).
	CONNECTDelay time.Duration
	// URLRewrite, when set, is squid's url_rewrite_program command line (squidGuard).
	URLRewrite string
	// SingleSignOn names an existing Unix user (root, as the Wine tests run) with a password in
	// Users: Samba knows it and winbindd caches its password, so a Wine client run in the
	// squid's mount namespace (Proxy.PID, nsenter -m) does NTLM as its current identity.
	SingleSignOn string
	// Negotiate, when set, makes squid offer Negotiate with Kerberos (negotiate_kerberos_auth)
	// before any scheme Auth adds; alone it is a Kerberos-only proxy.
	Negotiate *NegotiateOptions
}

// StartSquid runs a throwaway squid with a generated config on its own loopback address and a
// random port, and stops it (and removes its files) in t.Cleanup. It skips when squid is
// missing or the test does not run as root on Linux, unless CI=true.
func StartSquid(t testing.TB, o SquidOptions) *Proxy {
	t.Helper()
	needDaemon(t, SquidBin)
	switch o.Auth {
	case SquidNoAuth, SquidBasic, SquidNTLMFake:
	case SquidNTLM:
	default:
		t.Fatalf("StartSquid: unknown Auth %q", o.Auth)
	}
	if o.Auth == SquidNTLM || o.SingleSignOn != "" {
		for _, bin := range []string{ntlmAuthBin, winbinddBin, "/usr/bin/wbinfo", "/usr/bin/pdbedit"} {
			needDaemon(t, bin)
		}
	}
	if o.Auth == SquidBasic && len(o.Users) == 0 {
		t.Fatal("StartSquid: Basic auth needs Users")
	}
	dir := daemonDir(t, "cmpreflight-squid-", "proxy")
	p := &Proxy{dir: dir, LogPath: filepath.Join(dir, "access.log"), CacheLogPath: filepath.Join(dir, "cache.log")}
	ip, port, err := allocProxyAddr()
	if err != nil {
		os.RemoveAll(dir)
		t.Fatal(err)
	}
	p.Addr = fmt.Sprintf("%s:%d", ip, port)
	p.URL = proxyURL(p.Addr)
	resolver := "127.255.255.254" // nothing listens there: the fallback when :53 is taken
	if d, err := labResolver(ip, o.Hosts); err == nil {
		p.DNS = d
		resolver = ip
	}

	var ntlm *winbindLab
	if o.Auth == SquidNTLM || o.SingleSignOn != "" {
		// With SingleSignOn alone, winbindd serves only the client side (a Wine client's
		// NTLM), and squid offers no NTLM itself.
		ntlm = newWinbindLab(t, dir, o.Users, o.SingleSignOn)
	}
	negotiate := ""
	if o.Negotiate != nil {
		h := ""
		if ntlm != nil {
			h = ntlm.helperCommand()
		}
		negotiate = o.Negotiate.helper(t, dir, h)
	}
	conf := squidConfig(t, p, ip, port, resolver, o, ntlm, negotiate)
	writeFile(t, filepath.Join(dir, "squid.conf"), []byte(conf), 0o644, "proxy")

	var cmd *exec.Cmd
	if ntlm != nil {
		// One namespace holds winbindd and squid: ntlm_auth only looks in /run/samba.
		cmd = exec.Command("/bin/sh", "-c", ntlm.script(SquidBin+" -N -f "+filepath.Join(dir, "squid.conf")))
	} else {
		cmd = exec.Command(SquidBin, "-N", "-f", filepath.Join(dir, "squid.conf"))
	}
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}
	if o.Negotiate != nil {
		// negotiate_kerberos_auth reads the realm from the lab's krb5.conf, never the machine's.
		cmd.Env = append(cmd.Env, "KRB5_CONFIG="+o.Negotiate.KDC.Conf)
	}
	runDaemon(t, "squid", p, cmd, func() string {
		s := "cache.log:\n" + tail(p.CacheLogPath, 30) + "\nstderr:\n" + p.stderr.String()
		if ntlm != nil {
			s += "\nwinbindd:\n" + ntlm.logs()
		}
		return s
	})
	return p
}

func squidConfig(t testing.TB, p *Proxy, ip string, port int, resolver string, o SquidOptions, ntlm *winbindLab, negotiate string) string {
	t.Helper()
	dir := p.dir
	var c strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&c, format+"\n", a...) }
	line("# generated by internal/lab for one test; removed when the test ends")
	if o.Bump != nil {
		certPath := filepath.Join(dir, "bump.pem")
		keyPath := filepath.Join(dir, "bump.key")
		writeFile(t, certPath, o.Bump.PEM(), 0o644, "proxy")
		writeFile(t, keyPath, o.Bump.KeyPEM(), 0o600, "proxy")
		db := filepath.Join(dir, "ssl_db")
		certgen := filepath.Join(squidHelperDir, squidCertgenName)
		// The database must be created by the user squid runs its helper as.
		out, err := exec.Command("/bin/su", "-s", "/bin/sh", "proxy", "-c", certgen+" -c -s "+db+" -M 4MB").CombinedOutput()
		if err != nil {
			t.Fatalf("init squid cert db: %v: %s", err, out)
		}
		line("http_port %s:%d ssl-bump tls-cert=%s tls-key=%s generate-host-certificates=on dynamic_cert_mem_cache_size=4MB", ip, port, certPath, keyPath)
		line("sslcrtd_program %s -s %s -M 4MB", certgen, db)
		line("sslcrtd_children 3 startup=1 idle=1")
		line("acl step1 at_step SslBump1")
		line("ssl_bump peek step1")
		line("ssl_bump bump all")
	} else {
		line("http_port %s:%d", ip, port)
	}
	if len(o.UpstreamCA) > 0 {
		upstream := filepath.Join(dir, "upstream-ca.pem")
		writeFile(t, upstream, o.UpstreamCA, 0o644, "proxy")
		line("tls_outgoing_options cafile=%s", upstream)
	}
	line("pid_filename %s", filepath.Join(dir, "squid.pid"))
	line("access_log stdio:%s", p.LogPath)
	line("cache_log %s", p.CacheLogPath)
	line("coredump_dir %s", dir)
	line("cache deny all")
	line("cache_mem 4 MB")
	line("max_filedescriptors 1024")
	line("pinger_enable off")
	line("shutdown_lifetime 1 seconds")
	line("visible_hostname cmpreflight-lab-squid")
	line("httpd_suppress_version_string on")
	line("forwarded_for delete")
	writeFile(t, filepath.Join(dir, "hosts"), hostsFile(o.Hosts), 0o644, "proxy")
	line("hosts_file %s", filepath.Join(dir, "hosts"))
	line("dns_nameservers %s", resolver)
	line("dns_timeout 1 seconds")
	line("dns_retransmit_interval 1 seconds")
	line("negative_dns_ttl 1 seconds")
	if o.IdleTimeout > 0 {
		secs := int((o.IdleTimeout + time.Second - 1) / time.Second)
		// read_timeout covers tunnels and server reads; client_idle_pconn_timeout the wait
		// between requests on a kept-alive client connection.
		line("read_timeout %d seconds", secs)
		line("client_idle_pconn_timeout %d seconds", secs)
		line("request_timeout %d seconds", secs)
	}
	// Every port is allowed, for GET and CONNECT: lab endpoints use random high ports.
	line("acl CONNECT method CONNECT")

	authed := false
	if negotiate != "" {
		line("auth_param negotiate program %s", negotiate)
		line("auth_param negotiate children 3 startup=1 idle=1")
		line("auth_param negotiate keep_alive on")
		authed = true
	}
	switch o.Auth {
	case SquidNTLMFake:
		line("auth_param ntlm program %s", filepath.Join(squidHelperDir, "ntlm_fake_auth"))
		line("auth_param ntlm children 3 startup=1 idle=1")
		line("auth_param ntlm keep_alive on")
		authed = true
	case SquidNTLM:
		line("auth_param ntlm program %s", ntlm.helperCommand())
		line("auth_param ntlm children 3 startup=1 idle=1")
		line("auth_param ntlm keep_alive on")
		authed = true
	}
	if len(o.Users) > 0 && o.Auth != SquidNoAuth {
		htpasswd := filepath.Join(dir, "htpasswd")
		writeHtpasswd(t, htpasswd, o.Users)
		line("auth_param basic program %s %s", filepath.Join(squidHelperDir, "basic_ncsa_auth"), htpasswd)
		line("auth_param basic children 3 startup=1 idle=1")
		line("auth_param basic realm cmpreflight lab proxy")
		line("auth_param basic credentialsttl 1 minute")
		authed = true
	}
	if authed {
		line("acl authed proxy_auth REQUIRED")
		line("http_access deny !authed")
	}
	if len(o.Deny) > 0 {
		line("acl blocked dstdomain %s", strings.Join(o.Deny, " "))
		line("http_access deny blocked")
	}
	if o.CONNECTDelay > 0 {
		script := filepath.Join(dir, "connect-delay.sh")
		secs := fmt.Sprintf("%.3f", o.CONNECTDelay.Seconds())
		writeFile(t, script, []byte("#!/bin/sh\nwhile read -r line; do sleep "+secs+"; echo OK; done\n"), 0o755, "proxy")
		line("external_acl_type connect_delay ttl=0 negative_ttl=0 cache=0 children-max=10 children-startup=2 %%DST %s", script)
		line("acl delayed external connect_delay")
		line("http_access deny CONNECT !delayed")
	}
	if o.URLRewrite != "" {
		line("url_rewrite_program %s", o.URLRewrite)
		line("url_rewrite_children 3 startup=1 idle=1")
	}
	line("http_access allow all")
	return c.String()
}

// writeHtpasswd writes an htpasswd file with MD5-crypt hashes (which basic_ncsa_auth reads),
// feeding each password to htpasswd on stdin so it never shows in a process list.
func writeHtpasswd(t testing.TB, path string, users map[string]string) {
	t.Helper()
	if _, err := os.Stat(htpasswdBin); err != nil {
		needDaemon(t, htpasswdBin)
	}
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	sort.Strings(names)
	for i, u := range names {
		args := []string{"-i", "-m"}
		if i == 0 {
			args = append(args, "-c")
		}
		args = append(args, path, u)
		cmd := exec.Command(htpasswdBin, args...)
		cmd.Stdin = strings.NewReader(users[u] + "\n")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("htpasswd: %v: %s", err, out)
		}
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chownName(path, "proxy"); err != nil {
		t.Fatal(err)
	}
}
