package facts

// ProxyFacts says which proxy the run used and why.
type ProxyFacts struct {
	// Source is where the proxy setting came from: flag, config, configmgr, winhttp, env, none.
	Source string `json:"source"`
	// URL is the proxy without userinfo; empty when the source answered "direct".
	URL    string   `json:"url,omitempty"`
	Auth   string   `json:"auth"` // none, basic, ntlm, negotiate, kerberos, auto
	User   string   `json:"user,omitempty"`
	Bypass []string `json:"bypass,omitempty"`
	// WinHTTP is the machine's WinHTTP setting when it could be read, so reports can show
	// where it differs from the proxy ConfigMgr configured.
	WinHTTP *WinHTTPSetting `json:"winhttp,omitempty"`
	Notes   []string        `json:"notes,omitempty"`
	// Rule is the proxy rule of the role(s) this proxy serves (site-system, wininet-system,
	// machine) and Profiles those roles' profiles; set in roleProxies.
	Rule     string   `json:"rule,omitempty"`
	Profiles []string `json:"profiles,omitempty"`
	// WinINET is Local System's WinINET setting, read for the management point's rule.
	WinINET *WinINETSetting `json:"wininet,omitempty"`
}

// WinINETSetting is Local System's WinINET proxy setting (HKU\S-1-5-18 Internet Settings).
type WinINETSetting struct {
	KeyFound      bool     `json:"keyFound"`
	Enabled       bool     `json:"enabled"`
	Server        string   `json:"server,omitempty"`
	Override      []string `json:"override,omitempty"`
	AutoConfigURL string   `json:"autoConfigUrl,omitempty"`
}

// WinHTTPSetting is the decoded WinHttpSettings registry value.
type WinHTTPSetting struct {
	Direct        bool     `json:"direct"`
	Proxy         string   `json:"proxy,omitempty"`
	Bypass        []string `json:"bypass,omitempty"`
	AutoConfigURL string   `json:"autoConfigUrl,omitempty"`
	AutoDetect    bool     `json:"autoDetect,omitempty"`
}
