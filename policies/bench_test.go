package policies

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cmpreflight/cmpreflight/checks"
)

// bigDoc builds a document of n network checks shaped like real ones (evidence included):
// most pass, one in ten fails at a varying stage, one in twenty is of the other edition.
func bigDoc(n int) *checks.Document {
	stages := []string{checks.StageDNS, checks.StageConnect, checks.StageProxyDenied, checks.StageTLS, checks.StageHTTP}
	cs := make([]checks.Check, n)
	for i := range cs {
		port := 443
		if i%3 == 0 {
			port = 80
		}
		c := passCheck(fmt.Sprintf("h%05d.endpoints.example", i), port)
		c.Route, c.ProxyURL = checks.RouteProxy, "http://proxy.contoso.com:8080"
		c.Entries, c.Groups, c.Editions = []string{c.Host}, []string{"updates and servicing"}, []string{"current", "seed"}
		c.Timings = checks.Timings{DNS: 3, Connect: 5, Proxy: 9, TLS: 20, FirstByte: 40, Total: int64(80 + i%50)}
		c.Evidence = checks.Evidence{
			DNS:   &checks.DNSEvidence{CNAMEs: []string{"e1.dscb.akamaiedge.net"}, Addresses: []string{"127.0.0.1"}, Informational: true},
			HTTP:  &checks.HTTPEvidence{Method: "HEAD", URL: "https://" + c.Host + "/", StatusCode: 200, StatusLine: "200 OK"},
			Proxy: &checks.ProxyEvidence{URL: c.ProxyURL, Method: "CONNECT", StatusLine: "HTTP/1.1 200 Connection established"},
		}
		if port == 443 {
			c.Evidence.TLS = &checks.TLSEvidence{SNI: c.Host, Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Verified: true}
		}
		switch {
		case i%10 == 0:
			c.Status, c.Stage, c.Reason = checks.StatusFail, stages[(i/10)%len(stages)], "timeout"
		case i%20 == 5:
			c.Status, c.Stage, c.Reason = checks.StatusFail, checks.StageConnect, "refused"
			c.Required, c.RequiredIn = false, []string{"seed"}
		}
		cs[i] = c
	}
	doc := quietDoc(cs...)
	doc.Trust = &checks.TrustFacts{
		Roots:     []checks.RootPresence{{Name: "DigiCert Global Root G2", Present: true, Required: true}},
		Wildcards: []checks.WildcardCoverage{{Pattern: "*.akamaiedge.net", Exercised: true}},
	}
	return doc
}

func BenchmarkEvaluate20k(b *testing.B) {
	e, err := Load(context.Background(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	doc := bigDoc(20000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		v, err := e.Evaluate(context.Background(), doc)
		if err != nil {
			b.Fatal(err)
		}
		if len(v.Deny) != 2000 {
			b.Fatalf("deny %d", len(v.Deny))
		}
	}
}

// TestEvaluate20kTiming logs the time one evaluation of a 20,000-check document takes; the
// bound is loose so a loaded CI machine (or -race) does not flake, the benchmark is the
// number to watch.
func TestEvaluate20kTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	e := load(t, Options{})
	doc := bigDoc(20000)
	start := time.Now()
	v := eval(t, e, doc)
	took := time.Since(start)
	t.Logf("20,000 checks: %v (%d deny, %d warn)", took, len(v.Deny), len(v.Warn))
	if len(v.Deny) != 2000 || len(v.Warn) != 1000 {
		t.Errorf("deny %d warn %d", len(v.Deny), len(v.Warn))
	}
	if took > 10*time.Second {
		t.Errorf("evaluation took %v", took)
	}
}
