package lab

import (
	"fmt"
	"net"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// DNS behaviours for a name.
const (
	DNSNormal    = ""
	DNSNoAnswer  = "no-answer" // never replies
	DNSGarbage   = "garbage"   // replies with bytes that are not a DNS message
	DNSTruncated = "truncated" // UDP answers are truncated (TC bit); TCP has the records
	DNSServFail  = "servfail"
	// DNSDropFirst drops the first UDP query of each name and type and answers the ones
	// after it: the datagram a busy network loses (no real server drops on purpose).
	DNSDropFirst = "drop-first"
)

// DNS is an authoritative server for lab names, answering A records in 127.0.0.0/8 and CNAME
// chains, on UDP and TCP of the same address.
type DNS struct {
	Addr string // host:port

	mu        sync.RWMutex
	a         map[string][]string
	cname     map[string]string
	behaviour map[string]string
	delay     time.Duration
	udp, tcp  *dns.Server
	pc        net.PacketConn
	queries   int
	dropped   map[string]bool // name and type already dropped once (DNSDropFirst)
}

// DNSIP is the loopback address a test's lab DNS should listen on: an address of its own
// (AllocIP), except in a Windows test binary, which runs under Wine, where a UDP server on any
// 127.x other than 127.0.0.1 never gets its replies back to a Windows client.
func DNSIP() (string, error) {
	if runtime.GOOS == "windows" {
		return "127.0.0.1", nil
	}
	return AllocIP()
}

// StartDNS serves on ip (e.g. "127.0.0.1") at a free port, or at port when non-zero.
func StartDNS(ip string, port int) (*DNS, error) {
	d := &DNS{a: map[string][]string{}, cname: map[string]string{}, behaviour: map[string]string{}, dropped: map[string]bool{}}
	var (
		pc  net.PacketConn
		ln  net.Listener
		p   string
		err error
	)
	// A random UDP port may be taken on TCP by another test process: try again.
	for try := 0; try < 20; try++ {
		pc, err = net.ListenPacket("udp", net.JoinHostPort(ip, fmt.Sprint(port)))
		if err != nil {
			return nil, err
		}
		_, p, _ = net.SplitHostPort(pc.LocalAddr().String())
		ln, err = net.Listen("tcp", net.JoinHostPort(ip, p))
		if err == nil {
			break
		}
		pc.Close()
		if port != 0 {
			return nil, err
		}
	}
	if err != nil {
		return nil, err
	}
	d.Addr = net.JoinHostPort(ip, p)
	d.pc = pc
	mux := dns.HandlerFunc(d.serve)
	d.udp = &dns.Server{PacketConn: pc, Handler: mux}
	d.tcp = &dns.Server{Listener: ln, Handler: mux}
	started := make(chan struct{}, 2)
	d.udp.NotifyStartedFunc = func() { started <- struct{}{} }
	d.tcp.NotifyStartedFunc = func() { started <- struct{}{} }
	go d.udp.ActivateAndServe()
	go d.tcp.ActivateAndServe()
	<-started
	<-started
	return d, nil
}

// Close stops both listeners.
func (d *DNS) Close() {
	d.udp.Shutdown()
	d.tcp.Shutdown()
}

// A maps name to addresses.
func (d *DNS) A(name string, ips ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.a[dns.Fqdn(strings.ToLower(name))] = ips
}

// CNAME makes name an alias of target.
func (d *DNS) CNAME(name, target string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cname[dns.Fqdn(strings.ToLower(name))] = dns.Fqdn(strings.ToLower(target))
}

// Behave sets a misbehaviour for a name.
func (d *DNS) Behave(name, how string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.behaviour[dns.Fqdn(strings.ToLower(name))] = how
}

// Delay adds latency before every answer (the benchmark's round-trip cost).
func (d *DNS) Delay(t time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.delay = t
}

// SetUDPReadBuffer sets the receive buffer of the UDP socket (SO_RCVBUF): a small one makes
// the kernel itself drop the datagrams that arrive while the server is busy, as it does on
// a loaded resolver.
func (d *DNS) SetUDPReadBuffer(bytes int) error {
	uc, ok := d.pc.(*net.UDPConn)
	if !ok {
		return fmt.Errorf("the lab DNS socket is a %T, not UDP", d.pc)
	}
	return uc.SetReadBuffer(bytes)
}

// Queries counts the queries received.
func (d *DNS) Queries() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.queries
}

// answers says the answer holds a record of type qt for name.
func answers(rrs []dns.RR, name string, qt uint16) bool {
	for _, rr := range rrs {
		if h := rr.Header(); h.Rrtype == qt && strings.EqualFold(h.Name, name) {
			return true
		}
	}
	return false
}

func (d *DNS) serve(w dns.ResponseWriter, req *dns.Msg) {
	d.mu.Lock()
	d.queries++
	delay := d.delay
	d.mu.Unlock()
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeFormatError)
		w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	d.mu.RLock()
	how := d.behaviour[name]
	d.mu.RUnlock()
	_, isUDP := w.RemoteAddr().(*net.UDPAddr)
	switch how {
	case DNSNoAnswer:
		return
	case DNSGarbage:
		w.Write([]byte("\x00\x01this is not dns"))
		return
	case DNSDropFirst:
		if isUDP {
			key := name + " " + dns.TypeToString[q.Qtype]
			d.mu.Lock()
			first := !d.dropped[key]
			d.dropped[key] = true
			d.mu.Unlock()
			if first {
				return
			}
		}
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if how == DNSServFail {
		m.Rcode = dns.RcodeServerFailure
		w.WriteMsg(m)
		return
	}
	if how == DNSTruncated && isUDP {
		m.Truncated = true
		w.WriteMsg(m)
		return
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	cur := name
	for i := 0; i < 16; i++ {
		if t, ok := d.cname[cur]; ok {
			m.Answer = append(m.Answer, &dns.CNAME{Hdr: dns.RR_Header{Name: cur, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 60}, Target: t})
			cur = t
			continue
		}
		break
	}
	ips, ok := d.a[cur]
	if !ok && len(m.Answer) == 0 {
		m.Rcode = dns.RcodeNameError
	}
	if q.Qtype == dns.TypeA {
		for _, ip := range ips {
			if p := net.ParseIP(ip); p != nil && p.To4() != nil {
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: cur, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: p.To4()})
			}
		}
	}
	if q.Qtype == dns.TypeAAAA {
		for _, ip := range ips {
			if p := net.ParseIP(ip); p != nil && p.To4() == nil {
				m.Answer = append(m.Answer, &dns.AAAA{Hdr: dns.RR_Header{Name: cur, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: 60}, AAAA: p})
			}
		}
	}
	if m.Rcode == dns.RcodeSuccess && !answers(m.Answer, cur, q.Qtype) {
		// No record of that type (an IPv4-only name asked for AAAA): a negative answer
		// carries an SOA, as every real server's does (RFC 2308).
		m.Ns = append(m.Ns, &dns.SOA{Hdr: dns.RR_Header{Name: cur, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60},
			Ns: "ns." + cur, Mbox: "hostmaster." + cur, Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: 60})
	}
	w.WriteMsg(m)
}
