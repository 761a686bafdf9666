package cmpreflight.builtin.run_test

import data.cmpreflight.builtin.run

only(s, rule) := [f | some f in s; f.rule == rule]

test_interrupted_run_denies if {
	count(only(run.deny, "scp.run_interrupted")) == 1 with input as {"interrupted": true, "checks": []}
	count(run.deny) == 0 with input as {"interrupted": false, "checks": []}
}

test_required_site_check_not_run_denies if {
	d := run.deny with input as {"checks": [{"id": "site/rights", "kind": "site", "required": true, "status": "error", "reason": "timeout"}]}
	[f] := only(d, "scp.site_check")
	contains(f.message, "could not be checked")
	f.checks == ["site/rights"]
}

test_optional_site_check_is_quiet if {
	count(run.deny) == 0 with input as {"checks": [{"id": "site/rights", "kind": "site", "required": false, "status": "fail"}]}
}

test_idle_tunnel_dropped_warns if {
	c := {"id": "proxy/idle-tunnel", "kind": "https", "host": "sccm.manage.microsoft.com", "port": 443, "required": false, "status": "fail", "reason": "idle-closed", "proxyUrl": "http://proxy:8080", "evidence": {"proxy": {"idleTunnel": {"idleMs": 60000, "survived": false, "probeHost": "sccm.manage.microsoft.com"}}}}
	w := run.warn with input as {"checks": [c]}
	[f] := only(w, "scp.proxy_idle_timeout")
	contains(f.remediation, "3 minutes")
}

test_idle_tunnel_that_never_came_up_does_not_blame_the_idle_timeout if {
	c := {"id": "proxy/idle-tunnel", "kind": "https", "host": "sccm.manage.microsoft.com", "port": 443, "required": false, "status": "fail", "stage": "proxy-auth", "reason": "status-407", "evidence": {"proxy": {"idleTunnel": {"idleMs": 60000, "survived": false}}}}
	count(only(run.warn, "scp.proxy_idle_timeout")) == 0 with input as {"checks": [c]}
}
