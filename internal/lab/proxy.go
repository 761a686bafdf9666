package lab

import (
	"bytes"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Proxy is a running lab proxy (squid, tinyproxy, or the in-process hostile proxy).
type Proxy struct {
	URL     string // http://IP:PORT, never with credentials
	Addr    string // IP:PORT
	PID     int    // the daemon's process id (the test process itself for the hostile proxy)
	LogPath string // access log (squid) or log file (tinyproxy); "" for the hostile proxy
	// CacheLogPath is squid's cache.log (its diagnostics); "" for the other proxies.
	CacheLogPath string
	// DNS is the resolver the daemon uses for names missing from its hosts file; unknown names
	// get NXDOMAIN at once. Tests may add names with DNS.A while the proxy runs. Nil for the
	// hostile proxy.
	DNS *DNS
	// CAFile is the PEM of the CA an intercepting proxy re-signs with (mitmproxy).
	CAFile string

	dir     string
	ns      *Netns // the network namespace the daemon listens in (nil: this one)
	cmd     *exec.Cmd
	done    chan struct{}
	stderr  *lockedBuffer
	stop    func() // hostile proxy
	closeMu sync.Mutex
	closed  bool
}

// Close stops the proxy, waits for it, and removes its files. Tests normally leave this to
// t.Cleanup; calling it early lets a test make the proxy disappear (connection refused).
func (p *Proxy) Close() {
	p.closeMu.Lock()
	defer p.closeMu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	if p.stop != nil {
		p.stop()
	}
	if p.cmd != nil && p.cmd.Process != nil {
		// The daemon is the init of its own PID namespace (Linux), so killing it makes the
		// kernel kill and reap every helper it started: nothing is left to PID 1.
		p.cmd.Process.Kill()
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
		}
	}
	if p.DNS != nil {
		p.DNS.Close()
	}
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
}

// Exited reports whether the daemon process has ended (always false for the hostile proxy).
func (p *Proxy) Exited() bool {
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// lockedBuffer collects a daemon's stderr; readable while the process still writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.b.Len() > 64<<10 {
		return len(p), nil
	}
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// needDaemon skips the test when the binary is missing or we are not root, unless CI=true,
// where a missing peer is a broken CI machine and fails the test.
func needDaemon(t testing.TB, bin string) {
	t.Helper()
	why := ""
	if _, err := os.Stat(bin); err != nil {
		why = bin + " is not installed (scripts/install-test-deps.sh installs it)"
	} else if !labPlatformOK() {
		why = "real proxies run only on Linux as root (they need PID and mount namespaces)"
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(why)
	}
	t.Skip(why)
}

// daemonDir makes a directory under /tmp that the proxy's unprivileged user can read (a
// t.TempDir is 0700 and root-owned).
func daemonDir(t testing.TB, prefix string, owner string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		t.Fatal(err)
	}
	if owner != "" {
		if err := chownName(dir, owner); err != nil {
			os.RemoveAll(dir)
			t.Fatal(err)
		}
	}
	return dir
}

// writeFiles writes name -> content into dir, readable by everyone and owned by owner.
func writeFile(t testing.TB, path string, content []byte, mode os.FileMode, owner string) {
	t.Helper()
	if err := os.WriteFile(path, content, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	if owner != "" {
		if err := chownName(path, owner); err != nil {
			t.Fatal(err)
		}
	}
}

// hostsFile renders /etc/hosts-style lines, sorted for stable configs.
func hostsFile(hosts map[string]string) []byte {
	var b strings.Builder
	b.WriteString("127.0.0.1 localhost\n")
	names := make([]string, 0, len(hosts))
	for n := range hosts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "%s %s\n", hosts[n], n)
	}
	return []byte(b.String())
}

// labResolver starts a lab DNS on ip:53 holding hosts (the proxies can only be told an
// address for their resolver, not a port). Unknown names get NXDOMAIN immediately.
func labResolver(ip string, hosts map[string]string) (*DNS, error) {
	d, err := StartDNS(ip, 53)
	if err != nil {
		return nil, err
	}
	for n, a := range hosts {
		d.A(n, a)
	}
	return d, nil
}

// allocProxyAddr picks a loopback IP whose port 53 is free (for the lab resolver) and a
// random free port on it for the proxy itself.
func allocProxyAddr() (ip string, port int, err error) {
	ip, err = AllocIP(53)
	if err != nil {
		return "", 0, err
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return "", 0, err
	}
	port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return ip, port, nil
}

// runDaemon starts cmd, waits until addr accepts connections (or the process dies, or
// timeout), and returns the running Proxy with its Cleanup registered.
func runDaemon(t testing.TB, name string, p *Proxy, cmd *exec.Cmd, logs func() string) {
	t.Helper()
	p.stderr = &lockedBuffer{}
	cmd.Stdout = p.stderr
	cmd.Stderr = p.stderr
	cmd.SysProcAttr = daemonSysProcAttr()
	p.cmd = cmd
	p.done = make(chan struct{})
	start := time.Now()
	if err := cmd.Start(); err != nil {
		p.Close()
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	p.PID = cmd.Process.Pid
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if t.Failed() && logs != nil {
			t.Logf("proxy %s logs:\n%s", p.Addr, logs())
		}
		p.Close()
	})
	// A generous ceiling: mitmdump (Python) takes seconds to start on a loaded machine, and a
	// daemon that is ready sooner ends the wait at once.
	const ready = 60 * time.Second
	deadline := time.Now().Add(ready)
	dial := func() error {
		c, err := net.DialTimeout("tcp", p.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err
	}
	if p.ns != nil {
		inner := dial
		dial = func() error { return p.ns.Do(inner) }
	}
	for {
		if dial() == nil {
			break
		}
		select {
		case <-p.done:
			t.Fatalf("%s exited before listening on %s: %s\n%s", name, p.Addr, p.stderr.String(), logs())
		case <-time.After(15 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not listening on %s after %v\n%s", name, p.Addr, ready, logs())
		}
	}
	t.Logf("%s listening on %s (pid %d) after %v", name, p.Addr, p.PID, time.Since(start).Round(time.Millisecond))
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func proxyURL(addr string) string {
	return (&url.URL{Scheme: "http", Host: addr}).String()
}

func itoa(i int) string { return strconv.Itoa(i) }

// chownName gives path to the named local user and that user's primary group.
func chownName(path, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return err
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return err
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return err
	}
	return os.Chown(path, uid, gid)
}
