package lab

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Paths of the MIT Kerberos programs (Debian krb5-kdc, krb5-user; kadmin.local unpacked from
// krb5-admin-server by scripts/install-test-deps.sh so that no kadmind service is installed).
var (
	krb5kdcBin    = "/usr/sbin/krb5kdc"
	kdb5UtilBin   = "/usr/sbin/kdb5_util"
	kadminLocal   = "/opt/cmpreflight/krb5-admin/usr/sbin/kadmin.local"
	kinitBin      = "/usr/bin/kinit"
	negotiateAuth = "/usr/lib/squid/negotiate_kerberos_auth"
)

// KDC is a throwaway MIT Kerberos realm: its own database, configuration and listener on a
// 127.22.x.y address (this work package's block) at a random port, UDP and TCP.
type KDC struct {
	Realm string
	Addr  string // ip:port
	// Conf is the krb5.conf a client of this realm uses (KRB5_CONFIG); it names only this KDC.
	Conf string
	Dir  string
	env  []string
	cmd  *exec.Cmd
	done chan struct{}
	out  *lockedBuffer
}

// StartKDC creates the realm (database, stash) and runs krb5kdc in the foreground; it is
// stopped in t.Cleanup. It skips (fails under CI=true) when the packages are missing or not
// root.
func StartKDC(t testing.TB, realm string) *KDC {
	t.Helper()
	for _, b := range []string{krb5kdcBin, kdb5UtilBin, kadminLocal, kinitBin} {
		needDaemon(t, b)
	}
	dir := daemonDir(t, "cmpreflight-kdc-", "proxy")
	k := &KDC{Realm: realm, Dir: dir, done: make(chan struct{}), out: &lockedBuffer{}}
	ip, port, err := kdcAddr()
	if err != nil {
		t.Fatal(err)
	}
	k.Addr = net.JoinHostPort(ip, strconv.Itoa(port))
	k.Conf = filepath.Join(dir, "krb5.conf")
	kdcConf := filepath.Join(dir, "kdc.conf")
	writeFile(t, k.Conf, []byte(strings.Join([]string{
		"[libdefaults]",
		" default_realm = " + realm,
		" dns_lookup_kdc = false",
		" dns_lookup_realm = false",
		" dns_canonicalize_hostname = false",
		" rdns = false",
		" udp_preference_limit = 1",
		" kdc_timeout = 2000",
		" max_retries = 1",
		" default_ccache_name = FILE:" + filepath.Join(dir, "nocache"),
		"[realms]",
		" " + realm + " = {",
		"  kdc = " + k.Addr,
		" }",
		"[domain_realm]",
		" .lab.test = " + realm,
		"",
	}, "\n")), 0o644, "proxy")
	writeFile(t, kdcConf, []byte(strings.Join([]string{
		"[kdcdefaults]",
		" kdc_listen = " + k.Addr,
		" kdc_tcp_listen = " + k.Addr,
		"[realms]",
		" " + realm + " = {",
		"  database_name = " + filepath.Join(dir, "principal"),
		"  key_stash_file = " + filepath.Join(dir, "stash"),
		"  acl_file = " + filepath.Join(dir, "kadm5.acl"),
		"  max_life = 1h",
		" }",
		"[logging]",
		" kdc = FILE:" + filepath.Join(dir, "kdc.log"),
		"",
	}, "\n")), 0o644, "")
	k.env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", "KRB5_CONFIG=" + k.Conf, "KRB5_KDC_PROFILE=" + kdcConf}
	// The master key only protects this throwaway database; it goes through stdin, not argv.
	master := make([]byte, 16)
	rand.Read(master)
	pw := hex.EncodeToString(master)
	k.run(t, pw+"\n"+pw+"\n", kdb5UtilBin, "create", "-s", "-r", realm)

	k.cmd = exec.Command(krb5kdcBin, "-n", "-r", realm)
	k.cmd.Env = k.env
	k.cmd.Stdout, k.cmd.Stderr = k.out, k.out
	k.cmd.SysProcAttr = daemonSysProcAttr()
	if err := k.cmd.Start(); err != nil {
		t.Fatalf("start krb5kdc: %v", err)
	}
	go func() { k.cmd.Wait(); close(k.done) }()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kdc %s log:\n%s\n%s", k.Addr, tail(filepath.Join(dir, "kdc.log"), 30), k.out.String())
		}
		k.Stop()
		os.RemoveAll(dir)
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", k.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-k.done:
			t.Fatalf("krb5kdc exited: %s\n%s", k.out.String(), tail(filepath.Join(dir, "kdc.log"), 30))
		case <-time.After(15 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("krb5kdc not listening on %s", k.Addr)
		}
	}
	return k
}

// kdcAddr picks a free port on an address of 127.22.0.0/16 (TCP and UDP).
func kdcAddr() (string, int, error) {
	for i := 0; i < 100; i++ {
		ip := fmt.Sprintf("127.22.%d.%d", 1+mrand.IntN(250), 2+mrand.IntN(250))
		ln, err := net.Listen("tcp", ip+":0")
		if err != nil {
			continue
		}
		port := ln.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", net.JoinHostPort(ip, strconv.Itoa(port)))
		ln.Close()
		if err != nil {
			continue
		}
		u.Close()
		return ip, port, nil
	}
	return "", 0, fmt.Errorf("no free KDC address in 127.22.0.0/16")
}

func (k *KDC) run(t testing.TB, stdin string, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = k.env
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// AddPrincipal creates name@Realm with a random key and writes that key to a keytab of its
// own, readable by squid's user; it returns the keytab's path.
func (k *KDC) AddPrincipal(t testing.TB, name string) string {
	t.Helper()
	full := name + "@" + k.Realm
	k.run(t, "", kadminLocal, "-q", "addprinc -randkey "+full)
	kt := filepath.Join(k.Dir, strings.NewReplacer("/", "_", "$", "").Replace(name)+".keytab")
	k.run(t, "", kadminLocal, "-q", "ktadd -k "+kt+" "+full)
	if err := os.Chmod(kt, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := chownName(kt, "proxy"); err != nil {
		t.Fatal(err)
	}
	return kt
}

// Kinit gets a ticket-granting ticket for name from its keytab into a new file credential
// cache, the way the machine account's ticket is obtained; it returns the cache's path.
func (k *KDC) Kinit(t testing.TB, name, keytab string) string {
	t.Helper()
	cc := filepath.Join(k.Dir, "cc-"+strings.NewReplacer("/", "_", "$", "").Replace(name)+"-"+strconv.Itoa(mrand.IntN(1<<30)))
	k.run(t, "", kinitBin, "-k", "-t", keytab, "-c", "FILE:"+cc, name+"@"+k.Realm)
	return cc
}

// Stop ends the KDC (a KDC that does not answer, on purpose); safe to call twice.
func (k *KDC) Stop() {
	if k.cmd == nil || k.cmd.Process == nil {
		return
	}
	select {
	case <-k.done:
		return
	default:
	}
	k.cmd.Process.Kill()
	<-k.done
}

// NegotiateOptions makes squid accept Negotiate with Kerberos (negotiate_kerberos_auth).
type NegotiateOptions struct {
	KDC *KDC
	// SPN is the proxy's service principal without the realm (HTTP/proxy.lab.test); its key
	// goes into squid's keytab.
	SPN string
	// Keytab, when set, is used instead of a fresh key for SPN (a keytab of another account:
	// the proxy then cannot decrypt the tickets clients get).
	Keytab string
	// StaleKey gives squid the SPN's key from before a password change: clients get tickets
	// the proxy cannot decrypt (the SPN is, in effect, on an account whose key it lacks).
	StaleKey bool
	// NTLMFallback makes squid accept NTLM inside Negotiate as well (negotiate_wrapper_auth
	// hands NTLM tokens to the winbind helper), as Windows proxies do; it needs Auth "ntlm".
	NTLMFallback bool
}

var negotiateWrapper = "/usr/lib/squid/negotiate_wrapper_auth"

func (n *NegotiateOptions) helper(t testing.TB, dir, ntlmHelper string) string {
	t.Helper()
	needDaemon(t, negotiateAuth)
	kt := n.Keytab
	if kt == "" {
		kt = n.KDC.AddPrincipal(t, n.SPN)
	}
	if n.StaleKey {
		n.KDC.run(t, "", kadminLocal, "-q", "cpw -randkey "+n.SPN+"@"+n.KDC.Realm)
	}
	rc := filepath.Join(dir, "rcache")
	if err := os.MkdirAll(rc, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := chownName(rc, "proxy"); err != nil {
		t.Fatal(err)
	}
	krb := fmt.Sprintf("%s -k %s -s %s@%s -c %s", negotiateAuth, kt, n.SPN, n.KDC.Realm, rc)
	if !n.NTLMFallback {
		return krb
	}
	if ntlmHelper == "" {
		t.Fatal("StartSquid: Negotiate.NTLMFallback needs Auth \"ntlm\"")
	}
	needDaemon(t, negotiateWrapper)
	return negotiateWrapper + " --ntlm " + ntlmHelper + " --kerberos " + krb
}
