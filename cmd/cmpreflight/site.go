package main

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/cmpreflight/cmpreflight/cmlogs"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/probers"
	"github.com/cmpreflight/cmpreflight/site"
)

// siteFlags are the inputs of the site checks (placement, rights, mode).
type siteFlags struct {
	inventory           string
	adminService        string
	adminUser           string
	adminPasswordFile   string
	adminInsecure       bool
	scpServer           string
	siteServer          string
	installAccount      string
	installPasswordFile string
	smbPort             int
	rpcPort             int
	mode                string
	intune              string
}

func (s *siteFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&s.inventory, "inventory", "", "folder with SMS_Site.json, SMS_SystemResourceList.json, SMS_SCI_SysResUse.json exported from the AdminService")
	fs.StringVar(&s.adminService, "adminservice", "", "AdminService base URL (https://PROVIDER/AdminService) to read the hierarchy live")
	fs.StringVar(&s.adminUser, "adminservice-user", "", `AdminService user (DOMAIN\user); password from CMPREFLIGHT_ADMINSERVICE_PASSWORD or --adminservice-password-file`)
	fs.StringVar(&s.adminPasswordFile, "adminservice-password-file", "", "file holding the AdminService password")
	fs.BoolVar(&s.adminInsecure, "adminservice-insecure", false, "do not verify the AdminService certificate (flagged in the report)")
	fs.StringVar(&s.scpServer, "scp-server", "", "FQDN of the server that will host the role (default: this machine)")
	fs.StringVar(&s.siteServer, "site-server", "", "FQDN of the site server (default: the target site's server)")
	fs.StringVar(&s.installAccount, "install-account", "", `site system installation account (DOMAIN\user); password from CMPREFLIGHT_INSTALL_PASSWORD or --install-password-file`)
	fs.StringVar(&s.installPasswordFile, "install-password-file", "", "file holding the installation account's password")
	fs.IntVar(&s.smbPort, "smb-port", 445, "SMB port of the SCP server")
	fs.IntVar(&s.rpcPort, "rpc-port", 135, "RPC endpoint mapper port of the SCP server")
	fs.StringVar(&s.mode, "mode", "", "wanted mode of the role: online, offline (default: read from the existing role)")
	fs.StringVar(&s.intune, "intune-subscription", "", "whether the hierarchy has an Intune subscription: true, false")
}

func (s *siteFlags) present() bool { return s.inventory != "" || s.adminService != "" }

// gatherSite reads the hierarchy (saved exports or AdminService), derives placement facts and,
// for a remote SCP server, checks the installation account's rights over SMB.
func gatherSite(ctx context.Context, f *runFlags, doc *facts.Document, env *probers.Env) error {
	s := &f.site
	if s.mode != "" && s.mode != "online" && s.mode != "offline" {
		return usagef("--mode %q: want online or offline", s.mode)
	}
	var intune *bool
	switch strings.ToLower(s.intune) {
	case "":
	case "true", "yes", "1":
		v := true
		intune = &v
	case "false", "no", "0":
		v := false
		intune = &v
	default:
		return usagef("--intune-subscription %q: want true or false", s.intune)
	}
	if !s.present() {
		return usagef("the site checks need --inventory DIR or --adminservice URL")
	}
	var inv *site.Inventory
	var err error
	source := "inventory"
	if s.inventory != "" {
		if inv, err = site.LoadInventory(s.inventory); err != nil {
			return usagef("--inventory: %v", err)
		}
	} else {
		source = "adminservice"
		pw, err := readSecret("adminservice-password-file", s.adminPasswordFile, "CMPREFLIGHT_ADMINSERVICE_PASSWORD")
		if err != nil {
			return err
		}
		client := site.NewClient(site.ClientOptions{RootCAs: env.Trust.Machine, Insecure: s.adminInsecure, Timeout: f.timeout})
		actx, cancel := context.WithTimeout(ctx, 4*f.timeout)
		inv, err = site.FetchInventory(actx, s.adminService, client, site.Auth{User: s.adminUser, Password: pw})
		cancel()
		if err != nil {
			return usagef("--adminservice: %v", err)
		}
	}
	scp := s.scpServer
	if scp == "" {
		scp = doc.Machine.Hostname
	}
	sf, siteChecks := site.Analyze(inv, site.Options{SCPServer: scp, SiteServer: s.siteServer, Mode: s.mode, IntuneSubscription: intune})
	sf.Source = source
	sf.Insecure = sf.Insecure || (source == "adminservice" && s.adminInsecure)
	// The rights checks run from the site server against a remote SCP host; for a role local
	// to the site server they are reported as skipped, with the reason.
	pw, err := readSecret("install-password-file", s.installPasswordFile, "CMPREFLIGHT_INSTALL_PASSWORD")
	if err != nil {
		return err
	}
	account := s.installAccount
	if account == "" && pw != "" {
		account = sf.InstallAccount
	}
	siteServer := s.siteServer
	if siteServer == "" && sf.Site != nil {
		siteServer = sf.Site.ServerName
	}
	sf.Rights = site.CheckRights(ctx, site.RightsOptions{
		Host: scp, SMBPort: s.smbPort, RPCPort: s.rpcPort, Account: account, Password: pw,
		Timeout: f.timeout, SiteServer: siteServer, Local: !sf.Remote,
	})
	siteChecks = append(siteChecks, site.RightsChecks(sf.Rights)...)
	doc.Site = sf
	doc.Checks = append(doc.Checks, siteChecks...)
	return nil
}

// gatherLogs analyzes the role's logs given with --cm-logs.
func gatherLogs(f *runFlags, doc *facts.Document, now time.Time) error {
	for _, p := range f.logs {
		if _, err := os.Stat(p); err != nil {
			return usagef("--cm-logs: %v", err)
		}
	}
	res, err := cmlogs.Analyze(f.logs, now)
	if err != nil {
		return usagef("--cm-logs: %v", err)
	}
	doc.LogFindings = res.Findings
	if doc.LogFindings == nil {
		doc.LogFindings = []facts.LogFinding{}
	}
	return nil
}
