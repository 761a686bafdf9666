package policies

// RuleInfo describes one built-in rule id, for reports (SARIF rule help) and documentation.
type RuleInfo struct {
	ID     string
	Title  string
	Help   string
	Source string // fact sheet key(s) of ../shared/docs/scp-facts.md, or "design"
}

var builtinRules = []RuleInfo{
	{"scp.endpoint_reachable", "Required endpoint reachable",
		"Every check required by the run's edition must pass: a required internet endpoint that failed, or that could not be checked (error, skip), is a deny. In offline mode it is reported as a warn, because the role never connects.", "SEED, IE"},
	{"scp.other_edition", "Endpoint of the other edition",
		"A failing check that only the other edition of Microsoft's list requires warns, naming that edition (SEED 2018: 443 and 80 to every location; current: 443, and 80 for revocation).", "SEED, IE"},
	{"scp.tls12", "TLS 1.2 or later",
		"The service connection point and the service connection tool need TLS 1.2 (.NET SchUseStrongCrypto=1, SystemDefaultTlsVersions=1); an endpoint that negotiated an older version is a deny.", "KB4561945, IE"},
	{"scp.no_interception", "No TLS interception",
		"A proxy or firewall that terminates TLS with its own CA breaks the chain the role verifies; bypass inspection for the endpoint.", "KB3187516, G2"},
	{"scp.direct_path", "Direct path (information)",
		"Under --compare-direct, a target the role reaches through its proxy is also probed directly; a direct failure is information for the network team.", "PX"},
	{"scp.tls_config", "TLS 1.2 for .NET and Schannel",
		"The role's .NET code needs SchUseStrongCrypto and SystemDefaultTlsVersions, the Schannel TLS 1.2 client and the ECDHE GCM suites of KB4561945.", "KB4561945"},
	{"scp.proxy_mismatch", "WinHTTP agrees with the ConfigMgr proxy",
		"The proxy ConfigMgr configured for the server differs from the machine's WinHTTP setting; one of the two paths is untested.", "PX"},
	{"scp.connect_tool_proxy", "Basic proxy for the service connection tool",
		"ServiceConnectionTool.exe -connect supports only a basic proxy; a proxy that demands NTLM or Negotiate blocks it.", "SCT"},
	{"scp.tls_suites", "KB4561945 cipher suites",
		"None of the ECDHE GCM cipher suites KB4561945 lists could be negotiated with the endpoint.", "KB4561945"},
	{"scp.facts_missing.trust", "Trust facts missing",
		"The report has no trust section, so required roots, wildcard coverage and allowlist gaps were not checked; supply them or turn the rule off.", "G2"},
	{"scp.required_roots", "Required roots installed",
		"A root certificate the endpoints chain to (DigiCert Global Root G2, DigiCert Global Root CA, Microsoft RSA/ECC Root CA 2017) is missing from the machine store.", "KB3187516, G2"},
	{"scp.wildcard_unexercised", "Wildcard never exercised",
		"A wildcard entry of the list (e.g. *.akamaiedge.net) was not matched by any CNAME or redirect hop of a real check: it is listed, not verified.", "IE"},
	{"scp.allowlist_gap", "Allowlist gap on a hop",
		"A name seen on a CNAME or redirect hop is covered by no catalog entry; a firewall matching names must allow every hop.", "TS"},
	{"scp.facts_missing.site", "Site facts missing",
		"Without site facts (--inventory or --adminservice) placement, single instance, remote rights and mode were not checked.", "SEED"},
	{"scp.top_level", "Top-level site only",
		"The service connection point goes only on the central administration site or a stand-alone primary.", "SEED"},
	{"scp.cas_placement", "No service connection point left on a primary under a CAS",
		"In a hierarchy with a CAS the role belongs on the CAS: uninstall it from the primary first, then install it at the CAS.", "SEED"},
	{"scp.single_instance", "One instance per hierarchy",
		"A hierarchy has one service connection point; another SMS Dmp Connector on a different server would be a second instance.", "SEED, WMI"},
	{"scp.site_expansion", "No site expansion in progress",
		"A site in Mode 5 is being expanded into a hierarchy; wait for it, then place the role at the CAS.", "SEED, WMI"},
	{"scp.remote_rights", "Remote host rights",
		"When the SCP host is remote, the site server's computer account or the site system installation account must be a local administrator there and open its ADMIN$ share.", "SEED, PORTS"},
	{"scp.remote_ports", "Remote host ports",
		"The site server reaches a remote SCP host over SMB TCP 445 and RPC TCP 135 (plus the RPC dynamic ports).", "PORTS"},
	{"scp.install_account", "Site system installation account",
		"A remote SCP host should have a site system installation account (or the site server's computer account as local administrator): the distribution manager uses it to transfer updates.", "SEED"},
	{"scp.offline_mode", "Offline mode",
		"In offline mode the role never connects: internet endpoint results are informational and updates are imported with the service connection tool.", "SEED, SCT"},
	{"scp.intune_offline", "No offline mode with an Intune subscription",
		"An Intune subscription forces online mode; offline is not supported with it.", "SEED"},
	{"scp.mode_changed", "Mode changed since the previous report",
		"After switching between online and offline, restart the SMS_DMP_DOWNLOADER thread of SMS_Executive.", "SEED"},
	{"scp.log_finding", "Error found in the role's logs",
		"An error signature found in Dmpdownloader.log, Dmpuploader.log or the other role logs, with how often and when it was seen.", "KB3187516, KB4561945, G2"},
	{"scp.run_interrupted", "Run completed",
		"An interrupted run has checks missing, so it is never compliant.", "design"},
	{"scp.site_check", "Required site check passed",
		"A required site check (site/<name>) that failed or could not run is a deny.", "SEED, PORTS"},
	{"scp.proxy_idle_timeout", "Proxy idle timeout",
		"The SCP keeps a long-lived connection to *.manage.microsoft.com; Microsoft recommends a proxy idle timeout of at least 3 minutes.", "IE"},
	{WaiverExpiredRule, "Waiver expired",
		"A waiver whose expiry date has passed is ignored, and the deny it covered is back; renew it or fix the cause.", "design"},
}

// BuiltinRules lists every rule id the built-in policies and the engine can produce.
func BuiltinRules() []RuleInfo {
	out := make([]RuleInfo, len(builtinRules))
	copy(out, builtinRules)
	return out
}
