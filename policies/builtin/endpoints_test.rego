package cmpreflight.builtin.endpoints_test

import data.cmpreflight.builtin.endpoints

chk(over) := object.union({"id": "go.microsoft.com:443", "kind": "https", "host": "go.microsoft.com", "port": 443, "route": "direct", "required": true, "status": "pass", "sources": ["IE"]}, over)

only(s, rule) := [f | some f in s; f.rule == rule]

test_required_pass_is_compliant if {
	count(endpoints.deny) == 0 with input as {"edition": "current", "checks": [chk({})]}
}

test_required_fail_denies_with_stage_remediation if {
	d := endpoints.deny with input as {"checks": [chk({"status": "fail", "stage": "connect", "reason": "timeout"})]}
	[f] := only(d, "scp.endpoint_reachable")
	f.checks == ["go.microsoft.com:443"]
	contains(f.message, "go.microsoft.com:443")
	contains(f.message, "stage connect")
	contains(f.message, "reason timeout")
	f.remediation == "open TCP 443 to go.microsoft.com on the firewall"
	f.source == "IE"
}

test_proxy_denied_remediation if {
	d := endpoints.deny with input as {"checks": [chk({"status": "fail", "stage": "proxy-denied", "route": "proxy", "proxyUrl": "http://proxy.contoso.com:8080"})]}
	[f] := only(d, "scp.endpoint_reachable")
	startswith(f.remediation, "allow go.microsoft.com on the proxy")
	contains(f.remediation, "proxy.contoso.com")
}

test_remediation_per_stage if {
	stages := {
		"dns": "resolvable",
		"proxy-auth": "site system proxy server account",
		"proxy-upstream": "proxy's outbound firewall",
		"proxy-connect": "in a way no proxy should",
		"tls": "TLS 1.2",
		"tls-intercepted": "bypass TLS inspection",
		"http": "failure status",
	}
	every stage, want in stages {
		d := endpoints.deny with input as {"checks": [chk({"status": "fail", "stage": stage})]}
		some f in d
		contains(f.remediation, want)
	}
}

test_proxy_unreachable_says_so if {
	d := endpoints.deny with input as {"checks": [chk({"status": "fail", "stage": "proxy-connect", "reason": "refused", "route": "proxy", "proxyUrl": "http://p.contoso.com:3128"})]}
	some f in d
	contains(f.remediation, "cannot reach its proxy http://p.contoso.com:3128")
	e := endpoints.deny with input as {"checks": [chk({"status": "fail", "stage": "proxy-auth", "reason": "connection-closed", "route": "proxy"})]}
	some g in e
	contains(g.remediation, "could not complete")
}

# A proxy that ended the tunnel after its 200, or took the request and said nothing, gets the
# proxy's advice: never TLS settings or roots, never "cannot reach its proxy".
test_proxy_that_ends_the_exchange_is_named if {
	cases := {
		"tunnel-closed": "proxy-upstream",
		"tunnel-reset": "proxy-upstream",
		"tunnel-silent": "proxy-upstream",
		"proxy-closed": "proxy-connect",
		"proxy-reset": "proxy-connect",
		"proxy-silent": "proxy-connect",
	}
	every reason, stage in cases {
		d := endpoints.deny with input as {"checks": [chk({"status": "fail", "stage": stage, "reason": reason, "route": "proxy", "proxyUrl": "http://p.contoso.com:3128"})]}
		[f] := only(d, "scp.endpoint_reachable")
		contains(f.remediation, "proxy's log")
		contains(f.remediation, reason)
		not contains(f.remediation, "TLS 1.2")
		not contains(f.remediation, "DigiCert")
		not contains(f.remediation, "cannot reach its proxy")
	}
}

test_connect_through_proxy_names_proxy if {
	d := endpoints.deny with input as {"proxy": {"url": "http://p.contoso.com:3128"}, "checks": [chk({"status": "fail", "stage": "connect", "route": "proxy"})]}
	some f in d
	contains(f.remediation, "http://p.contoso.com:3128")
}

test_error_and_skip_deny_as_not_checked if {
	every status in ["error", "skip"] {
		d := endpoints.deny with input as {"checks": [chk({"status": status})]}
		[f] := only(d, "scp.endpoint_reachable")
		contains(f.message, "could not be checked")
	}
}

test_required_warn_status_denies if {
	d := endpoints.deny with input as {"checks": [chk({"status": "warn"})]}
	count(only(d, "scp.endpoint_reachable")) == 1
}

test_other_edition_is_information if {
	inp := {"edition": "current", "checks": [chk({"id": "go.microsoft.com:80", "port": 80, "required": false, "requiredIn": ["seed"], "status": "fail", "stage": "connect"})]}
	count(endpoints.deny) == 0 with input as inp
	count(endpoints.warn) == 0 with input as inp
}

test_site_checks_are_not_endpoints if {
	d := endpoints.deny with input as {"checks": [{"id": "site/placement", "kind": "site", "required": true, "status": "fail"}]}
	count(d) == 0
}

test_offline_mode_turns_denies_into_warns if {
	inp := {"site": {"mode": "offline"}, "checks": [chk({"status": "fail", "stage": "proxy-denied"})]}
	count(endpoints.deny) == 0 with input as inp
	w := endpoints.warn with input as inp
	[f] := only(w, "scp.endpoint_reachable")
	startswith(f.message, "offline mode, informational")
	contains(f.remediation, "service connection tool")
}

test_compare_direct_direct_failure_is_information if {
	c := chk({"id": "go.microsoft.com:443@direct", "status": "fail", "stage": "connect", "reason": "refused", "required": false, "requiredIn": ["current"], "route": "direct"})
	w := endpoints.warn with input as {"checks": [c]}
	[f] := only(w, "scp.direct_path")
	contains(f.message, "information only")
	count(endpoints.deny) == 0 with input as {"checks": [c]}
}

# A port-80 answer no proof anchored in verified TLS backs is a warn (unverified-origin): for a
# required endpoint it denies, and the fix says what to compare, never that it passed.
test_unproven_port80_denies_with_what_to_compare if {
	c := chk({"id": "download.microsoft.com:80", "kind": "http", "host": "download.microsoft.com", "port": 80, "status": "warn", "stage": "http", "reason": "unverified-origin", "evidence": {"origin": {"origin": false, "by": "no-proof", "lookAt": "open http://download.microsoft.com/ and https://download.microsoft.com/ from this server"}}})
	d := endpoints.deny with input as {"checks": [c]}
	[f] := only(d, "scp.endpoint_reachable")
	f.checks == ["download.microsoft.com:80"]
	contains(f.remediation, "cannot be verified")
	contains(f.remediation, "https://download.microsoft.com/")
}

# A port-80 pass carrying its proof is compliant.
test_proven_port80_pass_is_compliant if {
	c := chk({"id": "download.microsoft.com:80", "kind": "http", "port": 80, "evidence": {"origin": {"origin": true, "by": "https-match"}}})
	count(endpoints.deny) == 0 with input as {"edition": "current", "checks": [c]}
}
