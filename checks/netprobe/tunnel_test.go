package netprobe

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
	"github.com/cmpreflight/cmpreflight/reports/diagnosis"
)

// goWords are Go's own error texts, which a message never shows.
var goWords = []string{"EOF", "broken pipe", "context deadline exceeded", "i/o timeout", "connection reset by peer", "use of closed"}

// A proxy that answers 200 to CONNECT and then closes, resets or keeps the tunnel silent is
// named for what it did, at the proxy's stage, with the proxy's advice; on port 80 the same
// proxy accepted the connection, so it is never said not to accept connections.
func TestProxyEndsTheTunnelAfter200(t *testing.T) {
	for _, tc := range []struct {
		how           string
		tunnel, plain string // reasons on 443 and 80
	}{
		{lab.HostileTunnelClose, ReasonTunnelClosed, ReasonProxyClosed},
		{lab.HostileTunnelReset, ReasonTunnelReset, ReasonProxyReset},
		{lab.HostileTunnelSilent, ReasonTunnelSilent, ReasonProxySilent},
	} {
		t.Run(tc.how, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			h := newHostileLab(t)
			w := h.web("behind-"+tc.how+".lab.test", lab.ConnServe, nil)
			p := lab.StartHostileProxy(t, tc.how)
			h.closers = append(h.closers, p.Close)
			env := h.env(p)
			tls := run(t, env, target("https", "behind-"+tc.how+".lab.test", w.TLSPort, "/", false), facts.StatusFail, facts.StageProxyUpstream, tc.tunnel)
			if tls.Evidence.Proxy == nil || !strings.Contains(tls.Evidence.Proxy.StatusLine, "200") || !strings.Contains(tls.Message, "200") {
				t.Errorf("443: proxy evidence %+v, message %q; want the proxy's 200 named", tls.Evidence.Proxy, tls.Message)
			}
			plain := run(t, env, target("http", "behind-"+tc.how+".lab.test", w.HTTPPort, "/", false), facts.StatusFail, facts.StageProxyConnect, tc.plain)
			doc := &facts.Document{Checks: []facts.Check{tls, plain}}
			causes := diagnosis.Diagnose(doc)
			if len(causes) != 2 {
				t.Fatalf("causes %+v; want one per check", causes)
			}
			for _, c := range []facts.Check{tls, plain} {
				for _, word := range goWords {
					if strings.Contains(c.Message, word) {
						t.Errorf("%s: message %q shows Go's %q", c.ID, c.Message, word)
					}
				}
			}
			for _, g := range causes {
				text := g.Problem + " " + g.Action
				for _, bad := range []string{"does not accept connections", "TLS 1.2", "SchUseStrongCrypto", "DigiCert", "root"} {
					if strings.Contains(text, bad) {
						t.Errorf("%s (%s): %q says %q", g.Stage, g.Reason, text, bad)
					}
				}
				if !strings.Contains(g.Action, "proxy's log") {
					t.Errorf("%s (%s): action %q; want the proxy's log named", g.Stage, g.Reason, g.Action)
				}
			}
			h.close(ignore)
		})
	}
}

// A real TLS failure behind a proxy (the destination answered with TLS 1.1 only) stays a
// TLS failure: bytes came back through the tunnel.
func TestTunnelWithBytesIsStillTLS(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	w := h.web("old.lab.test", lab.ConnOldTLS, nil)
	relay := startRelay(t, h.dns.Addr)
	h.closers = append(h.closers, func() { relay.Close() })
	u, _ := url.Parse("http://" + relay.Addr().String())
	env := h.env(nil)
	env.ProxyFor = func(string, int, string) *ProxyConfig { return &ProxyConfig{URL: u, Auth: AuthNone} }
	run(t, env, target("https", "old.lab.test", w.TLSPort, "/", false), facts.StatusFail, facts.StageTLS, "tls-version")
	h.close(ignore)
}

// startRelay is a minimal CONNECT relay: it answers 200 once it reached the target and
// copies both ways (a proxy that behaves).
func startRelay(t *testing.T, dnsAddr string) net.Listener {
	t.Helper()
	ip, err := lab.AllocIP()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil || req.Method != http.MethodConnect {
					return
				}
				res := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
					var d net.Dialer
					return d.DialContext(ctx, "udp", dnsAddr)
				}}
				d := net.Dialer{Timeout: 2 * time.Second, Resolver: res}
				up, err := d.Dial("tcp4", req.Host)
				if err != nil {
					io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
					return
				}
				defer up.Close()
				up.SetDeadline(time.Now().Add(10 * time.Second))
				io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
				go func() { io.Copy(up, br); up.Close() }()
				io.Copy(c, up)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln
}

// The idle-tunnel check names a tunnel ended after the 200 the same way.
func TestIdleTunnelEndedAfter200(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	h.web("idle-ended.lab.test", lab.ConnServe, nil)
	p := lab.StartHostileProxy(t, lab.HostileTunnelClose)
	h.closers = append(h.closers, p.Close)
	c := h.env(p).IdleTunnel(context.Background(), "idle-ended.lab.test", time.Second)
	if c.Status != facts.StatusFail || c.Stage != facts.StageProxyUpstream || c.Reason != ReasonTunnelClosed {
		t.Errorf("%s at %s (%s): %s; want fail at proxy-upstream (tunnel-closed)", c.Status, c.Stage, c.Reason, c.Message)
	}
	h.close(ignore)
}
