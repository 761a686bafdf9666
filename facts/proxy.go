package facts

// ProxyFacts says which proxy the run used and why.
type ProxyFacts struct {
	// Source is where the proxy setting came from: flag, config, configmgr, winhttp, env, none.
	Source string `json:"source"`
	// URL is the proxy without userinfo; empty when the source answered "direct".
	URL    string   `json:"url,omitempty"`
	Auth   string   `json:"auth"` // none, basic, ntlm, negotiate, auto
	User   string   `json:"user,omitempty"`
	Bypass []string `json:"bypass,omitempty"`
	// WinHTTP is the machine's WinHTTP setting when it could be read, so reports can show
	// where it differs from the proxy ConfigMgr configured.
	WinHTTP *WinHTTPSetting `json:"winhttp,omitempty"`
	Notes   []string        `json:"notes,omitempty"`
}

// WinHTTPSetting is the decoded WinHttpSettings registry value.
type WinHTTPSetting struct {
	Direct        bool     `json:"direct"`
	Proxy         string   `json:"proxy,omitempty"`
	Bypass        []string `json:"bypass,omitempty"`
	AutoConfigURL string   `json:"autoConfigUrl,omitempty"`
	AutoDetect    bool     `json:"autoDetect,omitempty"`
}
