package netprobe

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

// Origins running the same server software answer port 80 with the same boilerplate
// redirect to their own https address, its body naming the host (as IIS's "Document Moved"
// does). That is not a filter's template: a redirect is judged by where it goes.
func TestSameRedirectBoilerplateOfSeveralOriginsPasses(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	var jobs []Job
	for _, host := range []string{"go.microsoft.lab.test", "ctldl.windowsupdate.lab.test", "management.azure.lab.test"} {
		w := h.web(host, lab.ConnServe, nil)
		loc := fmt.Sprintf("https://%s/", host)
		w.Handle(host, lab.Route{Status: 301, Location: loc, Headers: map[string]string{"Content-Type": "text/html; charset=UTF-8"},
			Body: `<head><title>Document Moved</title></head><body><h1>Object Moved</h1>This document may be found <a HREF="` + loc + `">here</a></body>`})
		jobs = append(jobs, Job{Target: target("http", host, w.HTTPPort, "/", false)})
	}
	r := &Runner{Env: h.env(nil), Concurrency: 3}
	for _, c := range r.Run(context.Background(), jobs) {
		if c.Status != facts.StatusPass {
			t.Errorf("%s: %s at %s (%s): %s; want a pass", c.ID, c.Status, c.Stage, c.Reason, c.Message)
		}
	}
	h.close(ignore)
}

// A chain proven at its first hop (verified TLS) that a later plain-HTTP hop sends off the
// endpoint's domain: that redirect is nobody's proven answer (a transparent filter on port
// 80 writes it as easily), so the block host's page at the end is never a pass.
func TestUnprovenLaterHopOffSiteIsNotAPass(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	a := h.web("go.ms-lab.test", lab.ConnServe, nil)
	b := h.web("dl.ms-lab.test", lab.ConnServe, nil)
	blk := h.web("block.filter-lab.test", lab.ConnServe, &lab.Route{Status: 200, Headers: map[string]string{"Content-Type": "text/html"},
		Body: "<title>Contoso</title>Seite gesperrt"})
	a.Handle("go.ms-lab.test", lab.Route{Status: 302, Location: fmt.Sprintf("http://dl.ms-lab.test:%d/file", b.HTTPPort)})
	b.Handle("dl.ms-lab.test", lab.Route{Status: 302, Location: fmt.Sprintf("http://block.filter-lab.test:%d/blocked.html", blk.HTTPPort)})
	c := run(t, h.env(nil), target("https", "go.ms-lab.test", a.TLSPort, "/fwlink", true), facts.StatusWarn, facts.StageHTTP, "unverified-origin")
	if c.Evidence.HTTP == nil || len(c.Evidence.HTTP.Redirects) != 3 {
		t.Errorf("redirects %+v; want the three hops", c.Evidence.HTTP)
	}
	// The same chain with the off-site redirect made inside verified TLS passes.
	b2 := h.web("dl2.ms-lab.test", lab.ConnServe, nil)
	a2 := h.web("go2.ms-lab.test", lab.ConnServe, nil)
	a2.Handle("go2.ms-lab.test", lab.Route{Status: 302, Location: fmt.Sprintf("https://dl2.ms-lab.test:%d/file", b2.TLSPort)})
	b2.Handle("dl2.ms-lab.test", lab.Route{Status: 302, Location: fmt.Sprintf("http://block.filter-lab.test:%d/moved.html", blk.HTTPPort)})
	run(t, h.env(nil), target("https", "go2.ms-lab.test", a2.TLSPort, "/fwlink", true), facts.StatusPass, "", "")
	h.close(ignore)
}

// rawHTTP serves every connection on host:port 80-style with the bytes given, after reading
// the request head.
func rawHTTP(t *testing.T, h *hostileLab, host, answer string) int {
	t.Helper()
	ip, err := lab.AllocIP()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	h.dns.A(host, ip)
	var wg sync.WaitGroup
	h.closers = append(h.closers, func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			br := bufio.NewReader(c)
			if _, err := http.ReadRequest(br); err == nil {
				c.Write([]byte(answer))
			}
			c.Close()
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}

// An interim 1xx answer is not the answer: what follows it decides.
func TestInterimAnswersAreSkipped(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	env := h.env(nil)
	gw := rawHTTP(t, h, "continue-then-502.lab.test", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
	run(t, env, target("http", "continue-then-502.lab.test", gw, "/", false), facts.StatusFail, facts.StageHTTP, "status-502")
	ok := rawHTTP(t, h, "hints-then-200.lab.test", "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	// The raw server has no HTTPS side to prove its answer by: the final 200 is read and is
	// a warn, never a pass.
	c := run(t, env, target("http", "hints-then-200.lab.test", ok, "/", false), facts.StatusWarn, facts.StageHTTP, "unverified-origin")
	if c.Evidence.HTTP == nil || c.Evidence.HTTP.StatusCode != 200 {
		t.Errorf("http evidence %+v; want the final 200", c.Evidence.HTTP)
	}
	up := rawHTTP(t, h, "switching.lab.test", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n")
	run(t, env, target("http", "switching.lab.test", up, "/", false), facts.StatusFail, facts.StageHTTP, "bad-response")
	h.close(ignore)
}

// A block page sent gzip-compressed although nobody asked for it is read as its text.
func TestGzipBlockPageIsRead(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte("<html><head><title>Access blocked by policy</title></head><body>see http://config.privoxy.org/</body></html>"))
	zw.Close()
	port := rawHTTP(t, h, "gzip-block.lab.test", fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s", z.Len(), z.String()))
	run(t, h.env(nil), target("http", "gzip-block.lab.test", port, "/", false), facts.StatusFail, facts.StageHTTP, "block-page")
	h.close(ignore)
}
