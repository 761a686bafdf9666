//go:build linux

// Command bench measures cmpreflight against the physical limit of a run: a lab on loopback
// with latency injected in user space (DNS answers, the TLS handshake and HTTP answers of the
// endpoints, squid's CONNECT answer), a lower bound computed from those delays and the
// concurrency, and curl run per endpoint in parallel as the baseline a user would otherwise
// script. It prints ratios and PASS/FAIL lines for the targets of issue 8; it is not a test.
//
// Run as root (the lab binds ports 53, 80 and 443 on loopback addresses and curl runs in a
// private mount namespace): make bench, or CMPREFLIGHT_BIN=bin/cmpreflight go run ./internal/bench.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/checks/netprobe"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
	"github.com/cmpreflight/cmpreflight/policies"
	"github.com/cmpreflight/cmpreflight/reports"
)

// Limits that keep the benchmark bounded whatever happens.
const (
	wholeBenchmark = 9*time.Minute + 30*time.Second
	oneProcess     = 3 * time.Minute
)

// startupOverhead is the measured time a run spends outside its checks when it has one
// instant check; it places the end of the checks on a run's timeline.
var startupOverhead time.Duration

// processStart is the wall time of cmpreflight version: the floor under every run.
var processStart time.Duration

var (
	verbose = flag.Bool("v", false, "log what the lab does")
	keep    = flag.String("keep", "", "write the 10,000-endpoint run's JSON report to this file")
	only    = flag.String("only", "", "run only the scenarios whose name contains this text (e.g. 10,000)")
	profile = flag.String("cpuprofile", "", "instead of the scenarios, run 6,000 checks in this process (checks.Runner, 20 ms round trips) and write a CPU profile here")
)

func main() {
	flag.Parse()
	tb := &benchTB{}
	code := 0
	func() {
		defer func() {
			if r := recover(); r != nil {
				if f, ok := r.(benchFatal); ok {
					fmt.Fprintln(os.Stderr, "bench:", string(f))
					code = 2
					return
				}
				tb.cleanup()
				panic(r)
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), wholeBenchmark)
		defer cancel()
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		code = run(ctx, tb)
	}()
	tb.cleanup()
	os.Exit(code)
}

// benchTB lets the benchmark start lab peers whose constructors take a testing.TB (squid):
// Fatal aborts the benchmark, Cleanup runs when it ends.
type benchTB struct {
	testing.TB
	mu       sync.Mutex
	cleanups []func()
}

type benchFatal string

func (b *benchTB) Helper()                   {}
func (b *benchTB) Name() string              { return "bench" }
func (b *benchTB) Failed() bool              { return false }
func (b *benchTB) Fatal(a ...any)            { panic(benchFatal(fmt.Sprint(a...))) }
func (b *benchTB) Fatalf(f string, a ...any) { panic(benchFatal(fmt.Sprintf(f, a...))) }
func (b *benchTB) Skip(a ...any)             { panic(benchFatal("cannot run: " + fmt.Sprint(a...))) }
func (b *benchTB) Skipf(f string, a ...any)  { panic(benchFatal("cannot run: " + fmt.Sprintf(f, a...))) }
func (b *benchTB) Errorf(f string, a ...any) { panic(benchFatal(fmt.Sprintf(f, a...))) }
func (b *benchTB) Log(a ...any)              { b.Logf("%s", fmt.Sprint(a...)) }
func (b *benchTB) Cleanup(f func())          { b.mu.Lock(); b.cleanups = append(b.cleanups, f); b.mu.Unlock() }
func (b *benchTB) Logf(format string, args ...any) {
	if *verbose {
		fmt.Fprintf(os.Stderr, "lab: "+format+"\n", args...)
	}
}

func (b *benchTB) cleanup() {
	b.mu.Lock()
	fs := b.cleanups
	b.cleanups = nil
	b.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

// benchLab is the DNS server (on port 53, so curl's resolver can be pointed at it), the
// endpoints (a few loopback addresses on 443 and 80) and the CA.
type benchLab struct {
	tb     *benchTB
	dir    string
	ca     *lab.CA
	caFile string
	dns    *lab.DNS
	webs   []*lab.Web
	rtt    time.Duration
}

func startLab(tb *benchTB, webCount int) *benchLab {
	if os.Geteuid() != 0 {
		tb.Fatal("run as root: the lab binds ports 53, 80 and 443 on loopback and curl runs in a private mount namespace")
	}
	dir, err := os.MkdirTemp("", "cmpreflight-bench-")
	if err != nil {
		tb.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	tb.Cleanup(func() { os.RemoveAll(dir) })
	ca, err := lab.NewCA("cmpreflight bench root")
	if err != nil {
		tb.Fatal(err)
	}
	caFile, _, err := ca.WriteFiles(dir)
	if err != nil {
		tb.Fatal(err)
	}
	l := &benchLab{tb: tb, dir: dir, ca: ca, caFile: caFile}
	for i := 0; i < 20 && l.dns == nil; i++ {
		ip, err := lab.AllocIP(53)
		if err != nil {
			tb.Fatal(err)
		}
		if d, err := lab.StartDNS(ip, 53); err == nil {
			l.dns = d
		}
	}
	if l.dns == nil {
		tb.Fatal("no loopback address with port 53 free for the lab DNS")
	}
	tb.Cleanup(l.dns.Close)
	for i := 0; i < webCount; i++ {
		ip, err := lab.AllocIP(443, 80)
		if err != nil {
			tb.Fatal(err)
		}
		w, err := lab.StartWeb(ip, 443, 80, ca, lab.ConnServe)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(w.Close)
		l.webs = append(l.webs, w)
	}
	return l
}

// setRTT injects d on every round trip the lab serves: the DNS answer, the start of the TLS
// handshake and the HTTP answer. Only called while no check runs.
func (l *benchLab) setRTT(d time.Duration) {
	l.rtt = d
	l.dns.Delay(d)
	for _, w := range l.webs {
		w.SetTLSDelay(d)
		w.Handle("", lab.Route{Status: 200, Delay: d})
	}
}

// name maps a host to one of the lab addresses and issues its certificate ahead of time, so
// that certificate generation is not part of any measured run.
func (l *benchLab) name(host string, i int) string {
	ip := l.webs[i%len(l.webs)].IP
	l.dns.A(host, ip)
	if _, err := l.ca.Leaf(strings.ToLower(host)); err != nil {
		l.tb.Fatal(err)
	}
	return ip
}

func (l *benchLab) resolvConf() string {
	host := strings.Split(l.dns.Addr, ":")[0]
	path := filepath.Join(l.dir, "resolv.conf")
	if err := os.WriteFile(path, []byte("nameserver "+host+"\noptions timeout:5 attempts:1\n"), 0o644); err != nil {
		l.tb.Fatal(err)
	}
	return path
}

// procResult is one measured process.
type procResult struct {
	wall    time.Duration
	cpu     time.Duration
	maxRSS  int64 // bytes
	exit    int
	doc     *facts.Document
	stdout  string
	stderr  string
	report  string
	reportB []byte
	hwm     []rssSample
}

// rssSample is the process's peak RSS so far (VmHWM) at a moment of its life.
type rssSample struct {
	at  time.Duration
	hwm int64
}

// sampleHWM reads /proc/PID/status every 20 ms until exited is closed.
func sampleHWM(pid int, start time.Time, exited <-chan struct{}) []rssSample {
	var out []rssSample
	path := fmt.Sprintf("/proc/%d/status", pid)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-exited:
			return out
		case <-tick.C:
		}
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				var kb int64
				fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb)
				out = append(out, rssSample{time.Since(start), kb * 1024})
			}
		}
	}
}

// hwmAt is the peak RSS the process had reached by the moment at.
func hwmAt(samples []rssSample, at time.Duration) int64 {
	v := int64(0)
	for _, s := range samples {
		if s.at <= at {
			v = s.hwm
		}
	}
	return v
}

func runProduct(ctx context.Context, bin string, l *benchLab, conc int, extra ...string) procResult {
	report := filepath.Join(l.dir, fmt.Sprintf("report-%d.json", time.Now().UnixNano()))
	args := append([]string{"run", "--quiet", "--dns-server", l.dns.Addr, "--ca-file", l.caFile, "--expected-roots", l.caFile,
		"--concurrency", fmt.Sprint(conc), "--timeout", "10s", "--run-timeout", "4m", "--output", "json=" + report}, extra...)
	r := runProc(ctx, exec.Command(bin, args...))
	r.report = report
	data, err := os.ReadFile(report)
	if err != nil {
		l.tb.Fatalf("cmpreflight wrote no report (exit %d): %s", r.exit, r.stderr)
	}
	os.Remove(report)
	var doc facts.Document
	if err := json.Unmarshal(data, &doc); err != nil {
		l.tb.Fatalf("report: %v", err)
	}
	r.doc = &doc
	r.reportB = data
	return r
}

// runProc runs cmd to its end (or kills it after oneProcess) and reads its rusage.
func runProc(ctx context.Context, cmd *exec.Cmd) procResult {
	ctx, cancel := context.WithTimeout(ctx, oneProcess)
	defer cancel()
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", "HOME=/root"}
	for _, k := range []string{"GODEBUG", "GOGC", "GOMEMLIMIT", "GOMAXPROCS"} {
		if v, ok := os.LookupEnv(k); ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		panic(benchFatal(fmt.Sprintf("start %s: %v", cmd.Path, err)))
	}
	stop := context.AfterFunc(ctx, func() { cmd.Process.Kill() })
	exited := make(chan struct{})
	hwm := make(chan []rssSample, 1)
	go func() { hwm <- sampleHWM(cmd.Process.Pid, start, exited) }()
	err := cmd.Wait()
	close(exited)
	stop()
	r := procResult{wall: time.Since(start), stdout: so.String(), stderr: se.String(), hwm: <-hwm}
	if ctx.Err() != nil {
		panic(benchFatal(fmt.Sprintf("%s %v did not finish in %v (or the benchmark was interrupted): %s", cmd.Path, cmd.Args[1:], oneProcess, tailOf(se.String()))))
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		panic(benchFatal(fmt.Sprintf("%s: %v", cmd.Path, err)))
	}
	r.exit = cmd.ProcessState.ExitCode()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		r.maxRSS = ru.Maxrss * 1024
	}
	return r
}

func tailOf(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}

// pathOf is a check's critical path from the injected delays: DNS, TCP connect (loopback:
// no injected delay), the proxy's CONNECT answer, the TLS handshake and the first byte.
// Through a proxy, name resolution is the proxy's (ours runs beside it), so the path is the
// longer of the two.
func pathOf(c facts.Check, rtt, connectDelay time.Duration) time.Duration {
	tls := time.Duration(0)
	if c.Kind == "https" {
		tls = rtt
	}
	if c.Route == facts.RouteProxy {
		proxy := time.Duration(0)
		if c.Kind == "https" {
			proxy = connectDelay
		}
		return max(rtt, proxy+tls+rtt)
	}
	return rtt + tls + rtt
}

// bound is the shortest possible run: the runner's workers take the checks in order, each
// check costing exactly its critical path (list scheduling with zero overhead).
func bound(paths []time.Duration, conc int) time.Duration {
	free := make([]time.Duration, min(conc, max(len(paths), 1)))
	for _, p := range paths {
		i := 0
		for j := range free {
			if free[j] < free[i] {
				i = j
			}
		}
		free[i] += p
	}
	return slices.Max(free)
}

func waves(n, conc int) int { return (n + conc - 1) / conc }

// curlBaseline fetches every URL with one curl per URL, conc at a time (xargs -P), resolving
// through the lab DNS: curl runs in a private mount namespace whose /etc/resolv.conf is a
// bind mount naming the lab resolver.
func curlBaseline(ctx context.Context, l *benchLab, urls []string, conc int, proxy string) (procResult, int) {
	list := filepath.Join(l.dir, fmt.Sprintf("urls-%d.txt", time.Now().UnixNano()))
	if err := os.WriteFile(list, []byte(strings.Join(urls, "\n")+"\n"), 0o644); err != nil {
		l.tb.Fatal(err)
	}
	defer os.Remove(list)
	curl := fmt.Sprintf("curl -s -o /dev/null -I --cacert %s --max-time 10 -w '%%{http_code}\\n'", l.caFile)
	if proxy != "" {
		curl += " -x " + proxy
	}
	script := fmt.Sprintf("mount --bind %s /etc/resolv.conf && exec xargs -d '\\n' -P %d -n 1 %s < %s", l.resolvConf(), conc, curl, list)
	r := runProc(ctx, exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", script))
	ok := 0
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	for sc.Scan() {
		if code := strings.TrimSpace(sc.Text()); code != "" && code != "000" {
			ok++
		}
	}
	return r, ok
}

type scenario struct {
	name      string
	rtt       time.Duration
	conc      int
	runs      int
	args      []string
	proxy     *lab.Proxy
	connect   time.Duration // squid's CONNECT delay
	curl      bool
	wantRatio float64 // duration/bound target; 0 = none
	// wantWallRatio is the whole-process target: the wall time of the process, from exec to
	// exit (start-up, policy compilation, reports included), over the bound; 0 = none.
	wantWallRatio float64
	wantMaxRSS    int64
	// before is the scenario's figures measured before the port-80 proofs (issue 21: every
	// port-80 pass proven against HTTPS or a signed object), printed beside this run's: run
	// itself / bound and whole process / bound, on 2026-12-02 (README's table).
	before string
	// dnsLoad counts the checks that ended at dns/timeout against a lab DNS that answers
	// every query: a datagram lost under load must be sent again, never fail a check.
	dnsLoad bool
}

type outcome struct {
	sc              scenario
	checks          int
	passed          int
	bound           time.Duration
	dur, wall       time.Duration // medians
	cpu             time.Duration
	rss             int64
	curlWall        time.Duration
	curlOK, curlN   int
	curlRan         bool
	lastDoc         []byte
	startupFromWall time.Duration // median wall - durationMs
	// meanTotal is the checks' own mean duration in the last run; meanPath its injected part.
	meanTotal, meanPath time.Duration
	// rssChecks is the peak RSS reached by the end of the checks (before policy and reports).
	rssChecks int64
	// dnsTimeouts is the most checks at dns/timeout in one run; dnsResent the checks whose
	// resolution needed more than one query per question (a datagram lost and sent again).
	dnsTimeouts, dnsResent int
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func (o *outcome) ratio() float64     { return o.dur.Seconds() / o.bound.Seconds() }
func (o *outcome) wallRatio() float64 { return o.wall.Seconds() / o.bound.Seconds() }

func runScenario(ctx context.Context, bin string, l *benchLab, sc scenario) *outcome {
	l.setRTT(sc.rtt)
	args := slices.Clone(sc.args)
	if sc.proxy != nil {
		args = append(args, "--proxy", sc.proxy.URL, "--proxy-auth", "none")
	}
	// One untimed run warms what a first run pays once per machine, not per check (page
	// cache of the binary, squid's helpers); the long scenarios amortise it.
	if sc.runs > 1 {
		runProduct(ctx, bin, l, sc.conc, args...)
	}
	o := &outcome{sc: sc}
	var durs, walls, starts []time.Duration
	for i := 0; i < sc.runs; i++ {
		r := runProduct(ctx, bin, l, sc.conc, args...)
		durs = append(durs, time.Duration(r.doc.DurationMs)*time.Millisecond)
		walls = append(walls, r.wall)
		starts = append(starts, r.wall-time.Duration(r.doc.DurationMs)*time.Millisecond)
		o.cpu = max(o.cpu, r.cpu)
		o.rss = max(o.rss, r.maxRSS)
		// The checks end about start-up plus durationMs after the process started.
		o.rssChecks = max(o.rssChecks, hwmAt(r.hwm, startupOverhead+time.Duration(r.doc.DurationMs)*time.Millisecond))
		o.checks = len(r.doc.Checks)
		o.passed = r.doc.Summary.Pass
		paths := make([]time.Duration, len(r.doc.Checks))
		var sumTotal, sumPath time.Duration
		for j, c := range r.doc.Checks {
			paths[j] = pathOf(c, sc.rtt, sc.connect)
			sumPath += paths[j]
			sumTotal += time.Duration(c.Timings.Total) * time.Millisecond
		}
		if i == 0 {
			o.bound = bound(paths, sc.conc)
		}
		if n := time.Duration(max(len(paths), 1)); i == sc.runs-1 {
			o.meanTotal, o.meanPath = sumTotal/n, sumPath/n
		}
		o.lastDoc = r.reportB
		if sc.dnsLoad {
			timeouts, resent := 0, 0
			for _, c := range r.doc.Checks {
				if c.Stage == facts.StageDNS && c.Reason == "timeout" {
					timeouts++
				}
				if c.Evidence.DNS != nil && len(c.Evidence.DNS.Tries) > 0 {
					resent++
				}
			}
			o.dnsTimeouts, o.dnsResent = max(o.dnsTimeouts, timeouts), max(o.dnsResent, resent)
		}
		if o.passed != o.checks {
			for _, c := range r.doc.Checks {
				if c.Status != facts.StatusPass {
					fmt.Fprintf(os.Stderr, "  %s: %s at %s (%s): %s\n", c.ID, c.Status, c.Stage, c.Reason, c.Message)
					break
				}
			}
		}
		if i == 0 && sc.curl {
			urls := make([]string, len(r.doc.Checks))
			for j, c := range r.doc.Checks {
				urls[j] = c.URL
			}
			proxy := ""
			if sc.proxy != nil {
				proxy = sc.proxy.URL
			}
			cr, ok := curlBaseline(ctx, l, urls, sc.conc, proxy)
			o.curlWall, o.curlOK, o.curlN, o.curlRan = cr.wall, ok, len(urls), true
		}
	}
	o.dur, o.wall, o.startupFromWall = median(durs), median(walls), median(starts)
	return o
}

// endpointsFile writes n user endpoints on 443 and 80, spread over the lab addresses.
func endpointsFile(l *benchLab, n int) string {
	var b strings.Builder
	b.WriteString("entries:\n")
	for i := 0; i < n; i++ {
		host := fmt.Sprintf("e%05d.bench.lab.test", i)
		l.name(host, i)
		fmt.Fprintf(&b, "  - {name: %s, ports: [443, 80]}\n", host)
	}
	path := filepath.Join(l.dir, fmt.Sprintf("endpoints-%d.yaml", n))
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		l.tb.Fatal(err)
	}
	return path
}

// catalogHosts serves every name of the SCP profile (both clouds) on the first lab address,
// with download.windowsupdate.com behind a CNAME chain as in the field.
func catalogHosts(l *benchLab) map[string]string {
	cat, err := catalog.LoadProfile("scp")
	if err != nil {
		l.tb.Fatal(err)
	}
	hosts := map[string]string{}
	for _, cloud := range []string{"public", "usgov"} {
		targets, _ := catalog.Plan(cat.Entries, catalog.PlanOptions{Edition: catalog.EditionAll, Cloud: cloud})
		for _, t := range targets {
			hosts[t.Host] = l.name(t.Host, 0)
		}
	}
	l.dns.CNAME("download.windowsupdate.com", "download.windowsupdate.com.edgesuite.net")
	l.dns.CNAME("download.windowsupdate.com.edgesuite.net", "a767.dscg3.akamaiedge.net")
	l.name("a767.dscg3.akamaiedge.net", 0)
	return hosts
}

// heapPeak runs f and returns the live heap before it (after a GC) and the highest heap in
// use sampled while it ran.
func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func heapPeak(f func()) (before, peak uint64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	before, peak = m.HeapInuse, m.HeapInuse
	done := make(chan struct{})
	sampled := make(chan uint64)
	go func() {
		hi := uint64(0)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				sampled <- hi
				return
			case <-tick.C:
				var s runtime.MemStats
				runtime.ReadMemStats(&s)
				hi = max(hi, s.HeapInuse)
			}
		}
	}()
	f()
	close(done)
	return before, max(peak, <-sampled)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func mb(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }

func run(ctx context.Context, tb *benchTB) int {
	bin := os.Getenv("CMPREFLIGHT_BIN")
	if bin == "" {
		tb.Fatal("CMPREFLIGHT_BIN is not set (make bench sets it)")
	}
	for _, tool := range []string{"curl", "unshare", "xargs", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Fatalf("%s is missing (scripts/install-test-deps.sh installs the lab's packages)", tool)
		}
	}
	if *only != "" && strings.Contains(mergeName, *only) {
		return mergeBench(ctx, bin) // needs no lab
	}
	began := time.Now()
	// The merge runs first, while this process is small: Linux charges a child's rusage
	// peak RSS with the parent's peak at the fork (the exec of a vfork-ed child), and the
	// in-process policy figures below grow this process past the merge's own 300 MB target.
	mergeCode := 0
	if strings.Contains(mergeName, *only) {
		mergeCode = mergeBench(ctx, bin)
		fmt.Println()
	}
	l := startLab(tb, 4)
	hosts := catalogHosts(l)
	ep1k := endpointsFile(l, 1000)
	ep10k := endpointsFile(l, 10000)
	ep5k := endpointsFile(l, 5000)
	if *profile != "" {
		return profileInProcess(ctx, l, *profile)
	}
	fmt.Printf("cmpreflight benchmark: %s, GOMAXPROCS-visible CPUs %d, lab DNS %s, %d lab addresses; setup %v\n",
		bin, numCPU(), l.dns.Addr, len(l.webs), time.Since(began).Round(time.Millisecond))
	fmt.Println("latency is injected in user space on each round trip: DNS answer, TLS handshake start, HTTP answer, squid's CONNECT answer (TCP connect on loopback: none)")
	fmt.Println()

	// Start-up: one check to an address that refuses at once (no DNS, no TLS), so the wall
	// time is the process itself: flag and catalog parsing, policy compilation and
	// evaluation, report writing.
	refuse := filepath.Join(l.dir, "refused.yaml")
	os.WriteFile(refuse, []byte(fmt.Sprintf("entries:\n  - {name: %s, ports: [1]}\n", l.webs[0].IP)), 0o644)
	var sw, sd []time.Duration
	for i := 0; i < 5; i++ {
		r := runProduct(ctx, bin, l, 1, "--endpoints-only", "--endpoints", refuse)
		sw = append(sw, r.wall)
		sd = append(sd, r.wall-time.Duration(r.doc.DurationMs)*time.Millisecond)
	}
	startupWall := median(sw)
	startupOverhead = median(sd)
	// The floor no run goes below: exec to exit of a command that only starts the process
	// (the Go runtime and the package initialisation of the whole binary, OPA's included).
	var vw []time.Duration
	for i := 0; i < 5; i++ {
		vw = append(vw, runProc(ctx, exec.Command(bin, "version")).wall)
	}
	processStart = median(vw)
	fmt.Printf("start-up (one check refused at once; median of 5): wall %s, of which outside the checks (policy compilation and evaluation, reports) %s; process start alone (cmpreflight version, median of 5): %s\n\n",
		ms(startupWall), ms(startupOverhead), ms(processStart))

	var outs []*outcome
	var o10k *outcome
	want := func(name string) bool { return strings.Contains(name, *only) }
	if name := "SCP catalog, direct"; want(name) {
		outs = append(outs, runScenario(ctx, bin, l, scenario{name: name, rtt: 50 * time.Millisecond, conc: 32, runs: 5, curl: true, wantRatio: 1.2, wantWallRatio: 1.25,
			before: "run itself 1.14, whole process 1.32 to 1.37"}))
	}
	if name := "SCP catalog, through squid"; want(name) {
		sq := lab.StartSquid(tb, lab.SquidOptions{Hosts: hosts, CONNECTDelay: 50 * time.Millisecond})
		// squid's delaying ACL helper runs at most 10 children: 10 checks at once keep every
		// CONNECT from queueing behind the helper, which would measure the lab, not the product.
		outs = append(outs, runScenario(ctx, bin, l, scenario{name: name, rtt: 50 * time.Millisecond, conc: 10, runs: 5,
			proxy: sq, connect: 50 * time.Millisecond, curl: true, wantRatio: 1.2, before: "run itself 1.10, whole process 1.21"}))
		sq.Close()
	}
	if name := "1,000 endpoints (2,000 checks)"; want(name) {
		outs = append(outs, runScenario(ctx, bin, l, scenario{name: name, rtt: 10 * time.Millisecond, conc: 32, runs: 3,
			args: []string{"--endpoints-only", "--endpoints", ep1k}, curl: true}))
	}
	// The product's default concurrency (32), as a firewall team's list would be run.
	if name := "10,000 endpoints (20,000 checks)"; want(name) {
		o10k = runScenario(ctx, bin, l, scenario{name: name, rtt: 20 * time.Millisecond, conc: 32, runs: 1,
			args: []string{"--endpoints-only", "--endpoints", ep10k}, wantRatio: 1.5, wantMaxRSS: 200 << 20})
		outs = append(outs, o10k)
	}

	// Issue 24: one lost UDP datagram used to fail a check (5,000 names on two ports at
	// concurrency 200 gave tens of dns/timeout); the resolver now sends again.
	if name := "DNS load, 5,000 endpoints (10,000)"; want(name) {
		outs = append(outs, runScenario(ctx, bin, l, scenario{name: name, rtt: 10 * time.Millisecond, conc: 200, runs: 1,
			args: []string{"--endpoints-only", "--endpoints", ep5k}, dnsLoad: true}))
	}

	fmt.Printf("%-34s %6s %4s %5s %9s %10s %6s %10s %6s %10s %6s %8s %9s\n", "scenario", "checks", "conc", "rtt", "bound",
		"duration", "ratio", "wall", "ratio", "curl wall", "ratio", "peak RSS", "CPU/1000")
	for _, o := range outs {
		curl, cratio := "-", "-"
		if o.curlRan {
			curl, cratio = ms(o.curlWall), fmt.Sprintf("%.2f", o.curlWall.Seconds()/o.bound.Seconds())
		}
		fmt.Printf("%-34s %6d %4d %5s %9s %10s %6.2f %10s %6.2f %10s %6s %8s %8.2fs\n", o.sc.name, o.checks, o.sc.conc, ms(o.sc.rtt), ms(o.bound),
			ms(o.dur), o.ratio(), ms(o.wall), o.wallRatio(), curl, cratio, mb(o.rss), o.cpu.Seconds()/float64(o.checks)*1000)
	}
	fmt.Println()
	for _, o := range outs {
		fmt.Printf("%s: %d/%d checks passed; %d waves of %d; mean check %.1f ms for %.1f ms injected; outside the checks (wall - durationMs: start-up, policy, reports) %s; peak RSS by the end of the checks %s",
			o.sc.name, o.passed, o.checks, waves(o.checks, o.sc.conc), o.sc.conc, float64(o.meanTotal)/1e6, float64(o.meanPath)/1e6, ms(o.startupFromWall), mb(o.rssChecks))
		if o.curlRan {
			fmt.Printf("; curl answered %d/%d", o.curlOK, o.curlN)
		}
		if o.sc.dnsLoad {
			fmt.Printf("; dns/timeout: %d of %d checks (%d needed a DNS resend)", o.dnsTimeouts, o.checks, o.dnsResent)
		}
		if o.sc.before != "" {
			fmt.Printf("; this run: run itself %.2f, whole process %.2f × bound (before the port-80 proofs: %s)", o.ratio(), o.wallRatio(), o.sc.before)
		}
		if o.sc.wantWallRatio > 0 {
			// For reading the whole-process line: what of it is the product's run rather than
			// the process start no run avoids (information, not a target).
			net := o.wall - processStart
			fmt.Printf("; whole process less the process start alone %s (%.2f × bound)", ms(net), net.Seconds()/o.bound.Seconds())
		}
		fmt.Println()
	}

	if o10k != nil {
		policyFigures(ctx, tb, o10k)
	}
	code := max(verdicts(outs), mergeCode)
	fmt.Printf("\nbenchmark took %v\n", time.Since(began).Round(time.Second))
	return code
}

// policyFigures times policy compilation and evaluation in-process over the 10,000-endpoint
// run's own report, and attributes that run's memory: the document, then what evaluating it
// and rendering its JSON add.
func policyFigures(ctx context.Context, tb *benchTB, o10k *outcome) {
	data := o10k.lastDoc
	o10k.lastDoc = nil
	if *keep != "" {
		// For reading what the document holds (e.g. jq '.checks[0]'), beside the figures.
		if err := os.WriteFile(*keep, data, 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "bench: -keep: %v\n", err)
		}
	}
	base := liveHeap() - uint64(len(data))
	var doc facts.Document
	if err := json.Unmarshal(data, &doc); err != nil {
		tb.Fatal(err)
	}
	data = nil
	docHeap := liveHeap() - min(base, liveHeap())
	t0 := time.Now()
	eng, err := policies.Load(ctx, policies.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	compile := time.Since(t0)
	evalTimes := map[int]time.Duration{}
	for _, n := range []int{10000, len(doc.Checks)} {
		d := doc
		d.Checks = doc.Checks[:n]
		d.Summary = netprobe.Summarize(d.Checks)
		t1 := time.Now()
		if _, err := eng.Evaluate(ctx, &d); err != nil {
			tb.Fatal(err)
		}
		evalTimes[n] = time.Since(t1)
	}
	fmt.Printf("policy (in-process, built-in set): compile %s; evaluate 10,000 checks %s; evaluate %d checks %s\n",
		ms(compile), ms(evalTimes[10000]), len(doc.Checks), ms(evalTimes[len(doc.Checks)]))
	// Where the 20,000-check run's peak memory goes, measured in this process on the same
	// document: the document itself, then what evaluating it and writing its JSON add.
	b1, evalPeak := heapPeak(func() { eng.Evaluate(ctx, &doc) })
	b2, jsonPeak := heapPeak(func() { reports.Render(io.Discard, "json", &doc) })
	fmt.Printf("memory of the %d-check document (in-process, live heap): the document %s; evaluating the policies adds up to %s; rendering the JSON report adds up to %s\n\n",
		len(doc.Checks), mb(int64(docHeap)), mb(int64(evalPeak)-int64(b1)), mb(int64(jsonPeak)-int64(b2)))
}

// verdicts prints the targets as PASS/FAIL lines and returns the exit code.
func verdicts(outs []*outcome) int {

	failed := 0
	line := func(ok bool, format string, a ...any) {
		verdict := "PASS"
		if !ok {
			verdict = "FAIL"
			failed++
		}
		fmt.Printf("%s %s\n", verdict, fmt.Sprintf(format, a...))
	}
	for _, o := range outs {
		if o.passed != o.checks {
			line(false, "%s: every check passes against the lab (%d/%d)", o.sc.name, o.passed, o.checks)
		}
		if o.sc.wantRatio > 0 {
			line(o.ratio() <= o.sc.wantRatio, "%s: duration %s ≤ %.1f × bound %s (ratio %.2f)", o.sc.name, ms(o.dur), o.sc.wantRatio, ms(o.bound), o.ratio())
		}
		if o.sc.wantWallRatio > 0 {
			line(o.wallRatio() <= o.sc.wantWallRatio, "%s: whole process (exec to exit) %s ≤ %.2f × bound %s (ratio %.2f)", o.sc.name, ms(o.wall), o.sc.wantWallRatio, ms(o.bound), o.wallRatio())
		}
		if o.sc.dnsLoad {
			line(o.dnsTimeouts == 0, "%s: 0 dns/timeout against a lab DNS that answers (%d of %d checks; %d needed a resend)", o.sc.name, o.dnsTimeouts, o.checks, o.dnsResent)
		}
		if o.sc.wantMaxRSS > 0 {
			line(o.rss <= o.sc.wantMaxRSS, "%s: peak RSS %s ≤ %s (policy evaluation included)", o.sc.name, mb(o.rss), mb(o.sc.wantMaxRSS))
		}
		if o.curlRan {
			line(o.wall < o.curlWall && o.curlOK == o.curlN, "%s: faster than curl (whole process %s vs curl %s, %.1f× faster; curl answered %d/%d)",
				o.sc.name, ms(o.wall), ms(o.curlWall), o.curlWall.Seconds()/o.wall.Seconds(), o.curlOK, o.curlN)
		}
	}
	if failed > 0 {
		return 1
	}
	return 0
}

func numCPU() int { return runtime.NumCPU() }

// profileInProcess runs the first 3,000 generated endpoints (6,000 checks) through the
// runner in this process, with the lab, under the CPU profiler: the product's frames are
// those under checks.(*Env).RunTarget, the lab's under internal/lab.
func profileInProcess(ctx context.Context, l *benchLab, path string) int {
	l.setRTT(20 * time.Millisecond)
	var b strings.Builder
	b.WriteString("entries:\n")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, "  - {name: e%05d.bench.lab.test, ports: [443, 80]}\n", i)
	}
	cat, err := catalog.ParseCatalog("profile.yaml", []byte(b.String()), true)
	if err != nil {
		l.tb.Fatal(err)
	}
	targets, _ := catalog.Plan(cat.Entries, catalog.PlanOptions{Edition: catalog.EditionCurrent, Cloud: "public"})
	jobs := make([]netprobe.Job, len(targets))
	for i, t := range targets {
		jobs[i] = netprobe.Job{Target: t}
	}
	env := &netprobe.Env{Resolver: &netprobe.Resolver{Servers: []string{l.dns.Addr}},
		Trust: netprobe.Trust{Machine: l.ca.Pool(), Expected: l.ca.Pool()}, Timeout: 10 * time.Second, UserAgent: "cmpreflight-bench"}
	f, err := os.Create(path)
	if err != nil {
		l.tb.Fatal(err)
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		l.tb.Fatal(err)
	}
	start := time.Now()
	out := (&netprobe.Runner{Env: env, Concurrency: 64}).Run(ctx, jobs)
	pprof.StopCPUProfile()
	s := netprobe.Summarize(out)
	fmt.Printf("%d checks (%d pass) in %v at concurrency 64; profile in %s (go tool pprof -top -cum -focus 'RunTarget' %s)\n",
		s.Total, s.Pass, time.Since(start).Round(time.Millisecond), path, path)
	return 0
}
