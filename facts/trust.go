package facts

// TrustFacts is the allowlist and trust analysis of a run.
type TrustFacts struct {
	// Roots are the required roots and whether the machine's store has them.
	Roots []RootPresence `json:"roots"`
	// Gaps are names seen on CNAME or redirect hops that no catalog entry allows, one per
	// name (the first check that saw it).
	Gaps []AllowlistHop `json:"gaps"`
	// Hops classifies every CNAME and redirect hop seen.
	Hops []AllowlistHop `json:"hops"`
	// Wildcards says, per wildcard entry, which concrete hosts exercised it.
	Wildcards []WildcardCoverage `json:"wildcards"`
	// Firewall is the request a network team can act on.
	Firewall []FirewallRule `json:"firewall"`
	// TLSConfig is the machine's TLS configuration as the role's .NET code sees it
	// (KB4561945); nil when it was not read.
	TLSConfig *TLSConfigFacts `json:"tlsConfig,omitempty"`
}

// RootPresence tells whether one root the role needs is in the machine's store.
type RootPresence struct {
	Name string `json:"name"`
	// SHA256 is the fingerprint of the reference certificate of this root.
	SHA256   string `json:"sha256"`
	Present  bool   `json:"present"`
	Required bool   `json:"required"`
	KB       string `json:"kb,omitempty"`
	Store    string `json:"store"`
	// StoreSHA256 is the fingerprint of the certificate found in the store when it differs
	// from the reference (a re-issued root with the same key and subject).
	StoreSHA256 string `json:"storeSha256,omitempty"`
	// Error says why the store could not be read (Present is then false).
	Error string `json:"error,omitempty"`
}

// AllowlistHop is one name seen on a path to an endpoint.
type AllowlistHop struct {
	Name  string `json:"name"`
	Via   string `json:"via"` // cname or redirect
	Check string `json:"check"`
	// From is the host of the check whose chain the hop is on.
	From string `json:"from,omitempty"`
	// Ports are the TCP ports the hop is reached on (for a gap: over every check that saw it).
	Ports     []int  `json:"ports,omitempty"`
	CoveredBy string `json:"coveredBy,omitempty"`
}

// WildcardCoverage lists the hosts that exercised a wildcard entry.
type WildcardCoverage struct {
	Pattern   string   `json:"pattern"`
	Hosts     []string `json:"hosts"`
	Exercised bool     `json:"exercised"`
}

// FirewallRule is one line of the firewall request.
type FirewallRule struct {
	Name          string   `json:"name"`
	Ports         []int    `json:"ports"`
	Protocol      string   `json:"protocol"`
	BypassInspect bool     `json:"bypassInspection"`
	Reason        string   `json:"reason"`
	Sources       []string `json:"sources,omitempty"`
	Discovered    bool     `json:"discovered,omitempty"`
	// Groups and Editions are merged over every catalog entry of this name.
	Groups   []string `json:"groups,omitempty"`
	Editions []string `json:"editions,omitempty"`
	// Profiles are the profiles whose catalogs list this name.
	Profiles []string `json:"profiles,omitempty"`
	// Required is true when an entry of this name is required for the run's edition (or the
	// gap was seen on a required check).
	Required bool `json:"required"`
	// URLs are the URL entries folded into this name (a proxy may filter by URL).
	URLs []string `json:"urls,omitempty"`
	// Check is the check that discovered a gap.
	Check string `json:"check,omitempty"`
}

// TLSConfigFacts is what the Windows configuration says about TLS 1.2 for .NET and Schannel.
type TLSConfigFacts struct {
	// Source is "windows-registry", "not-windows" (nothing read) or "error".
	Source string `json:"source"`
	Error  string `json:"error,omitempty"`
	// DotNet lists the strong-crypto values per registry view (64-bit and WOW6432Node).
	DotNet []DotNetTLS `json:"dotNet"`
	// StrongCrypto is true when every view has SchUseStrongCrypto=1 and
	// SystemDefaultTlsVersions=1 (KB4561945).
	StrongCrypto bool `json:"strongCrypto"`
	// TLS12Client is false when Schannel's TLS 1.2 client protocol is switched off.
	TLS12Client bool `json:"tls12Client"`
	// CipherSuitesSource: "group-policy", "local" (the SSL\00010002 Functions value) or
	// "os-default" (no list configured).
	CipherSuitesSource string `json:"cipherSuitesSource"`
	// Suites are KB4561945's four suites and whether each is enabled.
	Suites []SuiteState `json:"suites"`
	// SuitesEnabled is true when all four are enabled.
	SuitesEnabled bool `json:"suitesEnabled"`
	// ECDHEEnabled is true when at least one ECDHE suite of the four is enabled.
	ECDHEEnabled bool     `json:"ecdheEnabled"`
	Notes        []string `json:"notes,omitempty"`
}

// DotNetTLS is one registry view of the .NET Framework 4 TLS settings.
type DotNetTLS struct {
	Key                      string  `json:"key"`
	SchUseStrongCrypto       *uint32 `json:"schUseStrongCrypto,omitempty"`
	SystemDefaultTLSVersions *uint32 `json:"systemDefaultTlsVersions,omitempty"`
	OK                       bool    `json:"ok"`
}

// SuiteState is one cipher suite and whether the configuration enables it.
type SuiteState struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
}
