package preflight

import (
	"fmt"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/checks/netprobe"
	"github.com/cmpreflight/cmpreflight/checks/proxyconf"
	"github.com/cmpreflight/cmpreflight/internal/inputfile"
	"github.com/cmpreflight/cmpreflight/internal/outfile"
	"github.com/cmpreflight/cmpreflight/reports"
)

// Options are the inputs of one run, one field per flag of `cmpreflight run` (the flag's long
// name is the config key). Errors about them name the flag.
type Options struct {
	// Profiles is --profile as given (repeated or comma-separated names, or auto); Templates
	// are the values of templated entries by flag name (cmg-name, cmg-region, ...).
	Profiles      []string
	Templates     map[string]string
	Edition       string
	Cloud         string
	TenantID      string
	Endpoints     []string
	EndpointsOnly bool
	// Families is --checks: network, site, logs (empty: every family whose inputs are present).
	Families []string

	Proxy             string
	ProxyFromCLI      bool // --proxy came from the command line, not the config file
	ProxyAuth         string
	ProxyUser         string
	ProxyPasswordFile string
	NoProxy           []string
	CompareDirect     bool
	CheckIdle         bool
	IdleWait          time.Duration

	DNSServers    []string
	CAFiles       []string
	ExpectedRoots string
	Timeout       time.Duration
	RunTimeout    time.Duration
	Concurrency   int

	PolicyPaths  []string
	DataFiles    []string
	Waivers      []string
	DisableRules []string
	Previous     string

	Outputs []string // FORMAT=PATH
	FailOn  string
	Verbose bool // the terminal summary lists every check and finding
	Quiet   bool
	LogFile string
	// MachineName is --machine-name, the key of report merge (default: the host name).
	MachineName string

	Site SiteOptions
	Logs []string // --cm-logs

	// WinINET reads Local System's WinINET proxy for the management point's rule (nil: this
	// machine's registry; tests inject one).
	WinINET proxyconf.WinINETReader

	// Version is the tool's version, recorded in the report and the probes' User-Agent.
	Version string
	// Now is the run's clock for waivers and log ages (CMPREFLIGHT_NOW in tests).
	Now time.Time
	// Stdout receives the text summary (unless Quiet); Stderr the progress.
	Stdout, Stderr io.Writer
	// BeforeOutputs, when set, is called once the verdict is known, before the summary and
	// the outputs are written: from then on nothing is left to finish, and the command ends
	// at the next interrupt.
	BeforeOutputs func()
}

// SiteOptions are the inputs of the site checks (placement, rights, mode).
type SiteOptions struct {
	Inventory           string
	AdminService        string
	AdminUser           string
	AdminPasswordFile   string
	AdminInsecure       bool
	SCPServer           string
	SiteServer          string
	InstallAccount      string
	InstallPasswordFile string
	SMBPort             int
	RPCPort             int
	Mode                string
	Intune              string
}

// Present reports whether the site checks have their input (exports or a live AdminService).
func (s *SiteOptions) Present() bool { return s.Inventory != "" || s.AdminService != "" }

var tenantRe = regexp.MustCompile(`^[A-Za-z0-9.-]*$`)

// Validate finds every bad flag value before anything runs; its errors name the flag.
func (o *Options) Validate() error {
	if err := o.validateScope(); err != nil {
		return err
	}
	if err := o.validateRun(); err != nil {
		return err
	}
	for _, s := range o.DNSServers {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return fmt.Errorf("--dns-server %q: want HOST:PORT", s)
		}
	}
	if err := CheckOutputs(o.Outputs, reports.ParseOutputSpec); err != nil {
		return err
	}
	if o.Previous != "" {
		// Read after the probes; a FIFO or a missing file is found before them.
		f, err := inputfile.Open(o.Previous)
		if err != nil {
			return fmt.Errorf("--previous: %v", err)
		}
		f.Close()
	}
	if o.Proxy != "" {
		// Refuse a password in --proxy before anything runs.
		if _, err := proxyconf.FlagURL(o.Proxy); err != nil {
			return err
		}
	}
	return nil
}

// validateScope checks what is planned: edition, cloud, tenant, families.
func (o *Options) validateScope() error {
	if !slices.Contains([]string{catalog.EditionCurrent, catalog.EditionSeed, catalog.EditionAll}, o.Edition) {
		return fmt.Errorf("--edition %q: want current, seed or all", o.Edition)
	}
	if o.Cloud != "public" && o.Cloud != "usgov" {
		return fmt.Errorf("--cloud %q: want public or usgov", o.Cloud)
	}
	if _, err := o.ProfileNames(); err != nil {
		return err
	}
	if _, err := catalog.NewTemplateValues(o.Templates); err != nil {
		return err
	}
	if !tenantRe.MatchString(o.TenantID) {
		return fmt.Errorf("--tenant-id %q: want a tenant GUID or domain (letters, digits, dots, dashes)", o.TenantID)
	}
	for _, fam := range o.Families {
		if fam != "network" && fam != "site" && fam != "logs" {
			return fmt.Errorf("--checks %q: families are network, site, logs", fam)
		}
	}
	return nil
}

// validateRun checks how it runs: authentication, verdict threshold, limits, waivers.
func (o *Options) validateRun() error {
	if !slices.Contains([]string{netprobe.AuthNone, netprobe.AuthBasic, netprobe.AuthNTLM, netprobe.AuthNegotiate, netprobe.AuthKerberos, netprobe.AuthAuto}, o.ProxyAuth) {
		return fmt.Errorf("--proxy-auth %q: want none, basic, ntlm, negotiate, kerberos or auto", o.ProxyAuth)
	}
	if o.FailOn != "deny" && o.FailOn != "warn" {
		return fmt.Errorf("--fail-on %q: want deny or warn", o.FailOn)
	}
	if o.Concurrency < 1 || o.Concurrency > 4096 {
		return fmt.Errorf("--concurrency %d: want 1 to 4096", o.Concurrency)
	}
	if o.Timeout <= 0 {
		return fmt.Errorf("--timeout %v: want a positive duration", o.Timeout)
	}
	if o.RunTimeout <= 0 {
		return fmt.Errorf("--run-timeout %v: want a positive duration", o.RunTimeout)
	}
	if len(o.Waivers) > 1 {
		return fmt.Errorf("--waivers: give one file")
	}
	return o.Site.needFacts()
}

// needFacts refuses site flags given without the site facts they act on: the run would be
// silently compliant without checking them.
func (s *SiteOptions) needFacts() error {
	if s.Present() {
		return nil
	}
	var set []string
	for _, f := range []struct {
		name string
		on   bool
	}{
		{"--scp-server", s.SCPServer != ""}, {"--site-server", s.SiteServer != ""},
		{"--install-account", s.InstallAccount != ""}, {"--install-password-file", s.InstallPasswordFile != ""},
		{"--smb-port", s.SMBPort != 0 && s.SMBPort != 445}, {"--rpc-port", s.RPCPort != 0 && s.RPCPort != 135},
		{"--mode", s.Mode != ""}, {"--intune-subscription", s.Intune != ""},
	} {
		if f.on {
			set = append(set, f.name)
		}
	}
	if len(set) == 0 {
		return nil
	}
	return fmt.Errorf("%s: the site checks need the site facts too: add --inventory DIR (AdminService exports) or --adminservice URL", strings.Join(set, ", "))
}

// family reports whether a check family runs: named in --checks, or, by default, when its
// inputs are present.
func (o *Options) family(name string, inputsPresent bool) bool {
	if len(o.Families) == 0 {
		return inputsPresent
	}
	return slices.Contains(o.Families, name)
}

// ProfileNames parses --profile; "auto" stays in the list for the run to resolve from the
// target server's roles.
func (o *Options) ProfileNames() ([]string, error) {
	if len(o.Profiles) == 0 {
		return []string{"scp"}, nil
	}
	n, err := catalog.ParseProfileArgs(o.Profiles)
	if err != nil {
		return nil, fmt.Errorf("--profile: %v", err)
	}
	return n, nil
}

// LoadCatalog reads the profiles names (auto already resolved) unless --endpoints-only, the
// --endpoints files, and fills the templates from their flags; errors name the flag.
func (o *Options) LoadCatalog(names []string) (*catalog.Loaded, error) {
	if slices.Contains(names, catalog.ProfileAuto) {
		return nil, fmt.Errorf("--profile auto: the target server's roles come from --inventory or --adminservice")
	}
	vals, err := catalog.NewTemplateValues(o.Templates)
	if err != nil {
		return nil, err
	}
	return catalog.Load(catalog.LoadOptions{Profiles: names, EndpointFiles: o.Endpoints, EndpointsOnly: o.EndpointsOnly, Values: vals, Cloud: o.Cloud})
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// CheckOutputs finds, before anything runs (not after minutes of probing), every --output
// that could not be written: a bad FORMAT=PATH, a missing folder, a folder, a disk device,
// and two outputs on standard output when it is kept (a file or a pipe).
func CheckOutputs(outs []string, parse func(string) (string, string, error)) error {
	toStdout := ""
	for _, out := range outs {
		_, path, err := parse(out)
		if err != nil {
			return err
		}
		if err := outfile.Check(path); err != nil {
			return fmt.Errorf("--output %q: %v", out, err)
		}
		if outfile.IsStdout(path) {
			// Two reports on a terminal or /dev/null spoil nothing; in a file or a pipe they do.
			if toStdout != "" && outfile.StdoutKept() {
				return fmt.Errorf("--output %q and --output %q both write to standard output: give one of them a file", toStdout, out)
			}
			toStdout = out
		}
	}
	return nil
}
