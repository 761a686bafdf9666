package netprobe

import (
	"context"
	"net"
	"slices"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// A CNAME chain to an IPv4-only name: a resolver that answers AAAA with the chain and the
// SOA of the empty end (as recursive resolvers do) is asked once per type; one that gives
// the chain without saying so is asked again for the chain's target.
func TestCNAMEChainNoDataIsNotAskedAgain(t *testing.T) {
	for _, tc := range []struct {
		name    string
		withSOA bool
		want    int
	}{
		{"chain and SOA", true, 2},
		{"chain alone", false, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var asked []string
			pc, err := net.ListenPacket("udp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
				q := req.Question[0]
				mu.Lock()
				asked = append(asked, dns.TypeToString[q.Qtype]+" "+q.Name)
				mu.Unlock()
				m := new(dns.Msg)
				m.SetReply(req)
				name := q.Name
				for _, hop := range [][2]string{{"edge.lab.test.", "e1.cdn.lab.test."}, {"e1.cdn.lab.test.", "a1.cdn.lab.test."}} {
					if name == hop[0] {
						m.Answer = append(m.Answer, &dns.CNAME{Hdr: dns.RR_Header{Name: hop[0], Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 60}, Target: hop[1]})
						name = hop[1]
					}
				}
				switch {
				case q.Qtype == dns.TypeA && name == "a1.cdn.lab.test.":
					m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.ParseIP("127.0.0.9").To4()})
				case tc.withSOA:
					m.Ns = append(m.Ns, &dns.SOA{Hdr: dns.RR_Header{Name: "cdn.lab.test.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60},
						Ns: "ns.cdn.lab.test.", Mbox: "hostmaster.cdn.lab.test.", Serial: 1, Refresh: 60, Retry: 60, Expire: 60, Minttl: 60})
				}
				w.WriteMsg(m)
			})}
			started := make(chan struct{})
			srv.NotifyStartedFunc = func() { close(started) }
			go srv.ActivateAndServe()
			<-started
			defer srv.Shutdown()

			r := &Resolver{Servers: []string{pc.LocalAddr().String()}}
			ev, derr := r.Lookup(context.Background(), "edge.lab.test")
			if derr != nil {
				t.Fatal(derr)
			}
			if !slices.Equal(ev.CNAMEs, []string{"e1.cdn.lab.test", "a1.cdn.lab.test"}) || !slices.Equal(ev.Addresses, []string{"127.0.0.9"}) {
				t.Errorf("chain %v, addresses %v", ev.CNAMEs, ev.Addresses)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(asked) != tc.want {
				t.Errorf("asked %v, want %d queries", asked, tc.want)
			}
		})
	}
}
