// Package preflight is one run of the product, stage by stage: inputs, policies compiled in
// the background, site and log facts, the network checks, the facts document, the verdict and
// the reports. Run reads as the product's table of contents.
package preflight

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/checks/netprobe"
	"github.com/cmpreflight/cmpreflight/checks/origin"
	"github.com/cmpreflight/cmpreflight/checks/trust"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/machinename"
	"github.com/cmpreflight/cmpreflight/internal/outfile"
	"github.com/cmpreflight/cmpreflight/policies"
	"github.com/cmpreflight/cmpreflight/reports"
)

// Run checks this machine as o says and returns the facts document with its verdict, after
// writing the reports. An error means the run could not be made (a bad input: the message
// names the flag or file); an interrupted run returns its document marked Interrupted.
func Run(ctx context.Context, o Options) (*facts.Document, error) {
	// 1. Inputs: everything that can be wrong with them is found before the first probe
	// (under --profile auto the profiles follow from the site facts, read first).
	names, err := o.ProfileNames()
	if err != nil {
		return nil, err
	}
	auto := slices.Contains(names, catalog.ProfileAuto)
	var loaded *catalog.Loaded
	if auto && !o.Site.Present() {
		return nil, fmt.Errorf("--profile auto: the target server's roles come from --inventory or --adminservice; give one, or name the profiles")
	}
	if !auto {
		if loaded, err = o.LoadCatalog(names); err != nil {
			return nil, err
		}
	}
	prep := &preparations{}
	env, machineTrust, err := buildEnv(&o, prep)
	if err != nil {
		return nil, err
	}
	host, err := machine(o.MachineName)
	if err != nil {
		return nil, err
	}
	logger, err := openLog(o.LogFile)
	if err != nil {
		return nil, err
	}
	defer logger.Close()

	// 2. Policies compile while the probes wait on the network; a bad policy stops the run.
	// They, the block-page signatures and the machine's trust are the run's preparations:
	// they start once the first wave of checks is on the wire (at once without checks).
	ctx, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)
	pol := compilePolicies(&o, stopRun, prep)
	prep.add(func() { origin.Builtin() })
	prep.add(func() { afterCompile(ctx, pol, machineTrust) })
	ctx, cancel := context.WithTimeout(ctx, o.RunTimeout)
	defer cancel()
	start := time.Now()
	doc := newDocument(&o, host, start)

	// 3. Site and log facts, read at once. The site facts come before the network checks:
	// the proxy ConfigMgr configured for the server is a proxy source.
	if err := gatherFacts(ctx, &o, doc, env, prep.start); err != nil {
		return nil, pol.failedOr(err)
	}
	why := map[string]string{}
	if auto {
		if names, why, err = resolveAuto(names, doc.Site); err == nil {
			loaded, err = o.LoadCatalog(names)
		}
		if err != nil {
			return nil, pol.failedOr(err)
		}
		for _, n := range names {
			if why[n] != "" {
				doc.Notes = append(doc.Notes, fmt.Sprintf("--profile auto chose %s: %s", n, why[n]))
			}
		}
		if !o.Quiet && o.Stderr != nil {
			fmt.Fprintf(o.Stderr, "--profile auto: %s\n", strings.Join(autoLines(names, why), "; "))
		}
	}
	doc.Profile, doc.Profiles = strings.Join(names, ","), loaded.Infos(why)

	// 4. Network checks: proxy selection, plan, probes, idle tunnel, trust analysis.
	if o.family("network", true) {
		doc.Families = append(doc.Families, "network")
		if err := checkNetwork(ctx, &o, doc, env, machineTrust, prep.start, loaded, logger); err != nil {
			return nil, pol.failedOr(err)
		}
	}

	// 5. The facts document: interruption, previous run, summary.
	engine, err := pol.wait()
	if err != nil {
		return nil, err
	}
	if err := finishFacts(ctx, &o, doc, start); err != nil {
		return nil, err
	}

	// 6. The verdict: only policies decide, within the run's deadline and memory.
	if err := evaluate(ctx, engine, doc); err != nil {
		return nil, err
	}
	doc.Evaluation = evaluation("run", o.Version, time.Now(), engine, o.PolicyPaths, o.DataFiles, o.Waivers, o.DisableRules, o.FailOn)
	logger.verdict(doc.Verdict)

	// 7. Reports: the summary on the terminal, then every --output, each tried and each
	// whole or absent; an output or a log that could not be written (a full disk, a removed
	// folder) fails the run after them, every one named.
	return doc, errors.Join(writeReports(&o, doc), logger.Close())
}

// afterCompile is the work that would otherwise follow the checks, done once the policies are
// compiled: OPA's first evaluation (which pays for code and caches no later one does) and
// the whole machine store for the root analysis (a check parses only the roots its chain can
// use).
func afterCompile(ctx context.Context, pol *policyBuild, machineTrust func() trust.Machine) {
	if engine, err := pol.wait(); err == nil {
		engine.Warm(ctx)
	}
	machineTrust().Store.Roots()
}

// policyBuild is the policy compilation running beside the checks.
type policyBuild struct {
	start  func() // starts the preparations, the compilation among them
	done   chan struct{}
	engine *policies.Engine
	err    error
}

// compilePolicies starts compiling the built-in and user policies, waivers and data; when it
// fails it stops the run, whose error is then the policy's.
func compilePolicies(o *Options, stopRun context.CancelCauseFunc, prep *preparations) *policyBuild {
	b := &policyBuild{done: make(chan struct{}), start: prep.start}
	prep.add(func() {
		defer close(b.done)
		b.engine, b.err = policies.Load(context.Background(), policies.Options{
			Paths: o.PolicyPaths, DataFiles: o.DataFiles, Disabled: o.DisableRules, WaiversFile: first(o.Waivers), Now: o.Now,
		})
		if b.err != nil {
			stopRun(b.err)
		}
	})
	return b
}

func (b *policyBuild) wait() (*policies.Engine, error) {
	b.start()
	<-b.done
	return b.engine, b.err
}

// failedOr returns the policy error when the compilation failed (a stage stopped by it fails
// because of it), else err.
func (b *policyBuild) failedOr(err error) error {
	select {
	case <-b.done:
		if b.err != nil {
			return b.err
		}
	default:
	}
	return err
}

func newDocument(o *Options, host facts.Machine, start time.Time) *facts.Document {
	return &facts.Document{
		SchemaVersion: facts.SchemaVersion,
		Tool:          facts.Tool{Name: "cmpreflight", Version: o.Version},
		StartedAt:     start.UTC(),
		Machine:       host,
		Edition:       o.Edition,
		Cloud:         o.Cloud,
		Families:      []string{},
		Checks:        []facts.Check{},
		Options: facts.Options{
			Concurrency: o.Concurrency, TimeoutMs: o.Timeout.Milliseconds(), DNSServers: o.DNSServers,
			CAFiles: o.CAFiles, ExpectedRoots: o.ExpectedRoots, EndpointFiles: o.Endpoints,
			EndpointsOnly: o.EndpointsOnly, TenantID: o.TenantID, Policies: o.PolicyPaths,
			Waivers: first(o.Waivers), FailOn: o.FailOn, CompareDirect: o.CompareDirect, DisabledRules: o.DisableRules,
		},
	}
}

// gatherFacts reads the site facts (exports or AdminService, then the rights over SMB) and
// the role's logs concurrently; neither waits on the other.
func gatherFacts(ctx context.Context, o *Options, doc *facts.Document, env *netprobe.Env, startPreparations func()) error {
	siteOn, logsOn := o.family("site", o.Site.Present()), o.family("logs", len(o.Logs) > 0)
	var wg sync.WaitGroup
	var siteErr, logsErr error
	var siteChecks []facts.Check
	if siteOn {
		// The site facts wait on the network for seconds: the preparations start now, and a
		// bad policy stops the run before any endpoint is probed.
		startPreparations()
		doc.Families = append(doc.Families, "site")
		wg.Go(func() { doc.Site, siteChecks, siteErr = gatherSite(ctx, o, doc.Machine.Hostname, env) })
	}
	if logsOn {
		doc.Families = append(doc.Families, "logs")
		wg.Go(func() { doc.LogFindings, logsErr = gatherLogs(o) })
	}
	wg.Wait()
	if err := errors.Join(siteErr, logsErr); err != nil {
		return err
	}
	doc.Checks = append(doc.Checks, siteChecks...)
	return nil
}

// checkNetwork chooses the proxy, plans the targets and probes them, then holds the idle
// tunnel and reads the trust section out of the results.
func checkNetwork(ctx context.Context, o *Options, doc *facts.Document, env *netprobe.Env, machineTrust func() trust.Machine, started func(), loaded *catalog.Loaded, logger *runLog) error {
	entries := loaded.Entries
	roles, err := chooseRoleProxies(o, doc.Site, loaded)
	if err != nil {
		return err
	}
	primary := roles[0]
	doc.Proxy, env.ProxyFor = primary.facts, primary.proxyFor
	for _, r := range roles {
		doc.RoleProxies = append(doc.RoleProxies, *r.facts)
	}
	targets, notes := catalog.Plan(entries, catalog.PlanOptions{Edition: o.Edition, Cloud: o.Cloud, TenantID: o.TenantID})
	doc.Notes = append(doc.Notes, notes...)
	doc.Notes = append(doc.Notes, loaded.Notes()...)
	doc.Catalog = catalog.EntrySources(entries, o.Edition, o.Cloud, loaded.Unfilled...)
	for _, tg := range targets {
		env.CatalogHosts = append(env.CatalogHosts, tg.Host)
	}
	jobs := planJobs(routeByRole(targets, roles), o.CompareDirect, env)
	prog := newProgress(o.Stderr, len(jobs), o.Quiet)
	var mu sync.Mutex
	r := &netprobe.Runner{Env: env, Concurrency: o.Concurrency, OnStarted: started, OnDone: func(c facts.Check) {
		prog.Done(c)
		mu.Lock()
		logger.check(c)
		mu.Unlock()
	}}
	netChecks := r.Run(ctx, jobs)
	prog.Finish()
	doc.Checks = append(doc.Checks, netChecks...)
	for _, u := range loaded.Unfilled {
		if c := u.Check(o.Edition); c.Required {
			// A required name nobody could check is a skipped check (and a warning from
			// the policies); an optional one is a note and a catalog line.
			doc.Checks = append(doc.Checks, c)
		}
	}
	if o.CheckIdle && ctx.Err() == nil {
		doc.Checks = append(doc.Checks, idleCheck(ctx, o, env, doc.Checks))
	}
	doc.Trust = trust.Analyze(doc, entries, machineTrust().Store)
	return nil
}

// resolveAuto replaces "auto" by the profiles whose roles the target server holds, keeping
// the profiles named beside it; why says, per profile, which role chose it.
func resolveAuto(names []string, sf *facts.SiteFacts) ([]string, map[string]string, error) {
	if sf == nil {
		return nil, nil, fmt.Errorf("--profile auto: the site facts were not read (--checks without site?)")
	}
	choices, err := catalog.ResolveAuto(sf.SCPServer, sf.TargetRoles)
	if err != nil {
		return nil, nil, err
	}
	if len(choices) == 0 {
		return nil, nil, fmt.Errorf("--profile auto: the inventory gives %s no role a profile checks (roles: %s); name the profiles with --profile", sf.SCPServer, strings.Join(sf.TargetRoles, ", "))
	}
	var out []string
	why := map[string]string{}
	for _, n := range names {
		if n == catalog.ProfileAuto {
			for _, c := range choices {
				if !slices.Contains(out, c.Profile) {
					out = append(out, c.Profile)
					why[c.Profile] = c.Why
				}
			}
		} else if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, why, nil
}

func autoLines(names []string, why map[string]string) []string {
	var out []string
	for _, n := range names {
		if why[n] != "" {
			out = append(out, n+" ("+why[n]+")")
		} else {
			out = append(out, n+" (named)")
		}
	}
	return out
}

// finishFacts marks an interrupted run, records the previous run's mode and counts.
func finishFacts(ctx context.Context, o *Options, doc *facts.Document, start time.Time) error {
	doc.Interrupted = ctx.Err() != nil
	if doc.Interrupted {
		doc.Notes = append(doc.Notes, "the run was interrupted or hit --run-timeout; unfinished checks are marked error/interrupted")
	}
	if o.Previous != "" {
		prev, err := reports.ReadJSON(o.Previous)
		if err != nil {
			return fmt.Errorf("--previous: %v", err)
		}
		doc.Previous = &facts.PreviousRun{Path: o.Previous}
		if prev.Site != nil {
			doc.Previous.Mode = prev.Site.Mode
		}
	}
	doc.Summary = netprobe.Summarize(doc.Checks)
	doc.DurationMs = time.Since(start).Milliseconds()
	return nil
}

// writeReports prints the summary (unless an --output goes to standard output, which is
// then the report's alone) and writes every --output, trying each one even when another
// failed: what could be written is kept, and every failure is named.
func writeReports(o *Options, doc *facts.Document) error {
	if o.BeforeOutputs != nil {
		o.BeforeOutputs()
	}
	var errs []error
	toStdout := false
	for _, out := range o.Outputs {
		_, path, _ := reports.ParseOutputSpec(out)
		toStdout = toStdout || outfile.IsStdout(path)
	}
	if !o.Quiet && !toStdout && o.Stdout != nil {
		if err := reports.RenderSummary(o.Stdout, doc, o.Verbose); err != nil {
			errs = append(errs, err)
		}
	}
	for _, out := range o.Outputs {
		format, path, _ := reports.ParseOutputSpec(out)
		if err := reports.WriteFile(path, format, doc); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ExitCode is the one place the verdict becomes an exit code: 1 on a deny (or a warn under
// --fail-on warn), else 0.
func ExitCode(v *facts.Verdict, failOn string) int {
	if v.Fails(failOn) {
		return 1
	}
	return 0
}

// machine names this machine: --machine-name or the system's name, and its host name.
func machine(nameFlag string) (facts.Machine, error) {
	name, err := machinename.Resolve(nameFlag, machinename.System)
	if err != nil {
		return facts.Machine{}, err
	}
	h, _ := os.Hostname()
	return facts.Machine{Name: name, Hostname: fqdn(h), OS: runtime.GOOS, Arch: runtime.GOARCH}, nil
}
