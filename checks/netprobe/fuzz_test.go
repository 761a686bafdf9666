package netprobe

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/facts"
)

const fuzzProxyPassword = "Fuzz-Pr0xy-Secret"

// fuzzProxy is a loopback proxy that answers every request head it reads with the bytes of
// the current fuzz input, then half-closes: what a proxy sends back to a CONNECT (or to a
// request in absolute form), fed to the real reading path (readResponse, the auth legs with
// offeredSchemes, challengeToken and repairChallenge, proxyFailure, block-page detection).
type fuzzProxy struct {
	ln   net.Listener
	mu   sync.Mutex
	resp []byte
	wg   sync.WaitGroup
}

func startFuzzProxy(tb testing.TB) *fuzzProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &fuzzProxy{ln: ln}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			resp := p.resp
			p.mu.Unlock()
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				// Read the request head, then answer with the input in one write.
				var head []byte
				buf := make([]byte, 4096)
				for !strings.Contains(string(head), "\r\n\r\n") {
					n, err := c.Read(buf)
					head = append(head, buf[:n]...)
					if err != nil || len(head) > 64<<10 {
						return
					}
				}
				c.Write(resp)
				c.(*net.TCPConn).CloseWrite()
				io.Copy(io.Discard, c)
			}()
		}
	}()
	tb.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

// FuzzProxyResponse runs a check through a proxy that answers with arbitrary bytes. mode picks
// the target scheme (CONNECT for https, absolute form for http) and the authentication the
// configuration asks for. The check must end in time with a known stage, and the proxy
// password must appear nowhere in it.
func FuzzProxyResponse(f *testing.F) {
	challenge := make([]byte, 48)
	copy(challenge, "NTLMSSP\x00\x02\x00\x00\x00")
	challenge[12], challenge[16] = 0xff, 0xee // target name pointing outside the message
	ntlm := base64.StdEncoding.EncodeToString(challenge)
	for _, s := range []struct {
		mode byte
		resp string
	}{
		{0, "HTTP/1.1 200 Connection established\r\n\r\n"},
		{0, "HTTP/1.1 403 Forbidden\r\nX-Squid-Error: ERR_ACCESS_DENIED 0\r\nContent-Length: 0\r\n\r\n"},
		{0, "HTTP/1.1 503 Service Unavailable\r\nProxy-Status: squid; error=dns_error\r\n\r\n"},
		{1, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\nContent-Length: 4\r\n\r\nauthHTTP/1.1 200 OK\r\n\r\n"},
		{2, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM " + ntlm + "\r\nContent-Length: 0\r\n\r\nHTTP/1.1 407 x\r\nProxy-Authenticate: NTLM\r\n\r\n"},
		{3, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\nProxy-Authenticate: NTLM\r\nProxy-Authenticate: Basic realm=x\r\nContent-Length: 0\r\n\r\n"},
		{4, "HTTP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"tinyproxy\"\r\nServer: tinyproxy/1.11\r\n\r\n"},
		{5, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 60\r\n\r\n<html><head><title>Access Denied</title></head></html>"},
		{5, "HTTP/1.1 502 Bad Gateway\r\nServer: squid\r\n\r\n"},
		{6, "\x16\x03\x01\x00\x05hello\x00\xffSSH-2.0-not-a-proxy\r\n"},
		{0, "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-Fill: aaaaaaaaaaaaaaaa\r\n", 3000)},
		{0, ""},
	} {
		f.Add(s.mode, []byte(s.resp))
	}
	p := startFuzzProxy(f)
	proxyURL := &url.URL{Scheme: "http", Host: p.ln.Addr().String()}
	auths := []string{AuthNone, AuthBasic, AuthNTLM, AuthAuto, AuthAuto, AuthNone, AuthNegotiate}
	const timeout = time.Second
	f.Fuzz(func(t *testing.T, mode byte, resp []byte) {
		p.mu.Lock()
		p.resp = resp
		p.mu.Unlock()
		scheme := "https"
		if mode&0x80 != 0 || mode%7 == 5 {
			scheme = "http"
		}
		env := &Env{
			Resolver: &Resolver{}, // no server: the informational lookup fails at once
			Timeout:  timeout,
			ProxyFor: func(string, int, string) *ProxyConfig {
				return &ProxyConfig{URL: proxyURL, Auth: auths[int(mode)%len(auths)], User: `LAB\svc-scp`, Password: fuzzProxyPassword}
			},
			UserAgent: "cmpreflight-fuzz",
		}
		tg := catalog.Target{ID: "fuzz.lab.test:443", Host: "fuzz.lab.test", Port: 443, URL: scheme + "://fuzz.lab.test/"}
		start := time.Now()
		c := env.RunTarget(context.Background(), tg, "")
		if took := time.Since(start); took > timeout+2*time.Second {
			t.Fatalf("the check took %v; its deadline is %v", took, timeout)
		}
		switch c.Stage {
		case "", facts.StageProxyConnect, facts.StageProxyAuth, facts.StageProxyDenied, facts.StageProxyUpstream, facts.StageTLS, facts.StageHTTP:
		default:
			t.Fatalf("unexpected stage %q (%s)", c.Stage, c.Message)
		}
		if c.Status != facts.StatusPass && c.Reason == "" {
			t.Fatalf("%s without a reason: %+v", c.Status, c)
		}
		out, _ := json.Marshal(c)
		basic := base64.StdEncoding.EncodeToString([]byte(`LAB\svc-scp:` + fuzzProxyPassword))
		if strings.Contains(string(out), fuzzProxyPassword) || strings.Contains(string(out), basic) {
			t.Fatalf("the proxy password leaked into the check: %s", out)
		}
	})
}

// FuzzNTLMChallenge feeds arbitrary CHALLENGE messages to the NTLM leg: repairing and
// answering them must never panic, and the repair keeps the message's length.
func FuzzNTLMChallenge(f *testing.F) {
	ok := make([]byte, 56)
	copy(ok, "NTLMSSP\x00\x02\x00\x00\x00")
	f.Add(ok)
	bad := append([]byte(nil), ok...)
	bad[12], bad[13], bad[16], bad[17], bad[18], bad[19] = 8, 0, 0xae, 0xaa, 0xaa, 0xaa // squid's ntlm_fake_auth
	f.Add(bad)
	f.Add([]byte("NTLMSSP\x00"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if r := repairChallenge(b); len(r) != len(b) {
			t.Fatalf("repair changed the length: %d -> %d", len(b), len(r))
		}
		a := &ntlmAuth{user: `LAB\svc`, pass: fuzzProxyPassword, headerScheme: "NTLM"}
		h, err := a.next(b)
		if err == nil && !strings.HasPrefix(h, "NTLM ") {
			t.Fatalf("header %q", h)
		}
		// The same bytes as a proxy would send them.
		hdr := http.Header{"Proxy-Authenticate": {"NTLM " + base64.StdEncoding.EncodeToString(b)}}
		offeredSchemes(hdr)
		challengeToken(hdr, AuthNTLM)
	})
}
