package lab

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// Hostile proxy behaviours.
const (
	HostileNeverAnswer    = "never-answer"       // reads the request, never replies
	HostileGarbage        = "garbage"            // replies with bytes that are not HTTP, then closes
	HostileCloseMidTunnel = "close-mid-tunnel"   // 200 to CONNECT, closes once the client speaks
	Hostile407Basic       = "407-basic"          // always 407, offering Basic
	Hostile407NTLM        = "407-ntlm-negotiate" // always 407, offering NTLM and Negotiate
	HostileBlockPage      = "block-page"         // 200 HTML block page to GET, 403 to CONNECT
	// After 200 to CONNECT (or on reading a GET), the tunnel ends without a byte from the
	// destination: closed once the client's first bytes are read (FIN), reset (RST), or
	// held open in silence until the client gives up.
	HostileTunnelClose  = "tunnel-close"
	HostileTunnelReset  = "tunnel-reset"
	HostileTunnelSilent = "tunnel-silent"
)

// BlockPageTitle is the <title> of the hostile proxy's block page.
const BlockPageTitle = "Web Page Blocked - cmpreflight lab filter"

// hostileLifetime bounds every connection of the hostile proxy.
const hostileLifetime = 2 * time.Minute

// StartHostileProxy runs an in-process proxy that misbehaves in the named way, on its own
// loopback address. Its listener, connections and goroutines end in t.Cleanup.
func StartHostileProxy(t testing.TB, behaviour string) *Proxy {
	t.Helper()
	switch behaviour {
	case HostileNeverAnswer, HostileGarbage, HostileCloseMidTunnel, Hostile407Basic, Hostile407NTLM, HostileBlockPage,
		HostileTunnelClose, HostileTunnelReset, HostileTunnelSilent:
	default:
		t.Fatalf("StartHostileProxy: unknown behaviour %q", behaviour)
	}
	ip, err := AllocIP()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	h := &hostile{how: behaviour, ln: ln, conns: map[net.Conn]struct{}{}, quit: make(chan struct{})}
	p := &Proxy{Addr: ln.Addr().String(), PID: os.Getpid()}
	p.URL = proxyURL(p.Addr)
	p.stop = h.close
	h.wg.Add(1)
	go h.accept()
	t.Cleanup(p.Close)
	return p
}

type hostile struct {
	how   string
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	quit  chan struct{}
	once  sync.Once
}

func (h *hostile) close() {
	h.once.Do(func() {
		close(h.quit)
		h.ln.Close()
		h.mu.Lock()
		for c := range h.conns {
			c.Close()
		}
		h.mu.Unlock()
		h.wg.Wait()
	})
}

func (h *hostile) accept() {
	defer h.wg.Done()
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		h.mu.Lock()
		select {
		case <-h.quit:
			h.mu.Unlock()
			c.Close()
			return
		default:
		}
		h.conns[c] = struct{}{}
		h.wg.Add(1)
		h.mu.Unlock()
		go func() {
			defer h.wg.Done()
			defer func() {
				h.mu.Lock()
				delete(h.conns, c)
				h.mu.Unlock()
				c.Close()
			}()
			c.SetDeadline(time.Now().Add(hostileLifetime))
			h.serve(c)
		}()
	}
}

// wait blocks until the proxy closes or the client goes away (or the lifetime ends).
func (h *hostile) wait(c net.Conn, br *bufio.Reader) {
	io.Copy(io.Discard, br)
}

func (h *hostile) serve(c net.Conn) {
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if req.Method != http.MethodConnect {
			io.Copy(io.Discard, io.LimitReader(req.Body, 1<<20))
		}
		switch h.how {
		case HostileNeverAnswer:
			h.wait(c, br)
			return
		case HostileGarbage:
			c.Write([]byte("\x16\x03\x01\x00\x05hello\x00\xffSSH-2.0-not-a-proxy\r\n\x00\x00\x00"))
			return
		case HostileCloseMidTunnel:
			if req.Method != http.MethodConnect {
				return
			}
			io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
			buf := make([]byte, 1)
			br.Read(buf) // the first byte of whatever the client sends (a ClientHello)
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0) // reset: the abrupt end of a middlebox
			}
			return
		case HostileTunnelClose, HostileTunnelReset, HostileTunnelSilent:
			if req.Method == http.MethodConnect {
				io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
				// Read what the client sends first (its ClientHello), so that a close
				// leaves nothing unread and goes out as a FIN, not a reset.
				buf := make([]byte, 64<<10)
				c.SetReadDeadline(time.Now().Add(2 * time.Second))
				br.Read(buf)
				c.SetReadDeadline(time.Now().Add(hostileLifetime))
			}
			switch h.how {
			case HostileTunnelReset:
				if tc, ok := c.(*net.TCPConn); ok {
					tc.SetLinger(0)
				}
			case HostileTunnelSilent:
				h.wait(c, br)
			}
			return
		case Hostile407Basic:
			h.respond(c, 407, "Proxy Authentication Required",
				[]string{"Proxy-Authenticate: Basic realm=\"cmpreflight lab hostile\""}, "authentication required\n")
		case Hostile407NTLM:
			h.respond(c, 407, "Proxy Authentication Required",
				[]string{"Proxy-Authenticate: Negotiate", "Proxy-Authenticate: NTLM"}, "authentication required\n")
		case HostileBlockPage:
			body := "<html><head><title>" + BlockPageTitle + "</title></head><body><h1>Blocked</h1>" +
				"<p>Access to " + htmlEscape(req.Host) + " is blocked by policy (category: uncategorized).</p></body></html>\n"
			if req.Method == http.MethodConnect {
				h.respond(c, 403, "Forbidden", []string{"X-Squid-Error: ERR_ACCESS_DENIED 0",
					"X-Lab-Filter: blocked", "Content-Type: text/html"}, body)
			} else {
				h.respond(c, 200, "OK", []string{"Content-Type: text/html; charset=utf-8", "Cache-Control: no-store"}, body)
			}
		}
	}
}

func (h *hostile) respond(c net.Conn, code int, text string, headers []string, body string) {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", code, text)
	for _, hd := range headers {
		b.WriteString(hd + "\r\n")
	}
	fmt.Fprintf(&b, "Server: cmpreflight-lab-hostile\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	io.WriteString(c, b.String())
}

func htmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;")
	return r.Replace(s)
}
