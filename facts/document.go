// Package facts defines the facts document, the one JSON shape that checks fill in, policies
// read and reports render, with its JSON schema and streaming writer.
package facts

import "time"

// SchemaVersion is the version of the facts document (the JSON report). Bump it on any
// incompatible change and publish the schema beside it (facts/schema/report.schema.json).
const SchemaVersion = 1

// Status of one check.
const (
	StatusPass  = "pass"
	StatusFail  = "fail"
	StatusWarn  = "warn"
	StatusSkip  = "skip"
	StatusError = "error"
)

// Stage names the phase where a check stopped (docs/design.md, "Stage and reason").
const (
	StageDNS            = "dns"
	StageConnect        = "connect"
	StageProxyConnect   = "proxy-connect"
	StageProxyAuth      = "proxy-auth"
	StageProxyDenied    = "proxy-denied"
	StageProxyUpstream  = "proxy-upstream"
	StageTLS            = "tls"
	StageTLSIntercepted = "tls-intercepted"
	StageHTTP           = "http"
)

// Route says how a check reached its target.
const (
	RouteDirect = "direct"
	RouteProxy  = "proxy"
)

// Document is the facts document: the run's results, the policy input and the JSON report.
// Optional sections are nil when the input that gathers them was absent, so a policy can tell
// "not checked" from "checked and fine".
type Document struct {
	SchemaVersion int       `json:"schemaVersion"`
	Tool          Tool      `json:"tool"`
	StartedAt     time.Time `json:"startedAt"`
	DurationMs    int64     `json:"durationMs"`
	Interrupted   bool      `json:"interrupted"`
	Machine       Machine   `json:"machine"`
	// Profile names the run's profiles, comma-separated ("scp,sup"); Profiles describes each.
	Profile  string        `json:"profile"`
	Profiles []ProfileInfo `json:"profiles,omitempty"`
	Edition  string        `json:"edition"`
	Cloud    string        `json:"cloud"`
	// Families lists the check families that ran: network, site, logs.
	Families []string `json:"families"`
	// Notes are facts about the run a reader should know (e.g. "tenant id not given, the
	// common tenant was used").
	Notes   []string `json:"notes,omitempty"`
	Options Options  `json:"options"`
	Checks  []Check  `json:"checks"`
	Summary Summary  `json:"summary"`

	Proxy *ProxyFacts `json:"proxy,omitempty"`
	// RoleProxies is the proxy of each proxy rule of the run's profiles (the SCP's site
	// system proxy, the management point's Local System WinINET, ...), each naming its
	// rule and profiles; Proxy is the first of them.
	RoleProxies []ProxyFacts `json:"roleProxies,omitempty"`
	Trust       *TrustFacts  `json:"trust,omitempty"`
	Site        *SiteFacts   `json:"site,omitempty"`
	LogFindings []LogFinding `json:"logFindings,omitempty"`
	Previous    *PreviousRun `json:"previous,omitempty"`
	Verdict     *Verdict     `json:"verdict,omitempty"`
	// Evaluation says which policies gave Verdict and when: the run's own, or the last
	// `report evaluate` that judged these facts again (StartedAt stays the facts' own time).
	// Reports written before it existed lack it.
	Evaluation *Evaluation   `json:"evaluation,omitempty"`
	Catalog    []EntrySource `json:"catalog,omitempty"`
}

// Evaluation records the judgement of a facts document: when, by which command and tool
// version, with which policies, data, waivers and disabled rules. The built-in policies of
// Tool.Version always take part (--disable-rule turns single rules off).
type Evaluation struct {
	EvaluatedAt time.Time `json:"evaluatedAt"`
	// Command is "run" (judged as the facts were gathered) or "report evaluate" (saved facts
	// judged again).
	Command string `json:"command"`
	Tool    Tool   `json:"tool"`
	// Policies are the --policy paths beside the built-ins; PolicyDigest identifies the text
	// of every module that took part (built-ins included; file names and order do not
	// count), so two verdicts can be shown to come from the same rules.
	Policies      []string `json:"policies,omitempty"`
	PolicyDigest  string   `json:"policyDigest"`
	DataFiles     []string `json:"dataFiles,omitempty"`
	Waivers       string   `json:"waivers,omitempty"`
	DisabledRules []string `json:"disabledRules,omitempty"`
	FailOn        string   `json:"failOn"`
	// Source is the saved report that was judged again (report evaluate only).
	Source string `json:"source,omitempty"`
}

// FailOn is the --fail-on the verdict is read under: the evaluation's, else the run's.
func (d *Document) FailOn() string {
	if d.Evaluation != nil && d.Evaluation.FailOn != "" {
		return d.Evaluation.FailOn
	}
	return d.Options.FailOn
}

// Fails says whether v fails a gate under failOn: no verdict, a deny, or (under "warn") a
// warning. It is the one rule behind the exit code and the CI annotations' result.
func (v *Verdict) Fails(failOn string) bool {
	if v == nil || !v.Compliant || len(v.Deny) > 0 {
		return true
	}
	return failOn == "warn" && len(v.Warn) > 0
}

// ProfileInfo describes one profile of the run: the machine that runs it, the proxy rule of
// its role, the page its list was checked against and, under --profile auto, why it was chosen.
type ProfileInfo struct {
	Name           string      `json:"name"`
	Machine        string      `json:"machine,omitempty"`
	Proxy          string      `json:"proxy,omitempty"`
	CheckedAgainst *Provenance `json:"checkedAgainst,omitempty"`
	Why            string      `json:"why,omitempty"`
}

// Provenance is a source key and the date of the page it names.
type Provenance struct {
	Source string `json:"source"`
	Date   string `json:"date"`
}

// Tool identifies the binary that wrote the document.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Machine is where the run happened. Name is what fleet views key on: --machine-name, else
// the host name (fully qualified on Windows); reports written before it existed lack it, and
// readers fall back to Hostname.
type Machine struct {
	Name     string `json:"name,omitempty"`
	Hostname string `json:"hostname"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
}

// Options records the effective settings of the run. It never holds a secret.
type Options struct {
	Concurrency   int      `json:"concurrency"`
	TimeoutMs     int64    `json:"timeoutMs"`
	DNSServers    []string `json:"dnsServers,omitempty"`
	CAFiles       []string `json:"caFiles,omitempty"`
	ExpectedRoots string   `json:"expectedRoots,omitempty"`
	EndpointFiles []string `json:"endpointFiles,omitempty"`
	EndpointsOnly bool     `json:"endpointsOnly,omitempty"`
	TenantID      string   `json:"tenantId,omitempty"`
	Policies      []string `json:"policies,omitempty"`
	Waivers       string   `json:"waivers,omitempty"`
	FailOn        string   `json:"failOn"`
	CompareDirect bool     `json:"compareDirect,omitempty"`
	DisabledRules []string `json:"disabledRules,omitempty"`
}

// Summary counts checks by status.
type Summary struct {
	Total          int `json:"total"`
	Pass           int `json:"pass"`
	Fail           int `json:"fail"`
	Warn           int `json:"warn"`
	Skip           int `json:"skip"`
	Error          int `json:"error"`
	Required       int `json:"required"`
	RequiredFailed int `json:"requiredFailed"`
}

// Check is one result: a network check is one (host, port, route); site checks have ids
// "site/<name>".
type Check struct {
	ID   string `json:"id"`
	Kind string `json:"kind"` // https, http, site
	Host string `json:"host,omitempty"`
	Port int    `json:"port,omitempty"`
	// URL is the request made, when an entry named one (its scheme decides TLS or not).
	URL   string `json:"url,omitempty"`
	Route string `json:"route,omitempty"`
	// ProxyURL is the proxy the check went through, without userinfo.
	ProxyURL string `json:"proxyUrl,omitempty"`

	// Catalog provenance, merged over every entry that shares this host:port.
	Entries  []string `json:"entries,omitempty"`
	Groups   []string `json:"groups,omitempty"`
	Editions []string `json:"editions,omitempty"`
	Sources  []string `json:"sources,omitempty"`
	// Wildcards are the wildcard entries this host is a probe of.
	Wildcards []string `json:"wildcards,omitempty"`
	// Profiles are the profiles (scp, sup, mp, ...) whose catalogs list this check: a
	// host:port two profiles need is one check naming both.
	Profiles []string `json:"profiles,omitempty"`
	// RequiredIn lists the editions that require this check; Required is true when the
	// run's edition is among them (or the entry came from a user file).
	RequiredIn []string `json:"requiredIn,omitempty"`
	Required   bool     `json:"required"`

	Status  string `json:"status"`
	Stage   string `json:"stage,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`

	Timings  Timings  `json:"timings"`
	Evidence Evidence `json:"evidence"`
}

// Timings are integer milliseconds per phase; zero when the phase did not happen.
type Timings struct {
	DNS       int64 `json:"dns"`
	Connect   int64 `json:"connect"`
	Proxy     int64 `json:"proxy"`
	TLS       int64 `json:"tls"`
	FirstByte int64 `json:"firstByte"`
	Total     int64 `json:"total"`
}

// Evidence is what the probes saw, phase by phase.
type Evidence struct {
	DNS     *DNSEvidence     `json:"dns,omitempty"`
	Connect *ConnectEvidence `json:"connect,omitempty"`
	Proxy   *ProxyEvidence   `json:"proxy,omitempty"`
	TLS     *TLSEvidence     `json:"tls,omitempty"`
	HTTP    *HTTPEvidence    `json:"http,omitempty"`
	// Origin is the "who answered?" judgement of a plain-HTTP answer or a proxy's refusal.
	Origin *OriginEvidence `json:"origin,omitempty"`
	Site   map[string]any  `json:"site,omitempty"`
}

// DNSEvidence records one resolution.
type DNSEvidence struct {
	Server    string   `json:"server,omitempty"`
	CNAMEs    []string `json:"cnames"`
	Addresses []string `json:"addresses"`
	Rcode     string   `json:"rcode,omitempty"`
	TCP       bool     `json:"tcp,omitempty"`
	Error     string   `json:"error,omitempty"`
	// Informational is true when the route is a proxy: resolution is then the proxy's job
	// and a failure here does not fail the check.
	Informational bool  `json:"informational,omitempty"`
	Ms            int64 `json:"ms"`
	// Queries counts the queries sent (every datagram, resend included, and every TCP query)
	// for all the types and CNAME targets asked.
	Queries int `json:"queries,omitempty"`
	// Tries lists each query sent and what came of it. It is kept only when a resolution took
	// more than one query per question (a resend, another server, TCP after truncation) or
	// failed: a first answer to each first datagram is the common case and says nothing more.
	Tries []DNSTry `json:"tries,omitempty"`
}

// DNSTry is one query sent to one DNS server.
type DNSTry struct {
	Server    string `json:"server"`
	Question  string `json:"question"`  // "A name" or "AAAA name"
	Transport string `json:"transport"` // udp or tcp
	// AtMs is when it was sent, from the start of the resolution.
	AtMs int64 `json:"atMs"`
	// Outcome is the answer's rcode (NOERROR, NXDOMAIN, SERVFAIL...), truncated, or why
	// none came: no-answer (nothing before the next send or the deadline), refused,
	// unreachable, bad-response.
	Outcome string `json:"outcome"`
	// Ms is how long the answer took, when one came.
	Ms int64 `json:"ms,omitempty"`
}

// ConnectEvidence records the TCP race over the resolved addresses.
type ConnectEvidence struct {
	Attempts []ConnectAttempt `json:"attempts"`
	Address  string           `json:"address,omitempty"`
}

// ConnectAttempt is one address tried.
type ConnectAttempt struct {
	Address string `json:"address"`
	Error   string `json:"error,omitempty"`
	Ms      int64  `json:"ms"`
}

// ProxyEvidence records the exchange with the proxy.
type ProxyEvidence struct {
	URL         string   `json:"url"`
	Method      string   `json:"method"` // CONNECT or absolute-form GET/HEAD
	StatusLine  string   `json:"statusLine,omitempty"`
	AuthOffered []string `json:"authOffered,omitempty"`
	AuthTried   string   `json:"authTried,omitempty"`
	// Auth is how integrated authentication (NTLM, Negotiate, Kerberos) went, when it ran.
	Auth      *ProxyAuthResult  `json:"auth,omitempty"`
	Headers   map[string]string `json:"headers,omitempty"`
	PageTitle string            `json:"pageTitle,omitempty"`
	Error     string            `json:"error,omitempty"`
	// IdleTunnel is set by --check-idle-timeout.
	IdleTunnel *IdleTunnel `json:"idleTunnel,omitempty"`
}

// ProxyAuthResult is what integrated authentication to the proxy used and, when Kerberos did
// not carry it, why.
type ProxyAuthResult struct {
	// Package is the security package that authenticated or was tried last: "Kerberos",
	// "NTLM" (inside Negotiate or alone).
	Package string `json:"package,omitempty"`
	// Principal is the client identity the package used, where it is known (SCP01$@LAB.TEST,
	// CONTOSO\SCP01$).
	Principal string `json:"principal,omitempty"`
	// SPN is the service principal name asked for (HTTP/<proxy host>); empty for NTLM alone.
	SPN string `json:"spn,omitempty"`
	// Accepted is true when the proxy let the request through after this exchange.
	Accepted bool `json:"accepted"`
	// Legs is how many tokens the client sent (NTLM needs two; one NTLM leg that the proxy
	// answered with no challenge means the proxy does not speak NTLM there).
	Legs int `json:"legs,omitempty"`
	// KerberosFailure names why Kerberos did not authenticate when Negotiate ended in NTLM
	// or failed: a reason of netprobe's (kerberos-no-spn, kerberos-no-ticket, ...).
	KerberosFailure string `json:"kerberosFailure,omitempty"`
	// KerberosDetail is that failure in words, with the next step.
	KerberosDetail string `json:"kerberosDetail,omitempty"`
}

// IdleTunnel is the outcome of holding a tunnel idle.
type IdleTunnel struct {
	IdleMs    int64  `json:"idleMs"`
	Survived  bool   `json:"survived"`
	Error     string `json:"error,omitempty"`
	ProbeHost string `json:"probeHost"`
}

// TLSEvidence records a handshake.
type TLSEvidence struct {
	SNI         string     `json:"sni"`
	Version     string     `json:"version,omitempty"`
	CipherSuite string     `json:"cipherSuite,omitempty"`
	ALPN        string     `json:"alpn,omitempty"`
	Chain       []CertInfo `json:"chain,omitempty"`
	// Verified is the verdict against the machine's trust (system roots plus --ca-file).
	Verified    bool   `json:"verified"`
	VerifyError string `json:"verifyError,omitempty"`
	// ExpectedRootsVerified is the verdict against the roots genuine endpoints chain to;
	// nil when that verification was not made.
	ExpectedRootsVerified *bool  `json:"expectedRootsVerified,omitempty"`
	Intercepted           bool   `json:"intercepted,omitempty"`
	InterceptingCA        string `json:"interceptingCa,omitempty"`
	// ECDHESuites tells whether a KB4561945 ECDHE GCM suite was negotiable (nil: not tried).
	ECDHESuites *bool  `json:"ecdheSuites,omitempty"`
	Error       string `json:"error,omitempty"`
}

// CertInfo describes one certificate of a presented chain.
type CertInfo struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
	SHA256    string    `json:"sha256"`
	DNSNames  []string  `json:"dnsNames,omitempty"`
	IsCA      bool      `json:"isCa,omitempty"`
}

// HTTPEvidence records the request(s) made and the answer.
type HTTPEvidence struct {
	Method     string         `json:"method"`
	URL        string         `json:"url"`
	StatusCode int            `json:"statusCode,omitempty"`
	StatusLine string         `json:"statusLine,omitempty"`
	Server     string         `json:"server,omitempty"`
	Redirects  []RedirectHop  `json:"redirects,omitempty"`
	BytesRead  int64          `json:"bytesRead"`
	Error      string         `json:"error,omitempty"`
	ProxyMade  bool           `json:"proxyMade,omitempty"` // the response came from the proxy itself
	Headers    map[string]any `json:"headers,omitempty"`
}

// RedirectHop is one step of a followed redirect chain.
type RedirectHop struct {
	URL        string `json:"url"`
	StatusCode int    `json:"statusCode"`
	Location   string `json:"location,omitempty"`
	Host       string `json:"host"`
}

// EntrySource is a catalog entry as the run used it (for allowlist analysis and reports).
type EntrySource struct {
	Name         string   `json:"name"`
	Kind         string   `json:"kind"`
	Ports        []int    `json:"ports"`
	Group        string   `json:"group"`
	Editions     []string `json:"editions"`
	Sources      []string `json:"sources"`
	ProbeHosts   []string `json:"probeHosts,omitempty"`
	Required     bool     `json:"required"`
	NoInspection bool     `json:"noInspection,omitempty"`
	Description  string   `json:"description,omitempty"`
	// Profile is the profile the entry comes from (empty for --endpoints files).
	Profile string `json:"profile,omitempty"`
	// Template is the templated name (<prefix>.<region>...) this entry was filled from.
	Template string `json:"template,omitempty"`
	// NotChecked says why a templated entry was not checked (the values it lacks).
	NotChecked string `json:"notChecked,omitempty"`
}

// Verdict is what the policies decided.
type Verdict struct {
	Compliant bool      `json:"compliant"`
	Deny      []Finding `json:"deny"`
	Warn      []Finding `json:"warn"`
	Waived    []Finding `json:"waived"`
}

// Finding is one deny, warn or waived result of a policy rule.
type Finding struct {
	Rule        string   `json:"rule"`
	Message     string   `json:"message"`
	Checks      []string `json:"checks,omitempty"`
	Remediation string   `json:"remediation,omitempty"`
	Source      string   `json:"source,omitempty"` // the fact sheet key or policy file behind it
	Waiver      *Waiver  `json:"waiver,omitempty"`
}

// Waiver suppresses a deny until it expires.
type Waiver struct {
	Rule    string `json:"rule"`
	Target  string `json:"target"`
	Reason  string `json:"reason"`
	Owner   string `json:"owner"`
	Expires string `json:"expires"`
}

// PreviousRun holds what a previous report said, for rules that compare runs.
type PreviousRun struct {
	Path string `json:"path"`
	Mode string `json:"mode,omitempty"`
}
