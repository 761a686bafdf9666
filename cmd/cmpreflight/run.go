package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/config"
	"github.com/cmpreflight/cmpreflight/internal/machinename"
	"github.com/cmpreflight/cmpreflight/policies"
	"github.com/cmpreflight/cmpreflight/probers"
	"github.com/cmpreflight/cmpreflight/reports"
)

// runFlags are the flags of `cmpreflight run`; each is also a config key.
type runFlags struct {
	configFile    string
	profile       string
	edition       string
	cloud         string
	tenantID      string
	endpoints     []string
	endpointsOnly bool
	checkFamilies []string

	proxy             string
	proxyAuth         string
	proxyUser         string
	proxyPasswordFile string
	noProxy           []string
	compareDirect     bool
	checkIdle         bool
	idleWait          time.Duration

	dnsServers    []string
	caFiles       []string
	expectedRoots string
	timeout       time.Duration
	runTimeout    time.Duration
	concurrency   int

	policyPaths []string
	dataFiles   []string
	waivers     []string
	disable     []string
	previous    string

	outputs     []string
	failOn      string
	quiet       bool
	logFile     string
	machineName string

	site siteFlags
	logs []string

	// proxyFromCLI is true when --proxy came from the command line, not the config file.
	proxyFromCLI bool
}

func (f *runFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.configFile, "config", "", "YAML config file; keys are the long flag names")
	fs.StringVar(&f.profile, "profile", "scp", "endpoint profile: "+strings.Join(catalog.Profiles(), ", "))
	fs.StringVar(&f.edition, "edition", catalog.EditionCurrent, "which edition of Microsoft's list is required: current, seed, all")
	fs.StringVar(&f.cloud, "cloud", "public", "cloud variant: public, usgov")
	fs.StringVar(&f.tenantID, "tenant-id", "", "Entra tenant id for {TenantID} URLs (default: the common tenant)")
	fs.StringArrayVar(&f.endpoints, "endpoints", nil, "extra endpoint catalog file (YAML; repeatable)")
	fs.BoolVar(&f.endpointsOnly, "endpoints-only", false, "check only the --endpoints files, not the profile's catalog")
	fs.StringSliceVar(&f.checkFamilies, "checks", nil, "check families to run: network, site, logs (default: every family whose inputs are present)")

	fs.StringVar(&f.proxy, "proxy", "", "proxy URL (http://host:port); no password in it")
	fs.StringVar(&f.proxyAuth, "proxy-auth", probers.AuthAuto, "proxy authentication: none, basic, ntlm, negotiate, auto")
	fs.StringVar(&f.proxyUser, "proxy-user", "", `proxy user (DOMAIN\user or user@domain); password from CMPREFLIGHT_PROXY_PASSWORD or --proxy-password-file`)
	fs.StringVar(&f.proxyPasswordFile, "proxy-password-file", "", "file holding the proxy password")
	fs.StringArrayVar(&f.noProxy, "no-proxy", nil, "host or *.domain to reach directly (repeatable)")
	fs.BoolVar(&f.compareDirect, "compare-direct", false, "probe every target both directly and through the proxy")
	fs.BoolVar(&f.checkIdle, "check-idle-timeout", false, "hold a tunnel idle for 3 minutes plus a margin and report whether the proxy closed it")
	fs.DurationVar(&f.idleWait, "idle-wait", 3*time.Minute+15*time.Second, "how long --check-idle-timeout holds the tunnel idle")

	fs.StringArrayVar(&f.dnsServers, "dns-server", nil, "DNS server HOST:PORT to ask (repeatable; default: the machine's)")
	fs.StringArrayVar(&f.caFiles, "ca-file", nil, "extra trusted roots, PEM (repeatable)")
	fs.StringVar(&f.expectedRoots, "expected-roots", "", "roots genuine endpoints chain to, PEM (default: the bundled public web PKI roots)")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "deadline of one check")
	fs.DurationVar(&f.runTimeout, "run-timeout", 15*time.Minute, "deadline of the whole run")
	fs.IntVar(&f.concurrency, "concurrency", 32, "checks run at once")

	fs.StringArrayVar(&f.policyPaths, "policy", nil, "Rego policy file or directory (repeatable)")
	fs.StringArrayVar(&f.dataFiles, "data", nil, "JSON or YAML data for policies, mounted at data.extra (repeatable)")
	fs.StringArrayVar(&f.waivers, "waivers", nil, "waivers file (YAML)")
	fs.StringArrayVar(&f.disable, "disable-rule", nil, "built-in rule id to turn off (repeatable)")
	fs.StringVar(&f.previous, "previous", "", "previous JSON report, to compare the mode with")

	fs.StringArrayVar(&f.outputs, "output", nil, "write a report: FORMAT=PATH, FORMAT one of "+strings.Join(reports.Formats(), ", ")+" (repeatable)")
	fs.StringVar(&f.failOn, "fail-on", "deny", "exit 1 on: deny, warn")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "print nothing but errors")
	fs.StringVar(&f.logFile, "log-file", "", "write the tool's own log in CMTrace format")
	fs.StringVar(&f.machineName, "machine-name", "", "name recorded for this machine, the key of report merge (default: the host name, the FQDN on Windows)")

	f.site.register(fs)
	fs.StringArrayVar(&f.logs, "cm-logs", nil, "folder or file of the role's logs to analyze (repeatable)")
}

func (f *runFlags) validate() error {
	if !slices.Contains([]string{catalog.EditionCurrent, catalog.EditionSeed, catalog.EditionAll}, f.edition) {
		return usagef("--edition %q: want current, seed or all", f.edition)
	}
	if f.cloud != "public" && f.cloud != "usgov" {
		return usagef("--cloud %q: want public or usgov", f.cloud)
	}
	if !slices.Contains([]string{probers.AuthNone, probers.AuthBasic, probers.AuthNTLM, probers.AuthNegotiate, probers.AuthAuto}, f.proxyAuth) {
		return usagef("--proxy-auth %q: want none, basic, ntlm, negotiate or auto", f.proxyAuth)
	}
	if f.failOn != "deny" && f.failOn != "warn" {
		return usagef("--fail-on %q: want deny or warn", f.failOn)
	}
	if f.concurrency < 1 || f.concurrency > 4096 {
		return usagef("--concurrency %d: want 1 to 4096", f.concurrency)
	}
	if f.timeout <= 0 {
		return usagef("--timeout %v: want a positive duration", f.timeout)
	}
	if f.runTimeout <= 0 {
		return usagef("--run-timeout %v: want a positive duration", f.runTimeout)
	}
	if !tenantRe.MatchString(f.tenantID) {
		return usagef("--tenant-id %q: want a tenant GUID or domain (letters, digits, dots, dashes)", f.tenantID)
	}
	if len(f.waivers) > 1 {
		return usagef("--waivers: give one file")
	}
	for _, fam := range f.checkFamilies {
		if fam != "network" && fam != "site" && fam != "logs" {
			return usagef("--checks %q: families are network, site, logs", fam)
		}
	}
	for _, s := range f.dnsServers {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return usagef("--dns-server %q: want HOST:PORT", s)
		}
	}
	for _, o := range f.outputs {
		_, path, err := reports.ParseOutputSpec(o)
		if err != nil {
			return usagef("%v", err)
		}
		// Found before the run, not after minutes of probing.
		if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
			return usagef("--output %q: the folder %s does not exist", o, filepath.Dir(path))
		}
	}
	return nil
}

// softMemoryLimit is the heap size past which the garbage collector works harder.
const softMemoryLimit = 150 << 20

var tenantRe = regexp.MustCompile(`^[A-Za-z0-9.-]*$`)

// family reports whether a check family runs: named in --checks, or, by default, when its
// inputs are present.
func (f *runFlags) family(name string, inputsPresent bool) bool {
	if len(f.checkFamilies) == 0 {
		return inputsPresent
	}
	return slices.Contains(f.checkFamilies, name)
}

func cmdRun(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("run", stderr)
	var f runFlags
	f.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return exitUsage, err
	}
	if fs.NArg() > 0 {
		return exitUsage, usagef("unexpected argument %q (flags only)", fs.Arg(0))
	}
	f.proxyFromCLI = fs.Changed("proxy")
	if f.configFile != "" {
		if err := config.Apply(fs, f.configFile); err != nil {
			return exitUsage, usagef("%v", err)
		}
	}
	if err := f.validate(); err != nil {
		return exitUsage, err
	}
	host, err := machine(f.machineName)
	if err != nil {
		return exitUsage, err
	}
	now, err := injectedNow()
	if err != nil {
		return exitUsage, err
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		// A soft ceiling: small runs never reach it; a run of tens of thousands of checks
		// collects garbage harder instead of doubling its footprint during policy evaluation.
		debug.SetMemoryLimit(softMemoryLimit)
	}

	// Everything that can be wrong with the inputs is found before the first probe.
	entries, err := loadEntries(&f)
	if err != nil {
		return exitUsage, err
	}
	engine, err := policies.Load(context.Background(), policies.Options{
		Paths: f.policyPaths, DataFiles: f.dataFiles, Disabled: f.disable, WaiversFile: first(f.waivers), Now: now,
	})
	if err != nil {
		return exitUsage, usagef("%v", err)
	}
	registerRuleDocs(f.policyPaths, true)
	env, err := buildEnv(&f)
	if err != nil {
		return exitUsage, err
	}
	if f.proxy != "" {
		// Refuse a password in --proxy before anything runs.
		if _, err := proxyURLFlag(f.proxy); err != nil {
			return exitUsage, err
		}
	}
	logger, err := openLog(f.logFile)
	if err != nil {
		return exitUsage, err
	}
	defer logger.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancelRun := context.WithTimeout(ctx, f.runTimeout)
	defer cancelRun()

	start := time.Now()
	doc := &facts.Document{
		SchemaVersion: facts.SchemaVersion,
		Tool:          facts.Tool{Name: "cmpreflight", Version: version},
		StartedAt:     start.UTC(),
		Machine:       host,
		Profile:       f.profile,
		Edition:       f.edition,
		Cloud:         f.cloud,
		Families:      []string{},
		Checks:        []facts.Check{},
		Options: facts.Options{
			Concurrency: f.concurrency, TimeoutMs: f.timeout.Milliseconds(), DNSServers: f.dnsServers,
			CAFiles: f.caFiles, ExpectedRoots: f.expectedRoots, EndpointFiles: f.endpoints,
			EndpointsOnly: f.endpointsOnly, TenantID: f.tenantID, Policies: f.policyPaths,
			Waivers: first(f.waivers), FailOn: f.failOn, CompareDirect: f.compareDirect, DisabledRules: f.disable,
		},
	}

	// Site facts come first: the proxy ConfigMgr configured for the server is a proxy source.
	if f.family("site", f.site.present()) {
		doc.Families = append(doc.Families, "site")
		if err := gatherSite(ctx, &f, doc, env); err != nil {
			return exitUsage, err
		}
	}
	if f.family("logs", len(f.logs) > 0) {
		doc.Families = append(doc.Families, "logs")
		if err := gatherLogs(&f, doc, now); err != nil {
			return exitUsage, err
		}
	}
	if f.family("network", true) {
		doc.Families = append(doc.Families, "network")
		if doc.Proxy, err = selectProxy(&f, env, doc.Site); err != nil {
			return exitUsage, err
		}
		targets, notes := catalog.Plan(entries, catalog.PlanOptions{Edition: f.edition, Cloud: f.cloud, TenantID: f.tenantID})
		doc.Notes = append(doc.Notes, notes...)
		doc.Catalog = catalog.EntrySources(entries, f.edition, f.cloud)
		jobs := planJobs(targets, f.compareDirect, env)
		prog := newProgress(stderr, len(jobs), f.quiet)
		var mu sync.Mutex
		r := &probers.Runner{Env: env, Concurrency: f.concurrency, OnDone: func(c facts.Check) {
			prog.Done(c)
			mu.Lock()
			logger.check(c)
			mu.Unlock()
		}}
		netChecks := r.Run(ctx, jobs)
		prog.Finish()
		doc.Checks = append(doc.Checks, netChecks...)
		if f.checkIdle && ctx.Err() == nil {
			runIdleCheck(ctx, &f, env, doc)
		}
		doc.Trust = analyzeTrust(doc, entries, env)
	}
	doc.Interrupted = ctx.Err() != nil
	if doc.Interrupted {
		doc.Notes = append(doc.Notes, "the run was interrupted or hit --run-timeout; unfinished checks are marked error/interrupted")
	}
	if f.previous != "" {
		prev, err := reports.ReadJSON(f.previous)
		if err != nil {
			return exitUsage, usagef("--previous: %v", err)
		}
		doc.Previous = &facts.PreviousRun{Path: f.previous}
		if prev.Site != nil {
			doc.Previous.Mode = prev.Site.Mode
		}
	}
	doc.Summary = probers.Summarize(doc.Checks)
	doc.DurationMs = time.Since(start).Milliseconds()

	verdict, err := engine.Evaluate(context.Background(), doc)
	if err != nil {
		return exitUsage, usagef("%v", err)
	}
	doc.Verdict = verdict
	logger.verdict(verdict)

	if !f.quiet {
		if err := reports.Render(stdout, "text", doc); err != nil {
			return exitUsage, err
		}
	}
	for _, o := range f.outputs {
		format, path, _ := reports.ParseOutputSpec(o)
		if err := reports.WriteFile(path, format, doc); err != nil {
			return exitUsage, err
		}
	}
	if doc.Interrupted {
		return exitUsage, errors.New("interrupted: the report was written with the checks that finished")
	}
	return exitCode(verdict, f.failOn), nil
}

// exitCode is the one place the verdict becomes an exit code.
func exitCode(v *facts.Verdict, failOn string) int {
	if !v.Compliant || len(v.Deny) > 0 {
		return exitNotCompliant
	}
	if failOn == "warn" && len(v.Warn) > 0 {
		return exitNotCompliant
	}
	return exitOK
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// injectedNow reads CMPREFLIGHT_NOW (RFC 3339) so waiver and log ages are testable.
func injectedNow() (time.Time, error) {
	v := os.Getenv("CMPREFLIGHT_NOW")
	if v == "" {
		return time.Now(), nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, usagef("CMPREFLIGHT_NOW %q: want RFC 3339 (2026-11-27T10:00:00Z)", v)
	}
	return t, nil
}

func machine(nameFlag string) (facts.Machine, error) {
	name, err := machinename.Resolve(nameFlag, machinename.System)
	if err != nil {
		return facts.Machine{}, usagef("%v", err)
	}
	h, _ := os.Hostname()
	return facts.Machine{Name: name, Hostname: fqdn(h), OS: runtime.GOOS, Arch: runtime.GOARCH}, nil
}

func loadEntries(f *runFlags) ([]catalog.Entry, error) {
	var entries []catalog.Entry
	if !f.endpointsOnly {
		c, err := catalog.LoadProfile(f.profile)
		if err != nil {
			return nil, usagef("--profile: %v", err)
		}
		entries = append(entries, c.Entries...)
	} else if len(f.endpoints) == 0 {
		return nil, usagef("--endpoints-only needs at least one --endpoints file")
	}
	for _, p := range f.endpoints {
		c, err := catalog.LoadEndpointFile(p)
		if err != nil {
			return nil, usagef("--endpoints: %v", err)
		}
		entries = append(entries, c.Entries...)
	}
	return entries, nil
}

func planJobs(targets []catalog.Target, compare bool, env *probers.Env) []probers.Job {
	jobs := make([]probers.Job, 0, len(targets))
	for _, t := range targets {
		if compare && env.ProxyFor != nil {
			// The role goes the way the proxy selection says; the other way is information
			// for the network team, never a requirement.
			direct := t
			scheme := "https"
			if strings.HasPrefix(t.URL, "http://") {
				scheme = "http"
			}
			if env.ProxyFor(t.Host, t.Port, scheme) != nil {
				direct.Required = false
			}
			jobs = append(jobs, probers.Job{Target: direct, Route: facts.RouteDirect}, probers.Job{Target: t, Route: facts.RouteProxy})
			continue
		}
		jobs = append(jobs, probers.Job{Target: t})
	}
	return jobs
}

// proxyURLFlag validates --proxy: a URL with a host, and never a password (argv is visible to
// every user of the machine).
func proxyURLFlag(raw string) (*url.URL, error) {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, usagef("--proxy: not a URL (want http://host:port)")
	}
	if _, set := u.User.Password(); set {
		return nil, usagef("--proxy: a password inside the proxy URL is refused (argv is visible to every user); use CMPREFLIGHT_PROXY_PASSWORD or --proxy-password-file")
	}
	if u.Scheme != "http" {
		return nil, usagef("--proxy: scheme %q is not supported (want http://)", u.Scheme)
	}
	return u, nil
}
