package netprobe

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/neterr"
)

// Resolver asks DNS servers directly with miekg/dns, so that the whole CNAME chain and the
// server that answered are on record (the operating system's resolver hides both). It sends
// and resends as the Windows DNS client does (dns_send.go).
type Resolver struct {
	// Servers are host:port, the preferred first; every one is tried (dns_send.go).
	Servers []string
}

// SystemResolver reads the machine's DNS servers (resolv.conf, or the adapters on Windows).
func SystemResolver() (*Resolver, error) {
	servers, err := systemDNSServers()
	if err != nil {
		return nil, err
	}
	if len(servers) == 0 {
		return nil, errors.New("no DNS server configured on this machine; pass --dns-server")
	}
	return &Resolver{Servers: servers}, nil
}

// DNSError carries the classified reason of a failed resolution.
type DNSError struct {
	Reason string // nxdomain, servfail, refused, timeout, no-address, bad-response
	Detail string
}

func (e *DNSError) Error() string { return e.Reason + ": " + e.Detail }

const maxCNAMEHops = 12

// resolutionDelay is how long the AAAA answer is awaited once the A answer has brought
// addresses (RFC 8305, section 3, recommends 50 ms).
const resolutionDelay = 50 * time.Millisecond

// Resolve returns the CNAME chain and addresses (IPv4 first) of host; a failure is in the
// evidence's Error.
func (r *Resolver) Resolve(ctx context.Context, host string) *facts.DNSEvidence {
	ev, _ := r.Lookup(ctx, host)
	return ev
}

// Lookup is Resolve that also returns the classified failure, so that callers read its reason
// rather than parse the evidence's text.
func (r *Resolver) Lookup(ctx context.Context, host string) (*facts.DNSEvidence, *DNSError) {
	start := time.Now()
	ev := &facts.DNSEvidence{CNAMEs: []string{}, Addresses: []string{}}
	defer func() { ev.Ms = time.Since(start).Milliseconds() }()
	if ip := net.ParseIP(host); ip != nil {
		ev.Addresses = []string{ip.String()}
		return ev, nil
	}
	// A and AAAA at once: the AAAA query on a goroutine of its own, the A query on this one.
	// Once A has brought addresses, AAAA gets the resolution delay of RFC 8305 (section 3)
	// and no more: a lost or dropped AAAA datagram must not hold a check for the seconds its
	// resends take when IPv4 addresses are already in hand.
	actx, cancelAAAA := context.WithCancel(ctx)
	defer cancelAAAA()
	aaaaDone := make(chan *lookup, 1)
	go func() { aaaaDone <- r.lookup(actx, host, dns.TypeAAAA, start) }()
	a := r.lookup(ctx, host, dns.TypeA, start)
	var aaaa *lookup
	if len(a.addrs) > 0 {
		wait := time.NewTimer(resolutionDelay)
		select {
		case aaaa = <-aaaaDone:
		case <-wait.C:
			cancelAAAA()
			aaaa = <-aaaaDone
			aaaa.err = nil // given up on purpose, not a failure
		}
		wait.Stop()
	} else {
		aaaa = <-aaaaDone
	}
	ev.Server = a.server
	ev.TCP = a.tcp || aaaa.tcp
	ev.CNAMEs = a.cnames
	if len(ev.CNAMEs) == 0 {
		ev.CNAMEs = aaaa.cnames
	}
	ev.Queries = len(a.tries) + len(aaaa.tries)
	defer func() { ev.Tries = keptTries(ev, a, aaaa) }()
	ev.Addresses = append(append(ev.Addresses, a.addrs...), aaaa.addrs...)
	ev.Rcode = a.rcode
	if len(ev.Addresses) > 0 {
		return ev, nil
	}
	// No address: report the A lookup's failure, unless only it failed transiently.
	err := a.err
	if err == nil {
		err = aaaa.err
	}
	if err == nil {
		err = &DNSError{Reason: "no-address", Detail: fmt.Sprintf("%s has no A or AAAA record", host)}
	}
	var de *DNSError
	if !errors.As(err, &de) {
		de = &DNSError{Reason: "bad-response", Detail: err.Error()}
	}
	ev.Error = de.Error()
	return ev, de
}

type lookup struct {
	tries  []facts.DNSTry
	asked  int // questions asked (one per CNAME hop)
	cnames []string
	addrs  []string
	server string
	rcode  string
	tcp    bool
	err    error
}

func (r *Resolver) lookup(ctx context.Context, host string, qt uint16, start time.Time) *lookup {
	l := &lookup{cnames: []string{}}
	name := dns.Fqdn(strings.ToLower(host))
	seen := map[string]bool{}
	for hop := 0; hop < maxCNAMEHops; hop++ {
		msg, server, tcp, tries, err := r.ask(ctx, name, qt, start)
		l.server, l.tcp = server, l.tcp || tcp
		l.tries = append(l.tries, tries...)
		l.asked++
		if err != nil {
			l.err = err
			return l
		}
		l.rcode = dns.RcodeToString[msg.Rcode]
		switch msg.Rcode {
		case dns.RcodeSuccess:
		case dns.RcodeNameError:
			l.err = &DNSError{Reason: "nxdomain", Detail: fmt.Sprintf("%s does not exist (answered by %s)", strings.TrimSuffix(name, "."), server)}
			return l
		case dns.RcodeServerFailure:
			l.err = &DNSError{Reason: "servfail", Detail: "server " + server + " failed to resolve " + strings.TrimSuffix(name, ".")}
			return l
		case dns.RcodeRefused:
			l.err = &DNSError{Reason: "refused", Detail: "server " + server + " refused the query"}
			return l
		default:
			l.err = &DNSError{Reason: "rcode-" + strings.ToLower(dns.RcodeToString[msg.Rcode]), Detail: "server " + server}
			return l
		}
		// Walk the chain in answer order from the name asked.
		cur := name
		for progressed := true; progressed; {
			progressed = false
			for _, rr := range msg.Answer {
				if c, ok := rr.(*dns.CNAME); ok && strings.EqualFold(c.Hdr.Name, cur) {
					if seen[strings.ToLower(c.Target)] {
						l.err = &DNSError{Reason: "cname-loop", Detail: "CNAME loop at " + c.Target}
						return l
					}
					seen[strings.ToLower(c.Target)] = true
					cur = strings.ToLower(c.Target)
					l.cnames = append(l.cnames, strings.TrimSuffix(cur, "."))
					progressed = true
				}
			}
		}
		for _, rr := range msg.Answer {
			if !strings.EqualFold(rr.Header().Name, cur) {
				continue
			}
			switch v := rr.(type) {
			case *dns.A:
				l.addrs = append(l.addrs, v.A.String())
			case *dns.AAAA:
				l.addrs = append(l.addrs, v.AAAA.String())
			}
		}
		if len(l.addrs) > 0 || cur == name || noData(msg) {
			return l
		}
		// The server gave the chain but not the final records: ask for the target.
		name = cur
	}
	l.err = &DNSError{Reason: "cname-loop", Detail: "CNAME chain longer than 12 hops"}
	return l
}

// keptTries is the tries the evidence keeps: all of them when the resolution failed or some
// question took more than one query, none when each question was answered on its first.
func keptTries(ev *facts.DNSEvidence, ls ...*lookup) []facts.DNSTry {
	asked := 0
	for _, l := range ls {
		asked += l.asked
	}
	if ev.Error == "" && ev.Queries <= asked {
		return nil
	}
	var out []facts.DNSTry
	for _, l := range ls {
		out = append(out, l.tries...)
	}
	slices.SortStableFunc(out, func(x, y facts.DNSTry) int { return cmp.Compare(x.AtMs, y.AtMs) })
	return out
}

// noData says an answer is complete though it holds no record of the type asked: a negative
// answer carries the SOA of the zone that has none (RFC 2308), at the end of a CNAME chain
// too. An IPv4-only endpoint behind a CNAME chain gets that for AAAA from every recursive
// resolver; asking again for the chain's target would cost a round trip for the same no.
func noData(m *dns.Msg) bool {
	for _, rr := range m.Ns {
		if _, ok := rr.(*dns.SOA); ok {
			return true
		}
	}
	return false
}

// classifyDNSErr names why a DNS server gave no usable answer, with the one network-error
// classifier: a local "network is unreachable" is unreachable, not a bad response.
func classifyDNSErr(ctx context.Context, server string, err error) *DNSError {
	switch reason := neterr.Reason(ctx, err); reason {
	case neterr.Timeout:
		return &DNSError{Reason: reason, Detail: "no answer from " + server}
	case neterr.Refused:
		return &DNSError{Reason: reason, Detail: server + " refused the connection"}
	case neterr.Unreachable, neterr.Reset, neterr.Closed:
		return &DNSError{Reason: reason, Detail: server + ": " + neterr.Describe(ctx, err)}
	default:
		return &DNSError{Reason: "bad-response", Detail: server + ": " + err.Error()}
	}
}
