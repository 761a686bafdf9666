package cmpreflight.builtin.trust_test

import data.cmpreflight.builtin.trust

net := [{"id": "go.microsoft.com:443", "host": "go.microsoft.com", "port": 443, "required": true, "status": "pass"}]

only(s, rule) := [f | some f in s; f.rule == rule]

test_trust_absent_warns if {
	w := trust.warn with input as {"checks": net}
	[f] := only(w, "scp.facts_missing.trust")
	startswith(f.message, "trust facts absent")
}

test_trust_present_no_missing_warn if {
	w := trust.warn with input as {"checks": net, "trust": {"roots": [], "gaps": [], "wildcards": []}}
	count(w) == 0
}

test_missing_required_root_denies if {
	inp := {"checks": net, "trust": {"roots": [
		{"name": "DigiCert Global Root G2", "sha256": "cb3c", "present": false, "required": true, "kb": "G2", "store": "LocalMachine\\Root"},
		{"name": "Baltimore CyberTrust Root", "present": false, "required": false, "kb": "KB3187516"},
		{"name": "Microsoft RSA Root Certificate Authority 2017", "present": true, "required": true},
	]}}
	d := trust.deny with input as inp
	[f] := only(d, "scp.required_roots")
	contains(f.message, "DigiCert Global Root G2")
	contains(f.message, "G2")
	f.source == "G2"
}

test_unexercised_wildcard_warns if {
	w := trust.warn with input as {"checks": [{"id": "go.microsoft.com:443", "kind": "https", "host": "go.microsoft.com", "port": 443, "status": "pass"}], "trust": {"wildcards": [
		{"pattern": "*.akamaiedge.net", "hosts": [], "exercised": false},
		{"pattern": "*.manage.microsoft.com", "hosts": ["sccm.manage.microsoft.com"], "exercised": true},
	]}}
	[f] := only(w, "scp.wildcard_unexercised")
	contains(f.message, "*.akamaiedge.net")
}

test_unexercised_wildcard_is_quiet_when_nothing_passed if {
	w := trust.warn with input as {"checks": [{"id": "go.microsoft.com:443", "kind": "https", "host": "go.microsoft.com", "port": 443, "status": "fail", "stage": "dns"}], "trust": {"wildcards": [
		{"pattern": "*.akamaiedge.net", "hosts": [], "exercised": false},
	]}}
	count(only(w, "scp.wildcard_unexercised")) == 0
}

test_allowlist_gap_warns_naming_hop if {
	w := trust.warn with input as {"trust": {"gaps": [{"name": "e1234.dscb.akamaiedge.example", "via": "cname", "check": "download.windowsupdate.com:443"}]}}
	[f] := only(w, "scp.allowlist_gap")
	contains(f.message, "e1234.dscb.akamaiedge.example")
	f.checks == ["download.windowsupdate.com:443"]
}
