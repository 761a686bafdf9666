package facts

// SiteFacts is what the hierarchy and the target server say (issue: site checks).
type SiteFacts struct {
	// Source is adminservice or inventory.
	Source    string `json:"source"`
	SCPServer string `json:"scpServer"`
	// SiteServer is the site server the role will be installed from (given, or the target
	// site's server).
	SiteServer string `json:"siteServer,omitempty"`
	// SiteSource tells how the target's site was found: site-system (the server has roles in
	// it), site-server (the server is a site's server), given-site-server (--site-server).
	SiteSource string `json:"siteSource,omitempty"`
	// TargetRoles are the roles the SCP server already holds.
	TargetRoles []string `json:"targetRoles,omitempty"`
	// Site is the site the SCP server belongs to (nil when the server is not a site system).
	Site  *SiteInfo  `json:"site,omitempty"`
	Sites []SiteInfo `json:"sites"`
	// TopLevel is true for a CAS or a stand-alone primary.
	TopLevel bool `json:"topLevel"`
	// HasCAS is true when the hierarchy has a central administration site.
	HasCAS bool `json:"hasCas"`
	// ExistingSCPs are the SMS Dmp Connector roles already in the hierarchy.
	ExistingSCPs []SCPRole `json:"existingScps"`
	// Expansion is true when a site is in expansion (Mode 5), or a CAS exists while an SCP
	// still sits on a primary site (it must be uninstalled there first).
	Expansion bool `json:"expansion"`
	// ExistingMode is the mode of the SCP already on the target (or of the only existing
	// SCP), whatever Mode says.
	ExistingMode string `json:"existingMode,omitempty"`
	// Mode is online or offline (wanted or read from the existing role); empty when unknown.
	Mode               string `json:"mode,omitempty"`
	ModeSource         string `json:"modeSource,omitempty"`
	IntuneSubscription *bool  `json:"intuneSubscription,omitempty"`
	// Remote is true when the SCP server is not the site server.
	Remote bool `json:"remote"`
	// ConfiguredProxy is the proxy ConfigMgr set for the SCP server, if any.
	ConfiguredProxy *ConfiguredProxy `json:"configuredProxy,omitempty"`
	// InstallAccount is the site system installation account configured for the server.
	InstallAccount    string `json:"installAccount,omitempty"`
	UseMachineAccount *bool  `json:"useMachineAccount,omitempty"`
	// Rights are the outcomes of the remote-rights checks (nil when not run).
	Rights *RightsFacts `json:"rights,omitempty"`
	// Insecure is set when the AdminService certificate was not verified.
	Insecure bool `json:"insecure,omitempty"`
}

// SiteInfo is one SMS_Site row.
type SiteInfo struct {
	SiteCode          string `json:"siteCode"`
	SiteName          string `json:"siteName,omitempty"`
	Type              int    `json:"type"`
	TypeName          string `json:"typeName"`
	ReportingSiteCode string `json:"reportingSiteCode"`
	ServerName        string `json:"serverName"`
	Mode              int    `json:"mode"`
	Version           string `json:"version,omitempty"`
	BuildNumber       int    `json:"buildNumber,omitempty"`
}

// SCPRole is one existing service connection point.
type SCPRole struct {
	ServerName string `json:"serverName"`
	SiteCode   string `json:"siteCode"`
	Mode       string `json:"mode,omitempty"` // online or offline
	// OnTarget is true when the role is already on the SCP server being checked.
	OnTarget bool `json:"onTarget"`
	// SiteType is the type of the site that holds the role (4 CAS, 2 primary, 1 secondary).
	SiteType int `json:"siteType,omitempty"`
}

// ConfiguredProxy is the proxy of a site system server in ConfigMgr.
type ConfiguredProxy struct {
	UseProxy  bool   `json:"useProxy"`
	Name      string `json:"name,omitempty"`
	Port      int    `json:"port,omitempty"`
	User      string `json:"user,omitempty"`
	Anonymous bool   `json:"anonymous"`
}

// RightsFacts are the remote-host checks run from the site server.
type RightsFacts struct {
	Host       string `json:"host,omitempty"`
	SMBPort    int    `json:"smbPort,omitempty"`
	RPCPort    int    `json:"rpcPort,omitempty"`
	Port445    string `json:"port445"` // open, closed, timeout, error (e.g. unresolved), skipped
	Port135    string `json:"port135"`
	AdminShare string `json:"adminShare"` // ok, logon-failure, access-denied, unreachable, error, skipped
	Account    string `json:"account,omitempty"`
	// Method is how the share was opened: smb2 (explicit account) or os (the current
	// identity, Windows only).
	Method string `json:"method,omitempty"`
	Detail string `json:"detail,omitempty"`
	// SkipReason says why the checks were skipped (e.g. the role is local to the site server).
	SkipReason string `json:"skipReason,omitempty"`
	// LocalAdmins is the outcome of looking for SiteServerAccount in this machine's local
	// Administrators group: member, not-member, error, skipped.
	LocalAdmins       string   `json:"localAdmins,omitempty"`
	SiteServerAccount string   `json:"siteServerAccount,omitempty"`
	AdminMembers      []string `json:"adminMembers,omitempty"`
}
