package netprobe

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

// A DNS server that drops the first datagram of each name used to fail every check
// (dns/timeout after one send and a 2 s read); the resolver now sends again after a second,
// as the Windows DNS client does, and every check passes, with the tries on record.
func TestDNSResendsAfterALostDatagram(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	h := newHostileLab(t)
	w := h.web("web.drop.lab.test", lab.ConnServe, nil)
	const names = 20
	var jobs []Job
	for i := 0; i < names; i++ {
		host := fmt.Sprintf("d%02d.drop.lab.test", i)
		h.dns.A(host, w.IP)
		h.dns.Behave(host, lab.DNSDropFirst)
		// HTTPS: one lookup per check (a port-80 check also looks its host up for the HTTPS
		// side that proves it, and either lookup may be the one whose datagram is lost).
		jobs = append(jobs, Job{Target: target("https", host, w.TLSPort, "/", false)})
	}
	env := h.env(nil)
	env.Timeout = 5 * time.Second
	start := time.Now()
	out := (&Runner{Env: env, Concurrency: names}).Run(context.Background(), jobs)
	wall := time.Since(start)
	for _, c := range out {
		if c.Status != facts.StatusPass {
			t.Errorf("%s: %s at %s (%s): %s; want a pass after the resend", c.ID, c.Status, c.Stage, c.Reason, c.Message)
			continue
		}
		d := c.Evidence.DNS
		if d == nil || d.Queries < 3 || len(d.Tries) < 3 {
			t.Errorf("%s: DNS evidence %+v; want the lost query and its resend on record", c.ID, d)
			continue
		}
		// The A question: a first datagram with no answer, then the resend answered.
		var a []facts.DNSTry
		for _, tr := range d.Tries {
			if strings.HasPrefix(tr.Question, "A ") {
				a = append(a, tr)
			}
		}
		if len(a) != 2 || a[0].Outcome != "no-answer" || a[1].Outcome != "NOERROR" || a[1].AtMs < 900 || a[1].AtMs > 1500 || a[1].Transport != "udp" {
			t.Errorf("%s: A tries %+v; want no-answer at 0, then NOERROR from the resend at about 1 s", c.ID, a)
		}
		if c.Timings.DNS < 900 {
			t.Errorf("%s: DNS took %d ms; the resend is due at 1 s", c.ID, c.Timings.DNS)
		}
	}
	if wall > 3*time.Second {
		t.Errorf("the run took %v; one resend a second after the lost datagram should end it in about a second", wall)
	}
	h.close(ignore)
}

// deadServers are a UDP port nothing listens on (the kernel refuses it) and a socket that
// reads nothing (a server that is down behind a firewall that drops).
func deadServers(t *testing.T) (refused, silent string) {
	t.Helper()
	ip, err := lab.AllocIP()
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	refused = pc.LocalAddr().String()
	pc.Close()
	mute, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mute.Close() })
	return refused, mute.LocalAddr().String()
}

// Every --dns-server is tried in turn: a first server whose port is refused is left at once
// for the next; a silent one costs the schedule's first second, when every server is asked.
func TestDNSTriesEveryServer(t *testing.T) {
	d, err := lab.StartDNS(mustIP(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.A("multi.lab.test", "127.0.0.9")
	refused, silent := deadServers(t)
	// A server that answers SERVFAIL, and one that answers bytes that are not DNS: both
	// answered, uselessly; the next server is asked at once.
	sf, err := lab.StartDNS(mustIP(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sf.Close()
	sf.Behave("multi.lab.test", lab.DNSServFail)
	junk, err := lab.StartDNS(mustIP(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer junk.Close()
	junk.Behave("multi.lab.test", lab.DNSGarbage)
	for _, tc := range []struct {
		name     string
		servers  []string
		min, max time.Duration
		reason   string // empty: resolves
		first    string // the outcome of the first try
	}{
		{"refused first", []string{refused, d.Addr}, 0, 500 * time.Millisecond, "", "refused"},
		{"silent first", []string{silent, d.Addr}, 900 * time.Millisecond, 1800 * time.Millisecond, "", "no-answer"},
		{"refused then silent then good", []string{refused, silent, d.Addr}, 900 * time.Millisecond, 1800 * time.Millisecond, "", "refused"},
		{"servfail first", []string{sf.Addr, d.Addr}, 0, 500 * time.Millisecond, "", "SERVFAIL"},
		{"garbage first", []string{junk.Addr, d.Addr}, 0, 500 * time.Millisecond, "", "bad-response"},
		{"all refused", []string{refused, refused}, 0, 500 * time.Millisecond, "refused", "refused"},
		{"refused and silent", []string{refused, silent}, 1400 * time.Millisecond, 2200 * time.Millisecond, "timeout", "refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if runtime.GOOS == "windows" && strings.Contains(tc.name, "refused") {
				// Windows gives a UDP socket no word of an ICMP port unreachable: a refused
				// server is a silent one there, which "silent first" covers.
				t.Skip("a refused UDP port is silent on Windows")
			}
			r := &Resolver{Servers: tc.servers}
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			start := time.Now()
			ev, de := r.Lookup(ctx, "multi.lab.test")
			took := time.Since(start)
			if tc.reason == "" && (de != nil || len(ev.Addresses) != 1 || ev.Server != d.Addr) {
				t.Fatalf("lookup: %+v, %v; want 127.0.0.9 from %s", ev, de, d.Addr)
			}
			if tc.reason != "" && (de == nil || de.Reason != tc.reason) {
				t.Fatalf("lookup: %+v, %v; want %s", ev, de, tc.reason)
			}
			if took < tc.min || took > tc.max {
				t.Errorf("took %v; want between %v and %v", took, tc.min, tc.max)
			}
			if len(ev.Tries) == 0 || ev.Tries[0].Server != tc.servers[0] || ev.Tries[0].Outcome != tc.first {
				t.Errorf("tries %+v; want the first to %s (%s)", ev.Tries, tc.servers[0], tc.first)
			}
			if tc.reason == "timeout" && !strings.Contains(de.Detail, silent) {
				t.Errorf("detail %q does not name the silent server %s", de.Detail, silent)
			}
			for _, s := range []string{"EOF", "i/o timeout", "context deadline", "read udp"} {
				if ev.Error != "" && strings.Contains(ev.Error, s) {
					t.Errorf("error %q shows Go's own words %q", ev.Error, s)
				}
			}
		})
	}
}

// A first answer to each first datagram keeps no tries: the evidence of a plain pass stays
// small at tens of thousands of checks.
func TestDNSPlainAnswerKeepsNoTries(t *testing.T) {
	d, err := lab.StartDNS(mustIP(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.A("plain.lab.test", "127.0.0.9")
	ev, de := (&Resolver{Servers: []string{d.Addr}}).Lookup(context.Background(), "plain.lab.test")
	if de != nil || ev.Queries != 2 || ev.Tries != nil {
		t.Errorf("evidence %+v (%v); want two queries and no tries kept", ev, de)
	}
}

// Under load the kernel drops datagrams by itself when a resolver's receive buffer is full:
// here a lab DNS with a small one, at concurrency 200. No check may end as dns/timeout.
func TestDNSUnderLoadNoTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	d, err := lab.StartDNS(mustIP(t), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.SetUDPReadBuffer(64 << 10); err != nil {
		t.Fatal(err)
	}
	const names, conc = 1000, 200
	hosts := make([]string, names)
	for i := range hosts {
		hosts[i] = fmt.Sprintf("l%04d.load.lab.test", i)
		d.A(hosts[i], "127.0.0.9")
	}
	r := &Resolver{Servers: []string{d.Addr}}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var mu sync.Mutex
	timeouts, failures, queries, resent := 0, 0, 0, 0
	next := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for h := range next {
				cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
				ev, de := r.Lookup(cctx, h)
				ccancel()
				mu.Lock()
				queries += ev.Queries
				if ev.Queries > 2 {
					resent++
				}
				if de != nil {
					failures++
					if de.Reason == "timeout" {
						timeouts++
					}
				}
				mu.Unlock()
			}
		}()
	}
	start := time.Now()
	for _, h := range hosts {
		next <- h
	}
	close(next)
	wg.Wait()
	t.Logf("%d lookups at concurrency %d in %v: %d queries, %d lookups needed a resend, %d failed (%d dns/timeout)", names, conc, time.Since(start).Round(time.Millisecond), queries, resent, failures, timeouts)
	if timeouts != 0 || failures != 0 {
		t.Errorf("%d lookups failed, %d of them dns/timeout; want none", failures, timeouts)
	}
}

func mustIP(t *testing.T) string {
	t.Helper()
	ip, err := lab.DNSIP()
	if err != nil {
		t.Fatal(err)
	}
	return ip
}
