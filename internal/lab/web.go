package lab

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Listener behaviours below HTTP.
const (
	ConnServe     = ""          // TLS on the TLS port, HTTP on the plain port
	ConnHang      = "hang"      // accept and never speak
	ConnStallTLS  = "stall-tls" // read the ClientHello, never answer it
	ConnReset     = "reset"     // accept then reset the connection
	ConnGarbage   = "garbage"   // answer anything with bytes that are not TLS or HTTP
	ConnCloseNow  = "close"     // accept and close cleanly
	ConnOldTLS    = "tls11"     // TLS capped at 1.1
	ConnTLSNoECDH = "tls-rsa"   // TLS 1.2 with RSA key exchange only
)

// Route is what the lab web server answers for one host (by SNI and Host header).
type Route struct {
	Status   int
	Location string        // redirect target when Status is 3xx
	Delay    time.Duration // before the response headers
	Body     string
	// Drip sends the body one byte per DripEvery; BigBody streams that many bytes;
	// EndlessHeaders never finishes the header block.
	DripEvery      time.Duration
	BigBody        int64
	EndlessHeaders bool
	Headers        map[string]string
	// UpgradePlain: on the plain-HTTP port, answer 301 to the same URL over HTTPS instead.
	UpgradePlain bool
}

// Web serves TLS and plain HTTP on one loopback address.
type Web struct {
	IP        string
	TLSPort   int
	HTTPPort  int
	CA        *CA
	Conn      string        // listener behaviour
	tlsDelay  time.Duration // before the TLS handshake starts (server side); SetTLSDelay
	mu        sync.RWMutex
	routes    map[string]Route
	listeners []net.Listener
	wg        sync.WaitGroup
	closed    chan struct{}
	conns     map[net.Conn]struct{}
	Requests  int
}

// AllocIP returns a loopback address on which the given ports are free, chosen at random
// so that parallel test processes do not collide.
func AllocIP(ports ...int) (string, error) {
	for i := 0; i < 200; i++ {
		ip := fmt.Sprintf("127.%d.%d.%d", 10+rand.IntN(240), rand.IntN(256), 2+rand.IntN(250))
		ok := true
		for _, p := range ports {
			ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(p)))
			if err != nil {
				ok = false
				break
			}
			ln.Close()
		}
		if ok {
			return ip, nil
		}
	}
	return "", errors.New("no free loopback address")
}

// StartWeb listens on ip at tlsPort and httpPort (0 = random; -1 = none).
func StartWeb(ip string, tlsPort, httpPort int, ca *CA, conn string) (*Web, error) {
	w := &Web{IP: ip, CA: ca, Conn: conn, routes: map[string]Route{}, closed: make(chan struct{}), conns: map[net.Conn]struct{}{}}
	if tlsPort >= 0 {
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(tlsPort)))
		if err != nil {
			return nil, err
		}
		w.TLSPort = ln.Addr().(*net.TCPAddr).Port
		w.listeners = append(w.listeners, ln)
		w.wg.Add(1)
		go w.accept(ln, true)
	}
	if httpPort >= 0 {
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(httpPort)))
		if err != nil {
			w.Close()
			return nil, err
		}
		w.HTTPPort = ln.Addr().(*net.TCPAddr).Port
		w.listeners = append(w.listeners, ln)
		w.wg.Add(1)
		go w.accept(ln, false)
	}
	return w, nil
}

// SetTLSDelay makes every later TLS connection wait d before its handshake starts (a round
// trip of latency on the server side).
func (w *Web) SetTLSDelay(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tlsDelay = d
}

// Handle sets the route for a host ("" is the default for every host).
func (w *Web) Handle(host string, r Route) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.routes[strings.ToLower(host)] = r
}

// Close stops the listeners and every open connection, and waits for the handlers.
func (w *Web) Close() {
	select {
	case <-w.closed:
		return
	default:
	}
	close(w.closed)
	for _, ln := range w.listeners {
		ln.Close()
	}
	w.mu.Lock()
	for c := range w.conns {
		c.Close()
	}
	w.mu.Unlock()
	w.wg.Wait()
}

func (w *Web) accept(ln net.Listener, isTLS bool) {
	defer w.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		w.mu.Lock()
		w.conns[c] = struct{}{}
		w.Requests++
		w.mu.Unlock()
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			defer func() {
				w.mu.Lock()
				delete(w.conns, c)
				w.mu.Unlock()
				c.Close()
			}()
			w.serveConn(c, isTLS)
		}()
	}
}

func (w *Web) serveConn(c net.Conn, isTLS bool) {
	switch w.Conn {
	case ConnHang:
		<-w.closed
		return
	case ConnReset:
		// Like a firewall that resets on the SNI: read the ClientHello, then RST.
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		c.Read(make([]byte, 1024))
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		return
	case ConnCloseNow:
		return
	case ConnGarbage:
		c.Write([]byte("\x15\x03\x03garbage garbage garbage\r\n\r\n"))
		<-w.closed
		return
	case ConnStallTLS:
		if isTLS {
			buf := make([]byte, 1024)
			c.Read(buf)
			<-w.closed
			return
		}
	}
	if isTLS {
		w.mu.RLock()
		delay := w.tlsDelay
		w.mu.RUnlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-w.closed:
				return
			}
		}
		cfg := w.CA.TLSConfig()
		switch w.Conn {
		case ConnOldTLS:
			cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
		case ConnTLSNoECDH:
			cfg.MaxVersion = tls.VersionTLS12
			cfg.CipherSuites = []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}
		}
		tc := tls.Server(c, cfg)
		tc.SetDeadline(time.Now().Add(30 * time.Second))
		if err := tc.Handshake(); err != nil {
			return
		}
		tc.SetDeadline(time.Time{})
		c = tc
	}
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		if w.serveRevocation(c, req, body) {
			continue
		}
		if !w.respond(c, req, isTLS) {
			return
		}
	}
}

func (w *Web) route(host string) Route {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if r, ok := w.routes[strings.ToLower(host)]; ok {
		return r
	}
	if r, ok := w.routes[""]; ok {
		return r
	}
	return Route{Status: 200}
}

// respond writes one response; false closes the connection.
func (w *Web) respond(c net.Conn, req *http.Request, isTLS bool) bool {
	host := req.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	r := w.route(host)
	if r.UpgradePlain && !isTLS {
		// As many origins do: plain HTTP moves permanently to the same URL over HTTPS.
		r = Route{Status: http.StatusMovedPermanently, Location: "https://" + host + req.URL.RequestURI()}
	}
	if r.Status == 0 {
		r.Status = 200
	}
	if r.Delay > 0 {
		select {
		case <-time.After(r.Delay):
		case <-w.closed:
			return false
		}
	}
	bw := bufio.NewWriter(c)
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", r.Status, http.StatusText(r.Status))
	fmt.Fprintf(bw, "Server: cmpreflight-lab\r\nDate: %s\r\n", time.Now().UTC().Format(http.TimeFormat))
	for k, v := range r.Headers {
		fmt.Fprintf(bw, "%s: %s\r\n", k, v)
	}
	if r.Location != "" {
		fmt.Fprintf(bw, "Location: %s\r\n", r.Location)
	}
	if r.EndlessHeaders {
		for i := 0; ; i++ {
			if _, err := fmt.Fprintf(bw, "X-Filler-%d: %s\r\n", i, strings.Repeat("a", 100)); err != nil {
				return false
			}
			if i%50 == 0 {
				if bw.Flush() != nil {
					return false
				}
				select {
				case <-w.closed:
					return false
				case <-time.After(time.Millisecond):
				}
			}
		}
	}
	head := req.Method == http.MethodHead
	switch {
	case r.BigBody > 0:
		fmt.Fprintf(bw, "Content-Length: %d\r\n\r\n", r.BigBody)
		if head {
			return bw.Flush() == nil
		}
		chunk := []byte(strings.Repeat("x", 32<<10))
		for sent := int64(0); sent < r.BigBody; sent += int64(len(chunk)) {
			if _, err := bw.Write(chunk); err != nil {
				return false
			}
			select {
			case <-w.closed:
				return false
			default:
			}
		}
		return bw.Flush() == nil
	case r.DripEvery > 0:
		body := r.Body
		if body == "" {
			body = strings.Repeat(".", 3600)
		}
		fmt.Fprintf(bw, "Content-Length: %d\r\n\r\n", len(body))
		bw.Flush()
		if head {
			return true
		}
		for i := 0; i < len(body); i++ {
			if _, err := c.Write([]byte{body[i]}); err != nil {
				return false
			}
			select {
			case <-time.After(r.DripEvery):
			case <-w.closed:
				return false
			}
		}
		return true
	}
	fmt.Fprintf(bw, "Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n", len(r.Body))
	if !head {
		bw.WriteString(r.Body)
	}
	return bw.Flush() == nil
}
