package checks

// TrustFacts is the allowlist and trust analysis of a run.
type TrustFacts struct {
	// Roots are the required roots and whether the machine's store has them.
	Roots []RootPresence `json:"roots"`
	// Gaps are names seen on CNAME or redirect hops that no catalog entry allows.
	Gaps []AllowlistHop `json:"gaps"`
	// Hops classifies every CNAME and redirect hop seen.
	Hops []AllowlistHop `json:"hops"`
	// Wildcards says, per wildcard entry, which concrete hosts exercised it.
	Wildcards []WildcardCoverage `json:"wildcards"`
	// Firewall is the request a network team can act on.
	Firewall []FirewallRule `json:"firewall"`
}

// RootPresence tells whether one root the role needs is in the machine's store.
type RootPresence struct {
	Name     string `json:"name"`
	SHA256   string `json:"sha256"`
	Present  bool   `json:"present"`
	Required bool   `json:"required"`
	KB       string `json:"kb,omitempty"`
	Store    string `json:"store"`
}

// AllowlistHop is one name seen on a path to an endpoint.
type AllowlistHop struct {
	Name      string `json:"name"`
	Via       string `json:"via"` // cname or redirect
	Check     string `json:"check"`
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
}
