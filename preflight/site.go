package preflight

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cmpreflight/cmpreflight/checks/cmlogs"
	"github.com/cmpreflight/cmpreflight/checks/netprobe"
	"github.com/cmpreflight/cmpreflight/checks/site"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/inputfile"
)

// gatherSite reads the hierarchy (saved exports or AdminService), derives placement facts and,
// for a remote SCP server, checks the installation account's rights over SMB.
func gatherSite(ctx context.Context, o *Options, hostname string, env *netprobe.Env) (*facts.SiteFacts, []facts.Check, error) {
	s := &o.Site
	if s.Mode != "" && s.Mode != "online" && s.Mode != "offline" {
		return nil, nil, fmt.Errorf("--mode %q: want online or offline", s.Mode)
	}
	var intune *bool
	switch strings.ToLower(s.Intune) {
	case "":
	case "true", "yes", "1":
		v := true
		intune = &v
	case "false", "no", "0":
		v := false
		intune = &v
	default:
		return nil, nil, fmt.Errorf("--intune-subscription %q: want true or false", s.Intune)
	}
	if !s.Present() {
		return nil, nil, fmt.Errorf("the site checks need --inventory DIR or --adminservice URL")
	}
	var inv *site.Inventory
	var err error
	source := "inventory"
	if s.Inventory != "" {
		if inv, err = site.LoadInventory(s.Inventory); err != nil {
			return nil, nil, fmt.Errorf("--inventory: %v", err)
		}
	} else {
		source = "adminservice"
		pw, err := readSecret("adminservice-password-file", s.AdminPasswordFile, "CMPREFLIGHT_ADMINSERVICE_PASSWORD")
		if err != nil {
			return nil, nil, err
		}
		client := site.NewClient(site.ClientOptions{RootCAs: env.Trust.MachinePool(), Insecure: s.AdminInsecure, Timeout: o.Timeout})
		actx, cancel := context.WithTimeout(ctx, 4*o.Timeout)
		inv, err = site.FetchInventory(actx, s.AdminService, client, site.Auth{User: s.AdminUser, Password: pw})
		cancel()
		if err != nil {
			return nil, nil, fmt.Errorf("--adminservice: %v", err)
		}
	}
	scp := s.SCPServer
	if scp == "" {
		scp = hostname
	}
	sf, siteChecks := site.Analyze(inv, site.Options{SCPServer: scp, SiteServer: s.SiteServer, Mode: s.Mode, IntuneSubscription: intune})
	sf.Source = source
	sf.Insecure = sf.Insecure || (source == "adminservice" && s.AdminInsecure)
	// The rights checks run from the site server against a remote SCP host; for a role local
	// to the site server they are reported as skipped, with the reason.
	pw, err := readSecret("install-password-file", s.InstallPasswordFile, "CMPREFLIGHT_INSTALL_PASSWORD")
	if err != nil {
		return nil, nil, err
	}
	account := s.InstallAccount
	if account == "" && pw != "" {
		account = sf.InstallAccount
	}
	siteServer := s.SiteServer
	if siteServer == "" && sf.Site != nil {
		siteServer = sf.Site.ServerName
	}
	sf.Rights = site.CheckRights(ctx, site.RightsOptions{
		Host: scp, SMBPort: s.SMBPort, RPCPort: s.RPCPort, Account: account, Password: pw,
		Timeout: o.Timeout, SiteServer: siteServer, Local: !sf.Remote,
		Resolve: siteResolver(o, env),
	})
	siteChecks = append(siteChecks, site.RightsChecks(sf.Rights)...)
	return sf, siteChecks, nil
}

// gatherLogs analyzes the role's logs given with --cm-logs.
func gatherLogs(o *Options) ([]facts.LogFinding, error) {
	for _, p := range o.Logs {
		if _, err := os.Stat(p); err != nil {
			return nil, fmt.Errorf("--cm-logs: %v", err)
		}
	}
	res, err := cmlogs.Analyze(o.Logs, o.Now)
	if err != nil {
		return nil, fmt.Errorf("--cm-logs: %v", err)
	}
	if res.Findings == nil {
		return []facts.LogFinding{}, nil
	}
	return res.Findings, nil
}

// readSecret returns a password from a file flag or an environment variable; never argv.
func readSecret(fileFlag, path, envVar string) (string, error) {
	if path != "" {
		b, err := inputfile.Read(path)
		if err != nil {
			return "", fmt.Errorf("--%s: %v", fileFlag, err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	return os.Getenv(envVar), nil
}

// siteResolver makes the rights checks ask the --dns-server servers, as the endpoint checks
// do; without --dns-server the operating system resolves the SCP server's name.
func siteResolver(o *Options, env *netprobe.Env) func(ctx context.Context, host string) ([]string, error) {
	if len(o.DNSServers) == 0 || env == nil || env.Resolver == nil {
		return nil
	}
	return func(ctx context.Context, host string) ([]string, error) {
		ev := env.Resolver.Resolve(ctx, host)
		if ev.Error != "" {
			return nil, errors.New(ev.Error)
		}
		return ev.Addresses, nil
	}
}
