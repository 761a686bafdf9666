//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/cmpreflight/cmpreflight/checks/netprobe"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/reports"
)

// mergeName is the benchmark line of `report merge`; -only merge runs it alone, without the lab.
const mergeName = "report merge (fleet)"

// Targets of issue 17: 1,000 machine reports of 50 checks merge in 5 s and 300 MB.
const (
	mergeMachines  = 1000
	mergeChecks    = 50
	mergeMaxWall   = 5 * time.Second
	mergeMaxRSS    = 300 << 20
	mergeFailEvery = 20 // one machine in 20 fails one check the others pass
)

// mergeBench writes 1,000 full JSON reports (evidence included, as runs write them) and
// times the real binary merging them into JSON and HTML, with its peak RSS from rusage.
func mergeBench(ctx context.Context, bin string) int {
	dir, err := os.MkdirTemp("", "cmpreflight-merge-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "reports")
	os.Mkdir(in, 0o755)
	var bytesIn int64
	for i := range mergeMachines {
		doc := mergeReport(i)
		p := filepath.Join(in, fmt.Sprintf("%s.json", doc.Machine.Name))
		if err := reports.WriteFile(p, "json", doc); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			return 2
		}
		if st, err := os.Stat(p); err == nil {
			bytesIn += st.Size()
		}
	}
	ctx, cancel := context.WithTimeout(ctx, oneProcess)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "report", "merge", "--quiet", "--in", in,
		"--output", "json="+filepath.Join(dir, "fleet.json"), "--output", "html="+filepath.Join(dir, "fleet.html"))
	cmd.Stderr = os.Stderr
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		fmt.Fprintf(os.Stderr, "bench: report merge exited %d (want 1: some machines fail): %v\n", code, err)
		return 2
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var rss int64
	var cpu time.Duration
	if ru != nil {
		rss = ru.Maxrss << 10 // kilobytes on Linux
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	fmt.Printf("%s: %d reports × %d checks (%s of JSON): wall %s, CPU %s, peak RSS %s\n", mergeName, mergeMachines, mergeChecks, mb(bytesIn), ms(wall), ms(cpu), mb(rss))
	code := 0
	for _, l := range []struct {
		ok   bool
		text string
	}{
		{wall <= mergeMaxWall, fmt.Sprintf("%s: wall %s ≤ %s", mergeName, ms(wall), ms(mergeMaxWall))},
		{rss > 0 && rss <= mergeMaxRSS, fmt.Sprintf("%s: peak RSS %s ≤ %s", mergeName, mb(rss), mb(mergeMaxRSS))},
	} {
		verdict := "PASS"
		if !l.ok {
			verdict, code = "FAIL", 1
		}
		fmt.Println(verdict, l.text)
	}
	return code
}

// mergeReport is machine i's report: 50 network checks with the evidence a real run records
// (CNAME chain, addresses, connect attempts, a three-certificate chain, HTTP answer).
func mergeReport(i int) *facts.Document {
	started := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	doc := &facts.Document{SchemaVersion: facts.SchemaVersion, Tool: facts.Tool{Name: "cmpreflight", Version: "bench"},
		StartedAt: started, DurationMs: 4200, Machine: facts.Machine{Name: fmt.Sprintf("sup%04d.corp.contoso.com", i),
			Hostname: fmt.Sprintf("sup%04d.corp.contoso.com", i), OS: "windows", Arch: "amd64"},
		Profile: "scp", Edition: "current", Cloud: "public", Families: []string{"network"},
		Options: facts.Options{Concurrency: 32, TimeoutMs: 10000, FailOn: "deny"}}
	cert := func(n int) facts.CertInfo {
		return facts.CertInfo{Subject: fmt.Sprintf("CN=Microsoft Azure RSA TLS Issuing CA %02d, O=Microsoft Corporation, C=US", n),
			Issuer: "CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US", NotBefore: started.AddDate(-1, 0, 0),
			NotAfter: started.AddDate(1, 0, 0), SHA256: fmt.Sprintf("%064x", n*7919+i)}
	}
	for c := range mergeChecks {
		host := fmt.Sprintf("endpoint%02d.manage.microsoft.com", c)
		ch := facts.Check{ID: host + ":443", Kind: "https", Host: host, Port: 443, Route: facts.RouteProxy,
			ProxyURL: "http://proxy.corp.contoso.com:8080", Entries: []string{"*.manage.microsoft.com"}, Groups: []string{"intune"},
			Editions: []string{"current"}, Sources: []string{"IE"}, RequiredIn: []string{"current"}, Required: true, Status: facts.StatusPass,
			Timings: facts.Timings{DNS: 3, Connect: 1, Proxy: 20, TLS: 40, FirstByte: 30, Total: 95},
			Evidence: facts.Evidence{
				DNS:     &facts.DNSEvidence{Server: "10.0.0.53:53", CNAMEs: []string{host + ".trafficmanager.net", "cmdm-prod.cloudapp.azure.com"}, Addresses: []string{"20.190.128.1", "20.190.128.2"}, Informational: true, Ms: 3},
				Connect: &facts.ConnectEvidence{Attempts: []facts.ConnectAttempt{{Address: "10.0.0.8:8080", Ms: 1}}, Address: "10.0.0.8:8080"},
				Proxy:   &facts.ProxyEvidence{URL: "http://proxy.corp.contoso.com:8080", Method: "CONNECT", StatusLine: "HTTP/1.1 200 Connection established", AuthOffered: []string{"Negotiate", "NTLM"}, AuthTried: "ntlm"},
				TLS:     &facts.TLSEvidence{SNI: host, Version: "TLS 1.2", CipherSuite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", Chain: []facts.CertInfo{cert(1), cert(2), cert(3)}, Verified: true},
				HTTP:    &facts.HTTPEvidence{Method: "HEAD", URL: "https://" + host + "/", StatusCode: 404, StatusLine: "HTTP/1.1 404 Not Found", Server: "Microsoft-IIS/10.0", BytesRead: 0},
			}}
		if c == 7 && i%mergeFailEvery == 0 {
			ch.Status, ch.Stage, ch.Reason, ch.Message = facts.StatusFail, facts.StageProxyDenied, "status-403", "the proxy denied CONNECT"
		}
		doc.Checks = append(doc.Checks, ch)
	}
	doc.Summary = netprobe.Summarize(doc.Checks)
	doc.Verdict = &facts.Verdict{Compliant: doc.Summary.Fail == 0, Deny: []facts.Finding{}, Warn: []facts.Finding{}, Waived: []facts.Finding{}}
	if doc.Summary.Fail > 0 {
		doc.Verdict.Deny = append(doc.Verdict.Deny, facts.Finding{Rule: "scp.endpoint_reachable", Message: "endpoint07.manage.microsoft.com:443 is required and the proxy denied it", Checks: []string{"endpoint07.manage.microsoft.com:443"}})
	}
	return doc
}
