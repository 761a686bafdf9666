package main

import (
	"errors"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/checks/netprobe"
	"github.com/cmpreflight/cmpreflight/internal/config"
	"github.com/cmpreflight/cmpreflight/preflight"
	"github.com/cmpreflight/cmpreflight/reports"
)

// registerRun binds the flags of `cmpreflight run` to the run's options; each flag is also a
// config key.
func registerRun(fs *pflag.FlagSet, f *preflight.Options) (configFile *string, finish func()) {
	configFile = fs.String("config", "", "YAML config file; keys are the long flag names")
	finish = registerProfiles(fs, f)
	fs.StringVar(&f.Edition, "edition", catalog.EditionCurrent, "which edition of Microsoft's list is required: current, seed, all")
	fs.StringVar(&f.Cloud, "cloud", "public", "cloud variant: public, usgov")
	fs.StringVar(&f.TenantID, "tenant-id", "", "Entra tenant id for {TenantID} URLs (default: the common tenant)")
	fs.StringArrayVar(&f.Endpoints, "endpoints", nil, "extra endpoint catalog file (YAML; repeatable)")
	fs.BoolVar(&f.EndpointsOnly, "endpoints-only", false, "check only the --endpoints files, not the profile's catalog")
	fs.StringSliceVar(&f.Families, "checks", nil, "check families to run: network, site, logs (default: every family whose inputs are present)")

	fs.StringVar(&f.Proxy, "proxy", "", "proxy URL (http://host:port); no password in it")
	fs.StringVar(&f.ProxyAuth, "proxy-auth", netprobe.AuthAuto, "proxy authentication: none, basic, ntlm, negotiate, kerberos (Negotiate with Kerberos only), auto")
	fs.StringVar(&f.ProxyUser, "proxy-user", "", `proxy user (DOMAIN\user or user@domain); password from CMPREFLIGHT_PROXY_PASSWORD or --proxy-password-file`)
	fs.StringVar(&f.ProxyPasswordFile, "proxy-password-file", "", "file holding the proxy password")
	fs.StringArrayVar(&f.NoProxy, "no-proxy", nil, "host or *.domain to reach directly (repeatable)")
	fs.BoolVar(&f.CompareDirect, "compare-direct", false, "probe every target both directly and through the proxy")
	fs.BoolVar(&f.CheckIdle, "check-idle-timeout", false, "hold a tunnel idle for 3 minutes plus a margin and report whether the proxy closed it")
	fs.DurationVar(&f.IdleWait, "idle-wait", 3*time.Minute+15*time.Second, "how long --check-idle-timeout holds the tunnel idle")

	fs.StringArrayVar(&f.DNSServers, "dns-server", nil, "DNS server HOST:PORT to ask (repeatable; default: the machine's)")
	fs.StringArrayVar(&f.CAFiles, "ca-file", nil, "extra trusted roots, PEM (repeatable)")
	fs.StringVar(&f.ExpectedRoots, "expected-roots", "", "roots genuine endpoints chain to, PEM (default: the bundled public web PKI roots)")
	fs.DurationVar(&f.Timeout, "timeout", 10*time.Second, "deadline of one check")
	fs.DurationVar(&f.RunTimeout, "run-timeout", 15*time.Minute, "deadline of the whole run")
	fs.IntVar(&f.Concurrency, "concurrency", 32, "checks run at once")

	fs.StringArrayVar(&f.PolicyPaths, "policy", nil, "Rego policy file or directory (repeatable)")
	fs.StringArrayVar(&f.DataFiles, "data", nil, "JSON or YAML data for policies, mounted at data.extra (repeatable)")
	fs.StringArrayVar(&f.Waivers, "waivers", nil, "waivers file (YAML)")
	fs.StringArrayVar(&f.DisableRules, "disable-rule", nil, "built-in rule id to turn off (repeatable)")
	fs.StringVar(&f.Previous, "previous", "", "previous JSON report, to compare the mode with")

	fs.StringArrayVar(&f.Outputs, "output", nil, "write a report: FORMAT=PATH, FORMAT one of "+strings.Join(reports.Formats(), ", ")+" (repeatable)")
	fs.StringVar(&f.FailOn, "fail-on", "deny", "exit 1 on: deny, warn")
	fs.BoolVarP(&f.Quiet, "quiet", "q", false, "print nothing but errors")
	fs.BoolVarP(&f.Verbose, "verbose", "v", false, "list every check and finding on the terminal, not only what did not pass")
	fs.StringVar(&f.LogFile, "log-file", "", "write the tool's own log in CMTrace format")
	fs.StringVar(&f.MachineName, "machine-name", "", "name recorded for this machine, the key of report merge (default: the host name, the FQDN on Windows)")

	registerSite(fs, &f.Site)
	fs.StringArrayVar(&f.Logs, "cm-logs", nil, "folder or file of the role's logs to analyze (repeatable)")
	return configFile, finish
}

func registerSite(fs *pflag.FlagSet, s *preflight.SiteOptions) {
	fs.StringVar(&s.Inventory, "inventory", "", "folder with SMS_Site.json, SMS_SystemResourceList.json, SMS_SCI_SysResUse.json exported from the AdminService")
	fs.StringVar(&s.AdminService, "adminservice", "", "AdminService base URL (https://PROVIDER/AdminService) to read the hierarchy live")
	fs.StringVar(&s.AdminUser, "adminservice-user", "", `AdminService user (DOMAIN\user); password from CMPREFLIGHT_ADMINSERVICE_PASSWORD or --adminservice-password-file`)
	fs.StringVar(&s.AdminPasswordFile, "adminservice-password-file", "", "file holding the AdminService password")
	fs.BoolVar(&s.AdminInsecure, "adminservice-insecure", false, "do not verify the AdminService certificate (flagged in the report)")
	fs.StringVar(&s.SCPServer, "scp-server", "", "FQDN of the server that will host the role (default: this machine)")
	fs.StringVar(&s.SiteServer, "site-server", "", "FQDN of the site server (default: the target site's server)")
	fs.StringVar(&s.InstallAccount, "install-account", "", `site system installation account (DOMAIN\user); password from CMPREFLIGHT_INSTALL_PASSWORD or --install-password-file`)
	fs.StringVar(&s.InstallPasswordFile, "install-password-file", "", "file holding the installation account's password")
	fs.IntVar(&s.SMBPort, "smb-port", 445, "SMB port of the SCP server")
	fs.IntVar(&s.RPCPort, "rpc-port", 135, "RPC endpoint mapper port of the SCP server")
	fs.StringVar(&s.Mode, "mode", "", "wanted mode of the role: online, offline (default: read from the existing role)")
	fs.StringVar(&s.Intune, "intune-subscription", "", "whether the hierarchy has an Intune subscription: true, false")
}

// softMemoryLimit is the heap size past which the garbage collector works harder.
const softMemoryLimit = 150 << 20

// cmdRun turns flags and config into the run's options, runs it, and turns the verdict into
// the exit code.
func cmdRun(args []string, stdout, stderr io.Writer) (int, error) {
	fs := newFlagSet("run", stdout)
	var o preflight.Options
	configFile, finish := registerRun(fs, &o)
	if err := parseFlags(fs, args); err != nil {
		return exitUsage, err
	}
	if fs.NArg() > 0 {
		return exitUsage, usagef("unexpected argument %q (flags only)", fs.Arg(0))
	}
	o.ProxyFromCLI = fs.Changed("proxy")
	if *configFile != "" {
		if err := config.Apply(fs, *configFile); err != nil {
			return exitUsage, usagef("%v", err)
		}
	}
	finish()
	if err := o.Validate(); err != nil {
		return exitUsage, usagef("%v", err)
	}
	now, err := injectedNow()
	if err != nil {
		return exitUsage, err
	}
	o.Now, o.Version, o.Stdout, o.Stderr = now, version, stdout, stderr
	if os.Getenv("GOMEMLIMIT") == "" {
		// A soft ceiling: small runs never reach it; a run of tens of thousands of checks
		// collects garbage harder instead of doubling its footprint during policy evaluation.
		debug.SetMemoryLimit(softMemoryLimit)
	}
	registerRuleDocs(o.PolicyPaths)

	in := watchInterrupts("run", stderr, true)
	defer in.stop()
	in.hint.Store(!o.Quiet)
	o.BeforeOutputs = in.atOnce
	doc, err := preflight.Run(in.ctx, o)
	if err != nil && doc != nil {
		return exitUsage, outputsFailed(err, len(o.Outputs)+boolInt(o.LogFile != ""))
	} else if err != nil {
		return exitUsage, usagef("%v", err)
	}
	if doc.Interrupted {
		return exitUsage, errors.New("interrupted: the report was written with the checks that finished")
	}
	return preflight.ExitCode(doc.Verdict, o.FailOn), nil
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

// outputsFailed words the failure of a command that could not write some of its outputs
// (or its log): each one named, and whether the others were written.
func outputsFailed(err error, outputs int) error {
	lines := strings.Split(err.Error(), "\n")
	switch {
	case len(lines) == 1 && outputs <= 1:
		return usagef("%s", lines[0])
	case len(lines) == 1:
		return usagef("%s (the other outputs were written)", lines[0])
	case len(lines) >= outputs:
		return usagef("%d outputs could not be written:\n  %s", len(lines), strings.Join(lines, "\n  "))
	}
	return usagef("%d outputs could not be written (the others were written):\n  %s", len(lines), strings.Join(lines, "\n  "))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
