package policies

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/cmpreflight/cmpreflight/facts"
)

// bigDoc builds a document of n network checks shaped like real ones (evidence included):
// most pass, one in ten fails at a varying stage, one in twenty is of the other edition.
func bigDoc(n int) *facts.Document { return bigDocFailing(n, 10) }

// bigDocFailing is bigDoc with one required check in failEvery failing (and one in
// 2*failEvery of the other edition failing).
func bigDocFailing(n, failEvery int) *facts.Document {
	stages := []string{facts.StageDNS, facts.StageConnect, facts.StageProxyDenied, facts.StageTLS, facts.StageHTTP}
	cs := make([]facts.Check, n)
	for i := range cs {
		port := 443
		if i%3 == 0 {
			port = 80
		}
		c := passCheck(fmt.Sprintf("h%05d.endpoints.example", i), port)
		c.Route, c.ProxyURL = facts.RouteProxy, "http://proxy.contoso.com:8080"
		c.Entries, c.Groups, c.Editions = []string{c.Host}, []string{"updates and servicing"}, []string{"current", "seed"}
		c.Timings = facts.Timings{DNS: 3, Connect: 5, Proxy: 9, TLS: 20, FirstByte: 40, Total: int64(80 + i%50)}
		c.Evidence = facts.Evidence{
			DNS:   &facts.DNSEvidence{CNAMEs: []string{"e1.dscb.akamaiedge.net"}, Addresses: []string{"127.0.0.1"}, Informational: true},
			HTTP:  &facts.HTTPEvidence{Method: "HEAD", URL: "https://" + c.Host + "/", StatusCode: 200, StatusLine: "200 OK"},
			Proxy: &facts.ProxyEvidence{URL: c.ProxyURL, Method: "CONNECT", StatusLine: "HTTP/1.1 200 Connection established"},
		}
		if port == 443 {
			c.Evidence.TLS = &facts.TLSEvidence{SNI: c.Host, Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Verified: true}
		}
		switch {
		case i%failEvery == 0:
			c.Status, c.Stage, c.Reason = facts.StatusFail, stages[(i/failEvery)%len(stages)], "timeout"
		case i%(2*failEvery) == 5:
			c.Status, c.Stage, c.Reason = facts.StatusFail, facts.StageConnect, "refused"
			c.Required, c.RequiredIn = false, []string{"seed"}
		}
		cs[i] = c
	}
	doc := quietDoc(cs...)
	doc.Trust = &facts.TrustFacts{
		Roots:     []facts.RootPresence{{Name: "DigiCert Global Root G2", Present: true, Required: true}},
		Wildcards: []facts.WildcardCoverage{{Pattern: "*.akamaiedge.net", Exercised: true}},
	}
	return doc
}

// BenchmarkEvaluate20k: 20,000 checks, 3,000 of them failing (2,000 denies; 1,000 seed-only, information):
// a worst case, every failing check costs a message and a remediation.
func BenchmarkEvaluate20k(b *testing.B) { benchEvaluate(b, bigDoc(20000), 2000) }

// BenchmarkEvaluate20kMostlyPass: 20,000 checks, 1% failing (200 denies, 100 warns).
func BenchmarkEvaluate20kMostlyPass(b *testing.B) {
	benchEvaluate(b, bigDocFailing(20000, 100), 200)
}

func benchEvaluate(b *testing.B, doc *facts.Document, wantDeny int) {
	e, err := Load(context.Background(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		v, err := e.Evaluate(context.Background(), doc)
		if err != nil {
			b.Fatal(err)
		}
		if len(v.Deny) != wantDeny {
			b.Fatalf("deny %d", len(v.Deny))
		}
	}
}

// BenchmarkInputValue20k measures the document-to-OPA conversion alone.
func BenchmarkInputValue20k(b *testing.B) {
	doc := bigDoc(20000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := inputValue(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONMarshal20k is the yardstick: encoding the same document as the JSON report,
// which every run does anyway. Evaluate's cost is best read as a multiple of it, since this
// machine's speed varies with its load.
func BenchmarkJSONMarshal20k(b *testing.B) {
	doc := bigDoc(20000)
	for b.Loop() {
		if _, err := json.Marshal(doc); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEvaluate20kVerdict evaluates a 20,000-check document and checks the verdict: every
// required failure is one deny and the other edition's failures are information. How long it
// takes is measured by make bench (policy figures), never by a timed test.
func TestEvaluate20kVerdict(t *testing.T) {
	if testing.Short() {
		t.Skip("20,000 checks: not in -short runs")
	}
	e := load(t, Options{})
	v := eval(t, e, bigDoc(20000))
	if len(v.Deny) != 2000 || len(v.Warn) != 0 {
		t.Errorf("deny %d warn %d, want 2000 and 0", len(v.Deny), len(v.Warn))
	}
}

// BenchmarkLoadBuiltin is the compile step every run pays before its verdict (annotations are
// not parsed there).
func BenchmarkLoadBuiltin(b *testing.B) {
	for b.Loop() {
		if _, err := Load(context.Background(), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
