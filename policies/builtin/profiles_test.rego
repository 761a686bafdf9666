package cmpreflight.builtin.profiles_test

import data.cmpreflight.builtin.endpoints
import data.cmpreflight.builtin.profiles

tmpl := {"id": "template/<prefix>.vault.azure.net", "kind": "template", "status": "skip", "required": true, "profiles": ["cmg"], "sources": ["IE-CLOUD"], "message": "not checked: no value for <prefix> (--cmg-name)", "timings": {}, "evidence": {}}

test_unfilled_required_template_warns_not_denies if {
	w := profiles.warn with input as {"checks": [tmpl]}
	[f] := [f | some f in w; f.rule == "catalog.template_unfilled"]
	contains(f.message, "--cmg-name")
	contains(f.message, "cmg")
	count(endpoints.deny) == 0 with input as {"checks": [tmpl]}
}

test_optional_template_is_quiet if {
	count(profiles.warn) == 0 with input as {"checks": [object.union(tmpl, {"required": false})]}
}

mp_proxy := {"rule": "wininet-system", "source": "none", "profiles": ["mp"], "wininet": {"keyFound": true, "enabled": false}, "winhttp": {"direct": false, "proxy": "proxy.contoso.com:8080"}}

# object.union merges recursively, so the WinHTTP-direct variant is written out whole.
mp_proxy_winhttp_direct := {"rule": "wininet-system", "source": "none", "profiles": ["mp"], "wininet": {"keyFound": true, "enabled": false}, "winhttp": {"direct": true}}

mp_check(status) := {"id": "sts.windows.net:443", "kind": "https", "status": status, "required": true, "profiles": ["mp"]}

test_mp_trap_denies_when_its_checks_fail if {
	d := profiles.deny with input as {"roleProxies": [mp_proxy], "checks": [mp_check("fail")]}
	[f] := [f | some f in d; f.rule == "mp.proxy_wininet"]
	contains(f.message, "proxy.contoso.com:8080")
	contains(f.remediation, "S-1-5-18")
}

test_mp_trap_warns_while_its_checks_pass if {
	count(profiles.deny) == 0 with input as {"roleProxies": [mp_proxy], "checks": [mp_check("pass")]}
	w := profiles.warn with input as {"roleProxies": [mp_proxy], "checks": [mp_check("pass")]}
	count([f | some f in w; f.rule == "mp.proxy_wininet"]) == 1
}

test_mp_trap_from_site_system_proxy if {
	p := mp_proxy_winhttp_direct
	w := profiles.warn with input as {"roleProxies": [p], "checks": [], "site": {"configuredProxy": {"useProxy": true, "name": "px.contoso.com", "port": 3128}}}
	[f] := [f | some f in w; f.rule == "mp.proxy_wininet"]
	contains(f.message, "px.contoso.com:3128")
}

test_mp_with_wininet_proxy_is_quiet if {
	p := object.union(mp_proxy, {"wininet": {"keyFound": true, "enabled": true, "server": "proxy.contoso.com:8080"}})
	count(profiles.deny) == 0 with input as {"roleProxies": [p], "checks": [mp_check("fail")]}
	count(profiles.warn) == 0 with input as {"roleProxies": [p], "checks": [mp_check("fail")]}
}

test_mp_both_direct_is_quiet if {
	p := mp_proxy_winhttp_direct
	count(profiles.warn) == 0 with input as {"roleProxies": [p], "checks": []}
}
