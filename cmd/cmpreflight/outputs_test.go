//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/fleet"
)

// started is the product running in the background, its output captured.
type started struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan struct{}
}

func startBinary(t *testing.T, args ...string) *started {
	t.Helper()
	p := &started{cmd: exec.Command(binPath, args...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), "HTTPS_PROXY=", "HTTP_PROXY=", "https_proxy=", "http_proxy=", "NO_PROXY=")
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait returns the exit code, failing the test (and killing the process) when it has not
// ended within d.
func (p *started) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(d):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%v did not end within %v; stderr %s", p.cmd.Args[1:], d, p.stderr.String())
		return -1
	}
}

// leftovers lists the temporary files of outputs left in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") || strings.HasPrefix(e.Name(), ".cmpreflight-write-test-") {
			out = append(out, e.Name())
		}
	}
	return out
}

// readerOnFIFO opens path for reading without blocking and shrinks its buffer to one page,
// so that a writer blocks after 4 KB until somebody reads.
func readerOnFIFO(t *testing.T, path string) *os.File {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	const fSetPipeSz = 1031 // F_SETPIPE_SZ
	if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), fSetPipeSz, 4096); e != 0 {
		t.Fatalf("F_SETPIPE_SZ: %v", e)
	}
	return f
}

// Every input named by a flag that is a FIFO with no writer (or a device) ends the command at
// once with exit 2 naming the file, instead of blocking until kill -9.
func TestInputsThatAreNotFilesNeverHang(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "input.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	policyDir := filepath.Join(dir, "policies")
	os.Mkdir(policyDir, 0o755)
	syscall.Mkfifo(filepath.Join(policyDir, "a.rego"), 0o600)
	inventory := filepath.Join(dir, "inventory")
	os.Mkdir(inventory, 0o755)
	syscall.Mkfifo(filepath.Join(inventory, "SMS_Site.json"), 0o600)
	logs := filepath.Join(dir, "Dmpdownloader.log")
	syscall.Mkfifo(logs, 0o600)
	base := failingRun(t)
	run := func(extra ...string) []string { return append(slices.Clone(base), extra...) }
	for _, c := range []struct {
		args []string
		name string // the file the message must name
	}{
		{run("--endpoints", fifo), fifo},
		{run("--config", fifo), fifo},
		{run("--config", "/dev/zero"), "/dev/zero"},
		{run("--policy", fifo), fifo},
		{run("--policy", policyDir), filepath.Join(policyDir, "a.rego")},
		{run("--waivers", fifo), fifo},
		{run("--data", fifo), fifo},
		{run("--ca-file", fifo), fifo},
		{run("--expected-roots", fifo), fifo},
		{run("--proxy", "http://127.25.0.1:9", "--proxy-user", "svc", "--proxy-password-file", fifo), fifo},
		{run("--previous", fifo), fifo},
		{run("--inventory", inventory), filepath.Join(inventory, "SMS_Site.json")},
		{run("--cm-logs", logs), logs},
		{[]string{"endpoints", "--endpoints", fifo}, fifo},
		{[]string{"report", "convert", "--in", fifo}, fifo},
		{[]string{"report", "merge", "--in", fifo}, fifo},
		{[]string{"logs", "analyze", logs}, logs},
		{[]string{"policy", "test", fifo}, fifo},
	} {
		p := startBinary(t, c.args...)
		code := p.wait(t, 30*time.Second)
		msg := p.stderr.String()
		if code != 2 || !strings.Contains(msg, c.name) || !strings.Contains(msg, "not a regular file") {
			t.Errorf("%v: exit %d, want 2 naming %s as not a regular file; stderr %q", c.args, code, c.name, msg)
		}
	}
}

// privateDev runs script as root in a private mount namespace whose /dev is a tmpfs holding
// its own null, full, a block device node and the stdout link, so the machine's /dev is never
// at risk. BIN, DIR and the arguments of a failing run (RUN...) are in its environment.
func privateDev(t *testing.T, script string, env ...string) string {
	t.Helper()
	needRoot(t)
	setup := `set -e
mount -t tmpfs -o mode=755,size=1m cmpf24b-dev /dev
mknod -m 666 /dev/null c 1 3
mknod -m 666 /dev/full c 1 7
mknod -m 600 /dev/cmpf24b-disk b 7 250
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
set +e
`
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "bash", "-c", setup+script+
		"\nstat -c 'type %n: %F' /dev/null /dev/full /dev/stdout /dev/cmpf24b-disk\n")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("namespace script: %v\n%s", err, out)
	}
	return string(out)
}

// As root, a report written to a device or to /dev/stdout never replaces it: /dev/full is
// an error naming it (the others are written), /dev/null swallows the report, /dev/stdout is
// this process's standard output whether that is a file or a pipe, and a disk device is
// refused before anything is written.
func TestOutputsNeverReplaceADevice(t *testing.T) {
	dir := t.TempDir()
	report, _ := filepath.Abs(filepath.Join("..", "..", "reports", "testdata", "direct-pass.json"))
	run := failingRun(t, "--output", "html=/dev/full", "--output", "json="+filepath.Join(dir, "r.json"), "--output", "markdown=/dev/null")
	q := func(args []string) string {
		var b strings.Builder
		for _, a := range args {
			fmt.Fprintf(&b, " '%s'", strings.ReplaceAll(a, "'", `'\''`))
		}
		return b.String()
	}
	out := privateDev(t, `
"$BIN" report convert --in "$R" --output html=/dev/full 2>"$DIR/e-full"; echo "full rc=$?"
"$BIN" report convert --in "$R" --output json=/dev/null 2>"$DIR/e-null"; echo "null rc=$?"
"$BIN" report convert --in "$R" --output json=/dev/null --output html=/dev/null >/dev/null 2>"$DIR/e-null2"; echo "null-as-stdout rc=$?"
"$BIN" report convert --in "$R" --output json=/dev/stdout >"$DIR/out-file" 2>"$DIR/e-file"; echo "stdout-file rc=$?"
"$BIN" report convert --in "$R" --output json=/dev/stdout 2>"$DIR/e-pipe" | cat >"$DIR/out-pipe"; echo "stdout-pipe rc=${PIPESTATUS[0]}"
"$BIN" report convert --in "$R" --output json=- >"$DIR/out-dash" 2>"$DIR/e-dash"; echo "dash rc=$?"
"$BIN" report convert --in "$R" --output json=/dev/cmpf24b-disk 2>"$DIR/e-disk"; echo "disk rc=$?"
"$BIN"`+q(run)+` >/dev/null 2>"$DIR/e-run"; echo "run rc=$?"
`, "BIN="+binPath, "DIR="+dir, "R="+report)
	for _, want := range []string{"full rc=2", "null rc=0", "null-as-stdout rc=0", "stdout-file rc=0", "stdout-pipe rc=0", "dash rc=0", "disk rc=2", "run rc=2",
		"type /dev/null: character special file", "type /dev/full: character special file",
		"type /dev/stdout: symbolic link", "type /dev/cmpf24b-disk: block special file"} {
		if !strings.Contains(out, want) {
			t.Errorf("namespace output lacks %q:\n%s", want, out)
		}
	}
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		return string(b)
	}
	if e := read("e-full"); !strings.Contains(e, "write html report /dev/full: the disk is full") {
		t.Errorf("/dev/full: stderr %q", e)
	}
	if e := read("e-disk"); !strings.Contains(e, "/dev/cmpf24b-disk is a block device") {
		t.Errorf("disk device: stderr %q", e)
	}
	for _, name := range []string{"out-file", "out-pipe", "out-dash"} {
		var doc facts.Document
		if err := json.Unmarshal([]byte(read(name)), &doc); err != nil || doc.SchemaVersion != facts.SchemaVersion {
			t.Errorf("%s: standard output is not the JSON report (%v): %.200q", name, err, read(name))
		}
	}
	e := read("e-run")
	if !strings.Contains(e, "write html report /dev/full: the disk is full") || strings.Contains(e, "r.json") || strings.Contains(e, "/dev/null") {
		t.Errorf("run: stderr %q, want only /dev/full named", e)
	}
	if data := read("r.json"); data == "" {
		t.Error("run: the JSON report after the failed /dev/full output was not written")
	} else {
		validateReport(t, []byte(data))
	}
}

// A FIFO output is written through when somebody reads it, an error naming it when nobody
// does; it stays a FIFO either way, and the other outputs are written.
func TestFIFOOutputs(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join("..", "..", "reports", "testdata", "direct-pass.json")
	lonely := filepath.Join(dir, "nobody.fifo")
	syscall.Mkfifo(lonely, 0o600)
	r := runBin(t, nil, "report", "convert", "--in", report, "--output", "json="+lonely, "--output", "text="+filepath.Join(dir, "r.txt"))
	if r.code != 2 || !strings.Contains(r.stderr, "write json report "+lonely+": is a FIFO that nobody reads") || !strings.Contains(r.stderr, "the other outputs were written") {
		t.Errorf("FIFO without reader: exit %d, stderr %q", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "r.txt")); len(b) == 0 {
		t.Error("the text output after the failed FIFO was not written")
	}
	// A log on a FIFO nobody reads: refused at once, not a run that waits for a reader.
	p := startBinary(t, failingRun(t, "--log-file", lonely)...)
	if code := p.wait(t, 30*time.Second); code != 2 || !strings.Contains(p.stderr.String(), "--log-file: open log file "+lonely+": is a FIFO that nobody reads") {
		t.Errorf("log on a FIFO without reader: exit %d, stderr %q", code, p.stderr.String())
	}
	read := filepath.Join(dir, "read.fifo")
	syscall.Mkfifo(read, 0o600)
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(read) // blocks until the product opens it for writing
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		var b bytes.Buffer
		b.ReadFrom(f)
		got <- b.Bytes()
	}()
	// The reader must be waiting before the product opens the FIFO: poll until it is.
	var r2 result
	for i := 0; i < 50; i++ {
		time.Sleep(20 * time.Millisecond)
		if r2 = runBin(t, nil, "report", "convert", "--in", report, "--output", "json="+read); r2.code == 0 {
			break
		}
	}
	if r2.code != 0 {
		t.Fatalf("FIFO with a reader: exit %d, stderr %q", r2.code, r2.stderr)
	}
	select {
	case b := <-got:
		validateReport(t, b)
	case <-time.After(10 * time.Second):
		t.Fatal("the reader got nothing")
	}
	for _, p := range []string{lonely, read} {
		if st, err := os.Lstat(p); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("%s is no longer a FIFO: %v", p, err)
		}
	}
}

// runawayArgs is a run whose one check fails at once and whose user policy runs away.
func runawayArgs(t *testing.T, extra ...string) []string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "p.rego")
	os.WriteFile(p, []byte(cpuRunaway), 0o644)
	return failingRun(t, append([]string{"--policy", p}, extra...)...)
}

// The folder of one output and of the log is removed during the run: the run names both and
// exits 2, with -q too, and writes the outputs before and after it, whole.
func TestRemovedOutputFolderIsNamedAndTheOthersWritten(t *testing.T) {
	base := t.TempDir()
	a, b, c := filepath.Join(base, "a"), filepath.Join(base, "b"), filepath.Join(base, "c")
	for _, d := range []string{a, b, c} {
		os.Mkdir(d, 0o755)
	}
	p := startBinary(t, runawayArgs(t, "--run-timeout", "4s", "--log-file", filepath.Join(b, "run.log"),
		"--output", "json="+filepath.Join(a, "r.json"), "--output", "html="+filepath.Join(b, "r.html"), "--output", "text="+filepath.Join(c, "r.txt"))...)
	// The log is opened once the inputs are checked; then the run is in its slow evaluation.
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(filepath.Join(b, "run.log")); err == nil {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	if err := os.RemoveAll(b); err != nil {
		t.Fatal(err)
	}
	code := p.wait(t, 60*time.Second)
	e := p.stderr.String()
	if code != 2 || !strings.Contains(e, "2 outputs could not be written (the others were written)") ||
		!strings.Contains(e, "write html report "+filepath.Join(b, "r.html")+": the folder "+b+" does not exist") ||
		!strings.Contains(e, "--log-file "+filepath.Join(b, "run.log")+": the file was removed or replaced during the run") {
		t.Errorf("exit %d, stderr %q", code, e)
	}
	data, err := os.ReadFile(filepath.Join(a, "r.json"))
	if err != nil {
		t.Fatalf("the output before the removed one: %v", err)
	}
	validateReport(t, data)
	if txt, err := os.ReadFile(filepath.Join(c, "r.txt")); err != nil || !strings.Contains(string(txt), "Verdict:") {
		t.Errorf("the output after the removed one: %v %q", err, txt)
	}
	for _, d := range []string{a, c} {
		if l := leftovers(t, d); len(l) > 0 {
			t.Errorf("temporary files left in %s: %v", d, l)
		}
	}
}

// hangingRun is a run whose one check hangs (a listener that accepts and never answers) and
// whose user policy runs away.
func hangingRun(t *testing.T, extra ...string) []string {
	t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50 && ln == nil; i++ {
		ln, err = net.Listen("tcp", fmt.Sprintf("127.25.%d.%d:0", rand.IntN(256), 2+rand.IntN(250)))
	}
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan net.Conn, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held <- c
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for len(held) > 0 {
			(<-held).Close()
		}
	})
	addr := ln.Addr().(*net.TCPAddr)
	d := startLabDNS(t)
	d.A("hang.lab.test", addr.IP.String())
	dir := t.TempDir()
	eps := filepath.Join(dir, "eps.yaml")
	os.WriteFile(eps, []byte(fmt.Sprintf("entries:\n  - {name: hang.lab.test, ports: [%d]}\n", addr.Port)), 0o644)
	pol := filepath.Join(dir, "p.rego")
	os.WriteFile(pol, []byte(cpuRunaway), 0o644)
	return append([]string{"run", "--endpoints-only", "--endpoints", eps, "--dns-server", d.Addr, "--timeout", "60s",
		"--policy", pol, "--quiet"}, extra...)
}

// A Ctrl-C during probing gives the policy evaluation a 10 s grace; a second Ctrl-C (or
// SIGTERM after Ctrl-C) during that slow evaluation ends the run at once and leaves no
// report, whole or half.
func TestSecondInterruptEndsAtOnce(t *testing.T) {
	for _, second := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		dir := t.TempDir()
		args := hangingRun(t, "--output", "json="+filepath.Join(dir, "r.json"), "--output", "html="+filepath.Join(dir, "r.html"))
		if second == syscall.SIGTERM { // without --quiet: the first interrupt says what a second does
			args = slices.DeleteFunc(args, func(a string) bool { return a == "--quiet" })
		}
		p := startBinary(t, args...)
		time.Sleep(1500 * time.Millisecond)
		p.cmd.Process.Signal(syscall.SIGINT)
		time.Sleep(1500 * time.Millisecond)
		select {
		case <-p.done:
			t.Fatalf("%v: the run ended on the first Ctrl-C, before the second: %s", second, p.stderr.String())
		default:
		}
		p.cmd.Process.Signal(second)
		sent := time.Now()
		code := p.wait(t, 30*time.Second)
		if took := time.Since(sent); took > 4*time.Second {
			t.Errorf("%v: the run ended %v after the second interrupt", second, took)
		}
		if code != 2 || !strings.Contains(p.stderr.String(), "interrupted again") {
			t.Errorf("%v: exit %d, stderr %q", second, code, p.stderr.String())
		}
		if hint := "interrupt again to stop at once"; (second == syscall.SIGTERM) != strings.Contains(p.stderr.String(), hint) {
			t.Errorf("%v: the hint %q shown only without --quiet; stderr %q", second, hint, p.stderr.String())
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("%v: files left: %v", second, ents)
		}
	}
}

// Every command that writes files ends at once on SIGTERM, even while an output is stuck
// (a FIFO nobody reads): the outputs written before stay whole, nothing half written or
// temporary is left, and the outputs after it are not started.
func TestCommandsEndCleanlyOnSIGTERM(t *testing.T) {
	reportsDir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "reports", "testdata", "direct-pass.json"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		b := bytes.Replace(src, []byte(`"hostname": "CM01-SCP"`), []byte(fmt.Sprintf(`"hostname": "M%03d"`, i)), 1)
		os.WriteFile(filepath.Join(reportsDir, fmt.Sprintf("m%03d.json", i)), b, 0o644)
	}
	one := filepath.Join(reportsDir, "m000.json")
	for _, c := range []struct {
		name string
		args []string
	}{
		{"report convert", []string{"report", "convert", "--in", one}},
		{"report merge", []string{"report", "merge", "--in", reportsDir, "--quiet"}},
		{"run", runawayArgs(t, "--run-timeout", "3s")},
	} {
		dir := t.TempDir()
		stuck := filepath.Join(t.TempDir(), "stuck.fifo")
		readerOnFIFO(t, stuck)
		// The HTML page (over 10 KB) fills the FIFO's 4 KB and waits there for ever.
		args := append(slices.Clone(c.args), "--output", "json="+filepath.Join(dir, "first.json"), "--output", "html="+stuck, "--output", "markdown="+filepath.Join(dir, "after.md"))
		p := startBinary(t, args...)
		first := filepath.Join(dir, "first.json")
		for i := 0; i < 300; i++ {
			if _, err := os.Stat(first); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond) // now stuck on the FIFO
		p.cmd.Process.Signal(syscall.SIGTERM)
		code := p.wait(t, 10*time.Second)
		if code != 2 || !strings.Contains(p.stderr.String(), "stopped at once") {
			t.Errorf("%s: exit %d, stderr %q", c.name, code, p.stderr.String())
		}
		data, err := os.ReadFile(first)
		if err != nil || !json.Valid(data) {
			t.Errorf("%s: the output written before is not whole: %v", c.name, err)
		}
		ents, _ := os.ReadDir(dir)
		if len(ents) != 1 {
			t.Errorf("%s: files in the output folder %v, want only first.json", c.name, ents)
		}
	}
}

// report merge over many files, some unreadable (FIFOs, truncated, foreign, dangling links):
// it never hangs, exits 1 naming them unless they are accepted, and the fleet view lists
// them before the machines.
func TestMergeWithUnreadableFilesIsNotProven(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "reports", "testdata", "direct-pass.json"))
	if err != nil {
		t.Fatal(err)
	}
	var bad []string
	for i := 0; i < 300; i++ {
		name := filepath.Join(dir, fmt.Sprintf("m%03d.json", i))
		b := bytes.Replace(src, []byte(`"hostname": "CM01-SCP"`), []byte(fmt.Sprintf(`"hostname": "M%03d"`, i)), 1)
		switch {
		case i%30 == 0:
			syscall.Mkfifo(name, 0o600)
		case i%30 == 1:
			os.WriteFile(name, b[:len(b)/3], 0o644)
		case i%30 == 2:
			os.Symlink(filepath.Join(dir, "gone", "x.json"), name)
		default:
			os.WriteFile(name, b, 0o644)
			continue
		}
		bad = append(bad, name)
	}
	out := t.TempDir()
	fleetJSON, fleetText := filepath.Join(out, "fleet.json"), filepath.Join(out, "fleet.txt")
	p := startBinary(t, "report", "merge", "--in", dir, "--skip-invalid", "--quiet", "--output", "json="+fleetJSON, "--output", "text="+fleetText)
	code := p.wait(t, 60*time.Second)
	if code != 1 || !strings.Contains(p.stderr.String(), fmt.Sprintf("%d input(s) could not be read", len(bad))) {
		t.Errorf("exit %d, want 1; stderr %s", code, p.stderr.String())
	}
	for _, b := range bad {
		if !strings.Contains(p.stderr.String(), "skipped "+b) {
			t.Errorf("stderr does not name %s", b)
		}
	}
	data, _ := os.ReadFile(fleetJSON)
	validateFleet(t, data)
	var fd fleet.Document
	json.Unmarshal(data, &fd)
	if fd.Summary.Skipped != len(bad) || fd.SkippedAccepted || len(fd.Machines) != 300-len(bad) || fd.Proven() {
		t.Errorf("fleet: skipped %d accepted %v machines %d proven %v", fd.Summary.Skipped, fd.SkippedAccepted, len(fd.Machines), fd.Proven())
	}
	txt, _ := os.ReadFile(fleetText)
	if !strings.HasPrefix(string(txt), fmt.Sprintf("Fleet: NOT PROVEN: %d input(s) could not be read", len(bad))) ||
		strings.Index(string(txt), bad[0]) > strings.Index(string(txt), "MACHINE") {
		t.Errorf("the fleet text does not lead with the unread inputs:\n%.600s", txt)
	}
	p = startBinary(t, "report", "merge", "--in", dir, "--skip-invalid", "--accept-skipped", "--quiet", "--output", "json="+fleetJSON)
	if code := p.wait(t, 60*time.Second); code != 0 {
		t.Errorf("--accept-skipped: exit %d, stderr %s", code, p.stderr.String())
	}
}

// --output FORMAT=- is standard output, which the report then has to itself (no summary);
// two outputs on it are refused before the run, as is a log on it.
func TestDashIsStandardOutput(t *testing.T) {
	args := slices.DeleteFunc(failingRun(t, "--output", "json=-"), func(a string) bool { return a == "--quiet" })
	r := runBin(t, nil, args...)
	var doc facts.Document
	if err := json.Unmarshal([]byte(r.stdout), &doc); r.code != 1 || err != nil || doc.Verdict == nil {
		t.Errorf("exit %d, stdout is not the JSON report alone (%v): %.300q", r.code, err, r.stdout)
	}
	for _, extra := range [][]string{{"--output", "json=-", "--output", "text=/dev/stdout"}, {"--log-file", "-"}} {
		r := runBin(t, nil, failingRun(t, extra...)...)
		if r.code != 2 || !strings.Contains(r.stderr, "standard output") || strings.Contains(r.stderr, "absent.lab.test") {
			t.Errorf("%v: exit %d, stderr %q", extra, r.code, r.stderr)
		}
	}
}

// A fleet document left among the reports is set aside, not counted as a machine unseen:
// the merge still proves the fleet.
func TestFleetDocumentAmongInputsIsNotAnUnseenMachine(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "..", "reports", "testdata", "direct-pass.json"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "m1.json"), src, 0o644)
	if r := runBin(t, nil, "report", "merge", "--in", dir, "--quiet", "--output", "json="+filepath.Join(dir, "fleet.json")); r.code != 0 {
		t.Fatalf("first merge: exit %d, %s", r.code, r.stderr)
	}
	r := runBin(t, nil, "report", "merge", "--in", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "Inputs set aside (fleet documents") || strings.Contains(r.stdout, "NOT PROVEN") {
		t.Errorf("exit %d, stdout %s, stderr %s", r.code, r.stdout, r.stderr)
	}
}
