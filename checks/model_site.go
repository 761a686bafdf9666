package checks

// SiteFacts is what the hierarchy and the target server say (issue: site checks).
type SiteFacts struct {
	// Source is adminservice or inventory.
	Source    string `json:"source"`
	SCPServer string `json:"scpServer"`
	// Site is the site the SCP server belongs to (nil when the server is not a site system).
	Site  *SiteInfo  `json:"site,omitempty"`
	Sites []SiteInfo `json:"sites"`
	// TopLevel is true for a CAS or a stand-alone primary.
	TopLevel bool `json:"topLevel"`
	// HasCAS is true when the hierarchy has a central administration site.
	HasCAS bool `json:"hasCas"`
	// ExistingSCPs are the SMS Dmp Connector roles already in the hierarchy.
	ExistingSCPs []SCPRole `json:"existingScps"`
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
}

// SCPRole is one existing service connection point.
type SCPRole struct {
	ServerName string `json:"serverName"`
	SiteCode   string `json:"siteCode"`
	Mode       string `json:"mode,omitempty"` // online or offline
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
	Port445    string `json:"port445"` // open, closed, timeout, skipped
	Port135    string `json:"port135"`
	AdminShare string `json:"adminShare"` // ok, logon-failure, access-denied, unreachable, skipped
	Account    string `json:"account,omitempty"`
	Detail     string `json:"detail,omitempty"`
}
