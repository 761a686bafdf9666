package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cmpreflight/cmpreflight/facts"
)

// Runaway user policies: one that loops (1e12 steps, little memory), one that builds an
// array of 3e8 numbers (memory).
const (
	cpuRunaway = "package cmpreflight.runaway\n\ndeny contains \"never\" if {\n\tsome i in numbers.range(1, 10000)\n\tsome j in numbers.range(1, 10000)\n\tsome k in numbers.range(1, 10000)\n\ti + j + k < 0\n}\n"
	memRunaway = "package cmpreflight.runaway\n\ndeny contains \"big\" if {\n\txs := [x | some x in numbers.range(1, 3e8)]\n\tcount(xs) < 0\n}\n"
)

// runRunaway starts a run whose one check fails at once (lab DNS, unknown name) and whose
// user policy runs away; signal, when set, is sent after two seconds. It returns the exit
// code, stderr and the report, failing the test when the run does not end within 30 s.
func runRunaway(t *testing.T, policy string, signal os.Signal, extra ...string) (int, string, *facts.Document) {
	t.Helper()
	d := startLabDNS(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "p.rego"), []byte(policy), 0o644)
	eps := filepath.Join(dir, "eps.yaml")
	os.WriteFile(eps, []byte("entries:\n  - {name: absent.lab.test, ports: [443]}\n"), 0o644)
	report := filepath.Join(dir, "r.json")
	args := append([]string{"run", "--endpoints-only", "--endpoints", eps, "--dns-server", d.Addr, "--timeout", "2s",
		"--policy", filepath.Join(dir, "p.rego"), "--quiet", "--output", "json=" + report}, extra...)
	cmd := exec.Command(binPath, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	if signal != nil {
		time.Sleep(2 * time.Second)
		cmd.Process.Signal(signal)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("the run did not end within 30 s; stderr %s", stderr.String())
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("no report: %v; stderr %s", err, stderr.String())
	}
	validateReport(t, data)
	var doc facts.Document
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String(), &doc
}

func checkStopped(t *testing.T, code int, stderr string, doc *facts.Document) {
	t.Helper()
	if code != 2 || !strings.Contains(stderr, "interrupted") {
		t.Errorf("exit %d, want 2; stderr %s", code, stderr)
	}
	if !doc.Interrupted || doc.Verdict == nil || doc.Verdict.Compliant || len(doc.Verdict.Deny) != 1 ||
		doc.Verdict.Deny[0].Rule != "scp.run_interrupted" || !strings.Contains(doc.Verdict.Deny[0].Message, "policy evaluation was stopped") {
		t.Errorf("report: interrupted %v, verdict %+v", doc.Interrupted, doc.Verdict)
	}
}

func TestRunawayPolicyObeysRunTimeout(t *testing.T) {
	start := time.Now()
	code, stderr, doc := runRunaway(t, cpuRunaway, nil, "--run-timeout", "3s")
	checkStopped(t, code, stderr, doc)
	if took := time.Since(start); took > 15*time.Second {
		t.Errorf("took %v with --run-timeout 3s", took)
	}
}

func TestRunawayPolicyObeysCtrlC(t *testing.T) {
	code, stderr, doc := runRunaway(t, cpuRunaway, syscall.SIGINT)
	checkStopped(t, code, stderr, doc)
}

func TestRunawayPolicyObeysSIGTERM(t *testing.T) {
	code, stderr, doc := runRunaway(t, memRunaway, syscall.SIGTERM)
	checkStopped(t, code, stderr, doc)
}
