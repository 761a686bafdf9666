package cmpreflight.builtin.config_test

import data.cmpreflight.builtin.config

only(s, rule) := [f | some f in s; f.rule == rule]

win(over) := {"trust": {"tlsConfig": object.union({"source": "windows-registry", "strongCrypto": true, "tls12Client": true, "cipherSuitesSource": "os-default", "suitesEnabled": true, "ecdheEnabled": true}, over)}}

test_good_windows_tls_config_is_silent if {
	count(config.deny) == 0 with input as win({})
	count(config.warn) == 0 with input as win({})
}

test_strong_crypto_off_denies if {
	[f] := only(config.deny, "scp.tls_config") with input as win({"strongCrypto": false})
	contains(f.remediation, "SchUseStrongCrypto=1")
	f.source == "KB4561945"
}

test_no_ecdhe_denies_and_partial_warns if {
	count(only(config.deny, "scp.tls_config")) == 1 with input as win({"ecdheEnabled": false, "suitesEnabled": false})
	count(only(config.warn, "scp.tls_config")) == 1 with input as win({"suitesEnabled": false})
}

test_not_windows_is_silent if {
	count(config.deny) == 0 with input as {"trust": {"tlsConfig": {"source": "not-windows", "strongCrypto": false}}}
}

site_proxy := {"scpServer": "scp01.contoso.com", "configuredProxy": {"useProxy": true, "name": "Proxy.contoso.com", "port": 8080}}

test_winhttp_direct_differs_from_configmgr if {
	[f] := only(config.warn, "scp.proxy_mismatch") with input as {"site": site_proxy, "proxy": {"winhttp": {"direct": true}}}
	contains(f.message, "proxy.contoso.com:8080")
	contains(f.message, "direct access")
}

test_winhttp_same_proxy_is_silent if {
	count(only(config.warn, "scp.proxy_mismatch")) == 0 with input as {"site": site_proxy, "proxy": {"winhttp": {"direct": false, "proxy": "proxy.contoso.com:8080"}}}
}

test_connect_profile_warns_on_ntlm_proxy if {
	c := {"id": "download.microsoft.com:443", "evidence": {"proxy": {"authOffered": ["ntlm"], "authTried": "ntlm"}}}
	[f] := only(config.warn, "scp.connect_tool_proxy") with input as {"profile": "scp-connect", "checks": [c]}
	contains(f.message, "basic")
	count(only(config.warn, "scp.connect_tool_proxy")) == 0 with input as {"profile": "scp", "checks": [c]}
	b := {"id": "x:443", "evidence": {"proxy": {"authOffered": ["basic"], "authTried": "basic"}}}
	count(only(config.warn, "scp.connect_tool_proxy")) == 0 with input as {"profile": "scp-connect", "checks": [b]}
}

test_negotiate_that_fell_back_to_ntlm_warns_with_its_cause if {
	a := {"package": "NTLM", "spn": "HTTP/proxy.lab.test", "accepted": true, "kerberosFailure": "kerberos-no-spn", "kerberosDetail": "the KDC knows no service principal HTTP/proxy.lab.test"}
	c1 := {"id": "a:443", "status": "pass", "evidence": {"proxy": {"authTried": "negotiate", "auth": a}}}
	c2 := {"id": "b:443", "status": "pass", "evidence": {"proxy": {"authTried": "negotiate", "auth": a}}}
	[f] := only(config.warn, "scp.proxy_kerberos") with input as {"checks": [c1, c2]}
	f.checks == ["a:443", "b:443"]
	contains(f.message, "kerberos-no-spn")
	contains(f.message, "HTTP/proxy.lab.test")
}

test_kerberos_or_plain_ntlm_is_silent if {
	k := {"id": "a:443", "evidence": {"proxy": {"auth": {"package": "Kerberos", "spn": "HTTP/p", "accepted": true}}}}
	n := {"id": "b:443", "evidence": {"proxy": {"authTried": "ntlm", "auth": {"package": "NTLM", "accepted": true}}}}
	count(only(config.warn, "scp.proxy_kerberos")) == 0 with input as {"checks": [k, n]}
}
