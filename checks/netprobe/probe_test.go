package netprobe

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/facts"
)

// cannedEnv points every check at a fake peer (origin or proxy) that answers with resp.
func cannedEnv(t *testing.T, resp string, proxied bool) (*Env, *fuzzProxy) {
	t.Helper()
	p := startFuzzProxy(t)
	p.answer(resp)
	env := &Env{Resolver: &Resolver{Servers: []string{"127.0.0.1:1"}}, Timeout: 3 * time.Second, UserAgent: "test"}
	if proxied {
		u, _ := url.Parse("http://" + p.ln.Addr().String())
		env.ProxyFor = func(string, int, string) *ProxyConfig { return &ProxyConfig{URL: u, Auth: AuthNone} }
	}
	return env, p
}

// An answer the proxy wrote itself never passes, whatever its status.
func TestProxyMadeAnswersNeverPass(t *testing.T) {
	cases := map[string]string{
		"deny_info redirect": "HTTP/1.1 302 Found\r\nServer: squid\r\nX-Squid-Error: 403 Access Denied\r\nLocation: http://portal/\r\nContent-Length: 0\r\n\r\n",
		"200 error page":     "HTTP/1.1 200 OK\r\nX-Squid-Error: ERR_ACCESS_DENIED 0\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nno",
		"504 with Via":       "HTTP/1.1 504 Gateway Timeout\r\nVia: 1.1 bluecoat\r\nContent-Length: 0\r\n\r\n",
	}
	for name, resp := range cases {
		t.Run(name, func(t *testing.T) {
			env, _ := cannedEnv(t, resp, true)
			c := env.RunTarget(context.Background(), catalog.Target{ID: "crl.example:80", Host: "crl.example", Port: 80, URL: "http://crl.example/"}, "")
			if c.Status == facts.StatusPass || (c.Stage != facts.StageProxyDenied && c.Stage != facts.StageProxyUpstream) {
				t.Errorf("%s: %s at %s (%s): %s", name, c.Status, c.Stage, c.Reason, c.Message)
			}
		})
	}
}

// A filter on the direct path that answers port 80 itself is not an open port.
func TestDirectProxyMadeAnswerFails(t *testing.T) {
	env, p := cannedEnv(t, "HTTP/1.1 403 Forbidden\r\nServer: squid\r\nX-Squid-Error: ERR_ACCESS_DENIED 0\r\nContent-Length: 0\r\n\r\n", false)
	_, port, _ := net.SplitHostPort(p.ln.Addr().String())
	pn, _ := strconv.Atoi(port)
	c := env.RunTarget(context.Background(), catalog.Target{ID: "127.0.0.1:" + port, Host: "127.0.0.1", Port: pn, URL: "http://127.0.0.1:" + port + "/"}, "")
	if c.Status != facts.StatusFail || c.Stage != facts.StageHTTP || c.Reason != "proxy-made" {
		t.Errorf("%s at %s (%s): %s", c.Status, c.Stage, c.Reason, c.Message)
	}
}

// Each redirect hop is routed on its own: a bypassed first host does not send the next hop direct.
func TestRedirectHopsAskTheProxySelection(t *testing.T) {
	origin := startFuzzProxy(t)
	origin.answer("HTTP/1.1 302 Found\r\nLocation: http://next.example/x\r\nContent-Length: 0\r\n\r\n")
	proxy := startFuzzProxy(t)
	proxy.answer("HTTP/1.1 403 Forbidden\r\nX-Squid-Error: ERR_ACCESS_DENIED 0\r\nContent-Length: 0\r\n\r\n")
	pu, _ := url.Parse("http://" + proxy.ln.Addr().String())
	asked := map[string]bool{}
	env := &Env{Resolver: &Resolver{Servers: []string{"127.0.0.1:1"}}, Timeout: 3 * time.Second, UserAgent: "test",
		ProxyFor: func(host string, _ int, _ string) *ProxyConfig {
			asked[host] = true
			if host == "127.0.0.1" {
				return nil // bypassed
			}
			return &ProxyConfig{URL: pu, Auth: AuthNone}
		}}
	_, port, _ := net.SplitHostPort(origin.ln.Addr().String())
	pn, _ := strconv.Atoi(port)
	c := env.RunTarget(context.Background(), catalog.Target{ID: "127.0.0.1:" + port, Host: "127.0.0.1", Port: pn,
		URL: "http://127.0.0.1:" + port + "/start", FollowRedirects: true}, "")
	if !asked["next.example"] || c.Status == facts.StatusPass || c.Stage != facts.StageProxyDenied {
		t.Errorf("asked %v; %s at %s (%s): %s", asked, c.Status, c.Stage, c.Reason, c.Message)
	}
}

// A check cut short by the whole run's deadline is interrupted, not the endpoint's timeout.
func TestRunDeadlineIsNotTheEndpointsTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	pn, _ := strconv.Atoi(port)
	env := &Env{Resolver: &Resolver{Servers: []string{"127.0.0.1:1"}}, Timeout: 5 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	c := env.RunTarget(ctx, catalog.Target{ID: "x", Host: "127.0.0.1", Port: pn, URL: "http://127.0.0.1:" + port + "/"}, "")
	if c.Status != facts.StatusError || c.Reason != "interrupted" {
		t.Errorf("%s (%s): %s", c.Status, c.Reason, c.Message)
	}
}

// answer sets what the fake peer sends back, safely while it serves.
func (p *fuzzProxy) answer(resp string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.resp = []byte(resp)
}
