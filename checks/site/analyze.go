package site

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/cmpreflight/cmpreflight/facts"
)

// Modes of the service connection point.
const (
	ModeOnline  = "online"
	ModeOffline = "offline"
)

// Options say which server will host the role and what the run wants.
type Options struct {
	// SCPServer is the server that will host the role (FQDN; a short name matches the first
	// label of an FQDN, case-insensitively).
	SCPServer string
	// SiteServer is the site server the role is installed from; when empty it is the server
	// of the target's site.
	SiteServer string
	// Mode is the wanted mode (online|offline); empty reads it from the existing role.
	Mode string
	// IntuneSubscription is the --intune-subscription fact, nil when unknown.
	IntuneSubscription *bool
}

// SameServer compares server names: FQDNs exactly (case-insensitive), and a short name
// against the first label of the other.
func SameServer(a, b string) bool {
	a = normServer(a)
	b = normServer(b)
	if a == "" || b == "" {
		return false
	}
	if a == b {
		return true
	}
	if net.ParseIP(a) != nil || net.ParseIP(b) != nil {
		return false
	}
	if strings.Contains(a, ".") && strings.Contains(b, ".") {
		return false
	}
	fa, _, _ := strings.Cut(a, ".")
	fb, _, _ := strings.Cut(b, ".")
	return fa == fb
}

func normServer(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimLeft(s, `\`)
	if i := strings.IndexByte(s, '\\'); i >= 0 {
		s = s[:i]
	}
	return strings.ToLower(strings.TrimSuffix(s, "."))
}

// TypeName names an SMS_Site.Type.
func TypeName(t int) string {
	switch t {
	case siteTypeCAS:
		return "CAS"
	case siteTypePrimary:
		return "primary"
	case siteTypeSecond:
		return "secondary"
	}
	return "unknown"
}

// ConfiguredProxyURL gives the configured proxy as http://name:port (port 80 when none is
// set, ConfigMgr's default); "" when no proxy is used.
func ConfiguredProxyURL(cp *facts.ConfiguredProxy) string {
	if cp == nil || !cp.UseProxy || cp.Name == "" {
		return ""
	}
	name := strings.TrimSpace(cp.Name)
	name = strings.TrimPrefix(strings.TrimPrefix(name, "http://"), "https://")
	name = strings.TrimSuffix(name, "/")
	if h, p, err := net.SplitHostPort(name); err == nil {
		return "http://" + net.JoinHostPort(h, p)
	}
	port := cp.Port
	if port <= 0 {
		port = 80
	}
	return "http://" + net.JoinHostPort(strings.Trim(name, "[]"), strconv.Itoa(port))
}

// Analyze derives the site facts for the target server and the site checks that present
// them. The checks state facts; the policies decide compliance.
func Analyze(inv *Inventory, o Options) (*facts.SiteFacts, []facts.Check) {
	if inv == nil {
		inv = &Inventory{}
	}
	f := &facts.SiteFacts{
		Source:             inv.Source,
		SCPServer:          o.SCPServer,
		Sites:              []facts.SiteInfo{},
		ExistingSCPs:       []facts.SCPRole{},
		IntuneSubscription: o.IntuneSubscription,
		Insecure:           inv.Insecure,
	}
	if f.Source == "" {
		f.Source = "inventory"
	}
	byCode := addSites(f, inv)
	site := findTargetSite(f, inv, byCode, o)

	f.SiteServer = o.SiteServer
	if f.SiteServer == "" && site != nil {
		f.SiteServer = site.ServerName
	}
	f.Remote = f.SiteServer != "" && !SameServer(f.SiteServer, o.SCPServer)
	if site != nil {
		f.TopLevel = site.Type == siteTypeCAS ||
			(site.Type == siteTypePrimary && site.ReportingSiteCode == "" && !f.HasCAS)
	}

	addExistingSCPs(f, inv, byCode, o)

	expansionWhy := expansion(f)
	f.Expansion = len(expansionWhy) > 0

	chooseMode(f, o)

	hasSiteSystem := readSiteSystem(f, inv, o)
	return f, siteChecks(f, expansionWhy, hasSiteSystem)
}

// addSites lists the hierarchy's sites in f and indexes them by site code.
func addSites(f *facts.SiteFacts, inv *Inventory) map[string]facts.SiteInfo {
	byCode := map[string]facts.SiteInfo{}
	for _, s := range inv.Sites {
		si := facts.SiteInfo{
			SiteCode:          strings.ToUpper(strings.TrimSpace(s.SiteCode)),
			SiteName:          s.SiteName,
			Type:              int(s.Type),
			TypeName:          TypeName(int(s.Type)),
			ReportingSiteCode: strings.ToUpper(strings.TrimSpace(s.ReportingSiteCode)),
			ServerName:        s.ServerName,
			Mode:              int(s.Mode),
			Version:           s.Version,
			BuildNumber:       int(s.BuildNumber),
		}
		f.Sites = append(f.Sites, si)
		byCode[si.SiteCode] = si
		if si.Type == siteTypeCAS {
			f.HasCAS = true
		}
	}
	sort.Slice(f.Sites, func(i, j int) bool { return f.Sites[i].SiteCode < f.Sites[j].SiteCode })

	return byCode
}

// findTargetSite finds the target's site: the site it is a site system of, else the site it
// is the server of, else the given site server's site; it records the target's roles too.
func findTargetSite(f *facts.SiteFacts, inv *Inventory, byCode map[string]facts.SiteInfo, o Options) *facts.SiteInfo {
	var site *facts.SiteInfo
	roles := map[string]bool{}
	siteOf := func(code string) *facts.SiteInfo {
		if s, ok := byCode[strings.ToUpper(strings.TrimSpace(code))]; ok {
			return &s
		}
		return nil
	}
	for _, r := range inv.Resources {
		if SameServer(r.ServerName, o.SCPServer) || SameServer(r.ServerRemoteName, o.SCPServer) {
			roles[r.RoleName] = true
			if site == nil && r.SiteCode != "" {
				site = siteOf(r.SiteCode)
			}
		}
	}
	for _, r := range inv.RoleUses {
		if SameServer(r.Server(), o.SCPServer) {
			roles[r.RoleName] = true
			if site == nil && r.SiteCode != "" {
				site = siteOf(r.SiteCode)
			}
		}
	}
	if site != nil {
		f.SiteSource = "site-system"
	}
	if site == nil {
		for _, s := range f.Sites {
			if SameServer(s.ServerName, o.SCPServer) {
				s := s
				site, f.SiteSource = &s, "site-server"
				break
			}
		}
	}
	if site == nil && o.SiteServer != "" {
		for _, s := range f.Sites {
			if SameServer(s.ServerName, o.SiteServer) {
				s := s
				site, f.SiteSource = &s, "given-site-server"
				break
			}
		}
	}
	f.Site = site
	for r := range roles {
		f.TargetRoles = append(f.TargetRoles, r)
	}
	sort.Strings(f.TargetRoles)
	return site
}

// addExistingSCPs lists the existing service connection points, from both classes (merged by
// server and site).
func addExistingSCPs(f *facts.SiteFacts, inv *Inventory, byCode map[string]facts.SiteInfo, o Options) {
	type key struct{ server, site string }
	idx := map[key]int{}
	add := func(server, code string) int {
		k := key{normServer(server), strings.ToUpper(code)}
		if i, ok := idx[k]; ok {
			return i
		}
		role := facts.SCPRole{ServerName: strings.TrimLeft(server, `\`), SiteCode: strings.ToUpper(code),
			OnTarget: SameServer(server, o.SCPServer)}
		if s, ok := byCode[role.SiteCode]; ok {
			role.SiteType = s.Type
		}
		f.ExistingSCPs = append(f.ExistingSCPs, role)
		idx[k] = len(f.ExistingSCPs) - 1
		return idx[k]
	}
	for _, r := range inv.Resources {
		if strings.EqualFold(r.RoleName, RoleSCP) {
			add(r.ServerName, r.SiteCode)
		}
	}
	for _, r := range inv.RoleUses {
		if !strings.EqualFold(r.RoleName, RoleSCP) {
			continue
		}
		i := add(r.Server(), r.SiteCode)
		if p, ok := r.Prop("OfflineMode"); ok {
			if p.Value == 0 {
				f.ExistingSCPs[i].Mode = ModeOnline
			} else {
				f.ExistingSCPs[i].Mode = ModeOffline
			}
		}
	}
	sort.SliceStable(f.ExistingSCPs, func(i, j int) bool {
		a, b := f.ExistingSCPs[i], f.ExistingSCPs[j]
		if a.SiteCode != b.SiteCode {
			return a.SiteCode < b.SiteCode
		}
		return strings.ToLower(a.ServerName) < strings.ToLower(b.ServerName)
	})
}

// expansion says why the hierarchy is in expansion: a site in Mode 5, or a CAS while an SCP
// sits on a primary (none: not in expansion).
func expansion(f *facts.SiteFacts) []string {
	var expansionWhy []string
	for _, s := range f.Sites {
		if s.Mode == siteModeExpand {
			expansionWhy = append(expansionWhy, fmt.Sprintf("site %s is in expansion (Mode 5)", s.SiteCode))
		}
	}
	if f.HasCAS {
		for _, r := range f.ExistingSCPs {
			if r.SiteType == siteTypePrimary {
				expansionWhy = append(expansionWhy, fmt.Sprintf(
					"the hierarchy has a CAS but the service connection point on %s is still in primary site %s: uninstall it there first, then install it at the CAS",
					r.ServerName, r.SiteCode))
			}
		}
	}
	return expansionWhy
}

// chooseMode sets the role's mode: the flag wins, else the existing role.
func chooseMode(f *facts.SiteFacts, o Options) {
	for _, r := range f.ExistingSCPs {
		if r.OnTarget && r.Mode != "" {
			f.ExistingMode = r.Mode
		}
	}
	if f.ExistingMode == "" && len(f.ExistingSCPs) == 1 {
		f.ExistingMode = f.ExistingSCPs[0].Mode
	}
	switch m := strings.ToLower(strings.TrimSpace(o.Mode)); m {
	case ModeOnline, ModeOffline:
		f.Mode, f.ModeSource = m, "flag"
	default:
		if f.ExistingMode != "" {
			f.Mode, f.ModeSource = f.ExistingMode, "existing-role"
		}
	}
}

// readSiteSystem reads the proxy and accounts ConfigMgr holds for the target server, and
// whether the target is a site system at all.
func readSiteSystem(f *facts.SiteFacts, inv *Inventory, o Options) bool {
	hasSiteSystem := false
	for _, r := range inv.RoleUses {
		if !strings.EqualFold(r.RoleName, RoleSiteSystem) || !SameServer(r.Server(), o.SCPServer) {
			continue
		}
		hasSiteSystem = true
		cp := &facts.ConfiguredProxy{}
		seen := false
		if p, ok := r.Prop("UseProxy"); ok {
			cp.UseProxy, seen = p.Value != 0, true
		}
		if p, ok := r.Prop("ProxyName"); ok {
			cp.Name, seen = strings.TrimSpace(string(p.Value2)), true
		}
		if p, ok := r.Prop("ProxyServerPort"); ok {
			cp.Port, seen = int(p.Value), true
		}
		if p, ok := r.Prop("ProxyUserName"); ok {
			cp.User, seen = strings.TrimSpace(string(p.Value2)), true
		}
		cp.Anonymous = cp.User == ""
		if p, ok := r.Prop("AnonymousProxyAccess"); ok {
			cp.Anonymous, seen = p.Value != 0, true
		}
		if cp.Anonymous {
			// The user name ConfigMgr keeps after switching to anonymous is not used.
			cp.User = ""
		}
		if seen {
			f.ConfiguredProxy = cp
		}
		if p, ok := r.Prop("UserName"); ok {
			f.InstallAccount = strings.TrimSpace(string(p.Value2))
		}
		if p, ok := r.Prop("UseMachineAccount"); ok {
			v := p.Value != 0
			f.UseMachineAccount = &v
		}
		break
	}
	return hasSiteSystem
}

func siteCheck(name, status, msg string, ev map[string]any) facts.Check {
	c := facts.Check{ID: "site/" + name, Kind: "site", Status: status, Message: msg, Evidence: facts.Evidence{Site: ev}}
	if status != facts.StatusPass {
		// Every failed check names its stage and reason (the report contract).
		c.Stage, c.Reason = "placement", name
		if name == "mode" {
			c.Stage = "mode"
		}
	}
	return c
}

func passIf(ok bool) string {
	if ok {
		return facts.StatusPass
	}
	return facts.StatusFail
}

func siteChecks(f *facts.SiteFacts, expansionWhy []string, hasSiteSystem bool) []facts.Check {
	var out []facts.Check
	out = append(out, placementChecks(f)...)

	var others []string
	for _, r := range f.ExistingSCPs {
		if !r.OnTarget {
			others = append(others, fmt.Sprintf("%s (site %s)", r.ServerName, r.SiteCode))
		}
	}
	if len(others) == 0 {
		msg := "no service connection point in the hierarchy yet"
		if len(f.ExistingSCPs) > 0 {
			msg = fmt.Sprintf("the only service connection point is already on %s", f.SCPServer)
		}
		out = append(out, siteCheck("single-instance", facts.StatusPass, msg, map[string]any{"existing": len(f.ExistingSCPs)}))
	} else {
		out = append(out, siteCheck("single-instance", facts.StatusFail,
			"the hierarchy already has a service connection point on "+strings.Join(others, ", ")+": only one is supported per hierarchy",
			map[string]any{"existing": len(f.ExistingSCPs), "others": others}))
	}

	if f.Expansion {
		out = append(out, siteCheck("expansion", facts.StatusFail, strings.Join(expansionWhy, "; "), map[string]any{"reasons": expansionWhy}))
	} else {
		out = append(out, siteCheck("expansion", facts.StatusPass, "no site expansion in progress", nil))
	}

	intune := f.IntuneSubscription != nil && *f.IntuneSubscription
	switch {
	case f.Mode == "":
		out = append(out, siteCheck("mode", facts.StatusSkip, "mode not given (--mode) and no existing role to read it from", nil))
	case f.Mode == ModeOffline && intune:
		out = append(out, siteCheck("mode", facts.StatusFail,
			"offline mode is not supported with an Intune subscription: it forces online mode",
			map[string]any{"mode": f.Mode, "modeSource": f.ModeSource, "intuneSubscription": true}))
	default:
		msg := fmt.Sprintf("mode %s (from %s)", f.Mode, f.ModeSource)
		if f.ExistingMode != "" && f.ExistingMode != f.Mode {
			msg += fmt.Sprintf("; the existing role is %s: after switching, restart the SMS_DMP_DOWNLOADER thread of SMS_Executive", f.ExistingMode)
		}
		out = append(out, siteCheck("mode", facts.StatusPass, msg,
			map[string]any{"mode": f.Mode, "modeSource": f.ModeSource, "existingMode": f.ExistingMode}))
	}

	out = append(out, proxyAndAccountChecks(f, hasSiteSystem)...)
	return out
}

// placementChecks present the target's site and whether it is the top-tier site.
func placementChecks(f *facts.SiteFacts) []facts.Check {
	var out []facts.Check
	if f.Site == nil {
		msg := fmt.Sprintf("%s is not a site system of any site in the hierarchy and no site server was given", f.SCPServer)
		out = append(out, siteCheck("target-site", facts.StatusFail, msg, map[string]any{"scpServer": f.SCPServer}))
		out = append(out, siteCheck("top-level", facts.StatusSkip, "the target's site is unknown", nil))
	} else {
		s := f.Site
		out = append(out, siteCheck("target-site", facts.StatusPass,
			fmt.Sprintf("%s belongs to site %s (%s, %s)", f.SCPServer, s.SiteCode, s.TypeName, f.SiteSource),
			map[string]any{"siteCode": s.SiteCode, "type": s.Type, "typeName": s.TypeName, "siteSource": f.SiteSource}))
		var msg string
		switch {
		case s.Type == siteTypeCAS:
			msg = fmt.Sprintf("site %s is the central administration site: the top-tier site", s.SiteCode)
		case f.TopLevel:
			msg = fmt.Sprintf("site %s is a stand-alone primary site: the top-tier site", s.SiteCode)
		case s.Type == siteTypePrimary && s.ReportingSiteCode != "":
			msg = fmt.Sprintf("site %s is a primary site that reports to %s: the service connection point belongs at the top-tier site", s.SiteCode, s.ReportingSiteCode)
		case s.Type == siteTypePrimary && f.HasCAS:
			msg = fmt.Sprintf("site %s is a primary site and the hierarchy has a central administration site: the service connection point belongs at the CAS", s.SiteCode)
		default:
			msg = fmt.Sprintf("site %s is a %s site, not the top-tier site", s.SiteCode, s.TypeName)
		}
		out = append(out, siteCheck("top-level", passIf(f.TopLevel), msg,
			map[string]any{"siteCode": s.SiteCode, "type": s.Type, "reportingSiteCode": s.ReportingSiteCode, "hasCas": f.HasCAS}))
	}
	return out
}

// proxyAndAccountChecks present the proxy ConfigMgr configured for the target and the
// account it installs the role with.
func proxyAndAccountChecks(f *facts.SiteFacts, hasSiteSystem bool) []facts.Check {
	var out []facts.Check
	if cp := f.ConfiguredProxy; cp == nil {
		out = append(out, siteCheck("configured-proxy", facts.StatusSkip,
			fmt.Sprintf("ConfigMgr holds no site system proxy settings for %s", f.SCPServer), nil))
	} else if !cp.UseProxy {
		out = append(out, siteCheck("configured-proxy", facts.StatusPass,
			fmt.Sprintf("ConfigMgr configures no proxy for %s: the role connects directly", f.SCPServer),
			map[string]any{"useProxy": false}))
	} else {
		auth := "anonymous"
		if !cp.Anonymous {
			auth = "account " + cp.User
		}
		out = append(out, siteCheck("configured-proxy", facts.StatusPass,
			fmt.Sprintf("ConfigMgr configures proxy %s for %s (%s)", ConfiguredProxyURL(cp), f.SCPServer, auth),
			map[string]any{"useProxy": true, "url": ConfiguredProxyURL(cp), "anonymous": cp.Anonymous, "user": cp.User}))
	}

	switch {
	case !f.Remote:
		out = append(out, siteCheck("install-account", facts.StatusSkip, "the role is local to the site server", nil))
	case !hasSiteSystem:
		out = append(out, siteCheck("install-account", facts.StatusSkip,
			fmt.Sprintf("%s is not a site system yet: its installation account is chosen when it is added", f.SCPServer), nil))
	case f.InstallAccount != "" || (f.UseMachineAccount != nil && *f.UseMachineAccount):
		who := "the site server's computer account"
		if f.InstallAccount != "" {
			who = "installation account " + f.InstallAccount
		}
		out = append(out, siteCheck("install-account", facts.StatusPass,
			fmt.Sprintf("ConfigMgr reaches %s with %s", f.SCPServer, who),
			map[string]any{"installAccount": f.InstallAccount, "useMachineAccount": f.UseMachineAccount != nil && *f.UseMachineAccount}))
	default:
		out = append(out, siteCheck("install-account", facts.StatusFail,
			fmt.Sprintf("no site system installation account is configured for %s (and the computer account is not selected)", f.SCPServer), nil))
	}
	return out
}
