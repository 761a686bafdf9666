package cmpreflight.builtin.tls_test

import data.cmpreflight.builtin.tls

chk(tlsev) := {"id": "configmgrbits.azureedge.net:443", "host": "configmgrbits.azureedge.net", "port": 443, "required": true, "status": "pass", "evidence": {"tls": tlsev}}

only(s, rule) := [f | some f in s; f.rule == rule]

test_tls12_and_13_pass if {
	every v in ["TLS 1.2", "TLS 1.3", "TLSv1.2"] {
		count(tls.deny) == 0 with input as {"checks": [chk({"version": v})]}
	}
}

test_old_tls_denies if {
	every v in ["TLS 1.0", "TLS 1.1", "SSL 3.0"] {
		d := tls.deny with input as {"checks": [chk({"version": v})]}
		[f] := only(d, "scp.tls12")
		contains(f.message, v)
		contains(f.message, "configmgrbits.azureedge.net:443")
		contains(f.remediation, "SchUseStrongCrypto")
		f.source == "KB4561945"
	}
}

test_interception_denies_naming_ca if {
	d := tls.deny with input as {"checks": [chk({"version": "TLS 1.2", "intercepted": true, "interceptingCa": "Contoso Inspection CA"})]}
	[f] := only(d, "scp.no_interception")
	contains(f.remediation, "bypass TLS inspection for configmgrbits.azureedge.net")
	contains(f.remediation, "Contoso Inspection CA")
}

test_intercepted_stage_denies if {
	c := object.union(chk({}), {"status": "fail", "stage": "tls-intercepted"})
	d := tls.deny with input as {"checks": [c]}
	count(only(d, "scp.no_interception")) == 1
}

test_offline_tls_findings_warn if {
	inp := {"site": {"mode": "offline"}, "checks": [chk({"version": "TLS 1.0"})]}
	count(tls.deny) == 0 with input as inp
	count(only(tls.warn, "scp.tls12")) == 1 with input as inp
}

test_no_ecdhe_suites_warns if {
	w := tls.warn with input as {"checks": [chk({"version": "TLS 1.2", "ecdheSuites": false})]}
	count(only(w, "scp.tls_suites")) == 1
}
