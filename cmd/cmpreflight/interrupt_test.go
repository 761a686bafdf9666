package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

// Ctrl-C stops probing, still writes the report marked interrupted, and exits 2.
func TestInterruptWritesTheReportAndExitsTwo(t *testing.T) {
	needRoot(t)
	ca, _ := lab.NewCA("lab root")
	d := startLabDNS(t)
	ip, _ := lab.AllocIP(443)
	w, err := lab.StartWeb(ip, 443, -1, ca, lab.ConnHang)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	var eps strings.Builder
	eps.WriteString("entries:\n")
	for i := 0; i < 8; i++ {
		name := fmt.Sprintf("hang%d.lab.test", i)
		d.A(name, ip)
		fmt.Fprintf(&eps, "  - {name: %s}\n", name)
	}
	dir := t.TempDir()
	epFile := filepath.Join(dir, "eps.yaml")
	os.WriteFile(epFile, []byte(eps.String()), 0o644)
	report := filepath.Join(dir, "r.json")
	cmd := exec.Command(binPath, "run", "--endpoints-only", "--endpoints", epFile, "--dns-server", d.Addr,
		"--timeout", "60s", "--concurrency", "2", "--quiet", "--output", "json="+report)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("the run did not stop within 15 s of Ctrl-C")
	}
	if code := cmd.ProcessState.ExitCode(); code != 2 {
		t.Errorf("exit %d, want 2; stderr %s", code, stderr.String())
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("no report after Ctrl-C: %v", err)
	}
	validateReport(t, data)
	var doc facts.Document
	json.Unmarshal(data, &doc)
	if !doc.Interrupted || len(doc.Checks) != 8 || doc.Verdict == nil || doc.Verdict.Compliant {
		t.Errorf("interrupted=%v checks=%d verdict=%+v", doc.Interrupted, len(doc.Checks), doc.Verdict)
	}
	for _, c := range doc.Checks {
		if c.Status == facts.StatusPass {
			t.Errorf("%s passed in an interrupted run", c.ID)
		}
	}
}
