# Machine configuration the role depends on: .NET and Schannel TLS 1.2 settings (KB4561945),
# the WinHTTP proxy versus the proxy ConfigMgr configured (PX), and the service connection
# tool's basic-only proxy support (SCT).
package cmpreflight.builtin.config

tls_config := input.trust.tlsConfig

# METADATA
# title: TLS 1.2 for .NET and Schannel
# description: >-
#   The role's .NET code needs SchUseStrongCrypto and SystemDefaultTlsVersions, the Schannel TLS
#   1.2 client and the ECDHE GCM suites of KB4561945; a registry value read from this machine
#   that disables one of them is a deny.
# custom:
#   id: scp.tls_config
#   severity: deny
#   remediation: >-
#     Set SchUseStrongCrypto=1 and SystemDefaultTlsVersions=1 under
#     HKLM\SOFTWARE\Microsoft\.NETFramework\v4.0.30319 (and WOW6432Node), enable the Schannel
#     TLS 1.2 client and the KB4561945 suites, then restart.
#   sources: [KB4561945]
deny contains f if {
	tls_config.source == "windows-registry"
	not tls_config.strongCrypto
	f := {
		"rule": "scp.tls_config",
		"message": ".NET strong crypto is off on this server: the role's .NET code will not use TLS 1.2 (\"An unexpected error occurred on a send\")",
		"checks": [],
		"remediation": "set SchUseStrongCrypto=1 and SystemDefaultTlsVersions=1 (DWORD) under HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319 and HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v4.0.30319, then restart SMS_Executive",
		"source": "KB4561945",
	}
}

deny contains f if {
	tls_config.source == "windows-registry"
	tls_config.tls12Client == false
	f := {
		"rule": "scp.tls_config",
		"message": "the Schannel TLS 1.2 client protocol is disabled on this server",
		"checks": [],
		"remediation": "enable TLS 1.2 for clients: HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\Client, Enabled=1 and DisabledByDefault=0",
		"source": "KB4561945",
	}
}

deny contains f if {
	tls_config.source == "windows-registry"
	tls_config.ecdheEnabled == false
	f := {
		"rule": "scp.tls_config",
		"message": sprintf("none of the ECDHE GCM cipher suites of KB4561945 is enabled (list from %s)", [tls_config.cipherSuitesSource]),
		"checks": [],
		"remediation": "enable TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 and TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 in the SSL cipher suite order (Group Policy or the local Functions list)",
		"source": "KB4561945",
	}
}

warn contains f if {
	tls_config.source == "windows-registry"
	tls_config.ecdheEnabled == true
	tls_config.suitesEnabled == false
	f := {
		"rule": "scp.tls_config",
		"message": "only some of the four cipher suites of KB4561945 are enabled",
		"checks": [],
		"remediation": "enable all four suites of KB4561945 (two ECDHE, two DHE GCM suites) so every Microsoft endpoint can be negotiated",
		"source": "KB4561945",
	}
}

# The proxy ConfigMgr configured for the server is what the role uses; WinHTTP is what
# services running as SYSTEM use. When they disagree, one of the two paths is untested.
configured := sprintf("%s:%v", [lower(input.site.configuredProxy.name), input.site.configuredProxy.port])

# METADATA
# title: WinHTTP agrees with the ConfigMgr proxy
# description: >-
#   The proxy ConfigMgr configured for the server differs from the machine's WinHTTP setting;
#   one of the two paths is untested.
# custom:
#   id: scp.proxy_mismatch
#   severity: warn
#   remediation: >-
#     Make the site system's proxy in ConfigMgr and the machine's WinHTTP proxy (netsh winhttp
#     show proxy) the same, or run cmpreflight with each.
#   sources: [PX]
warn contains f if {
	input.site.configuredProxy.useProxy == true
	w := input.proxy.winhttp
	not winhttp_has(w, configured)
	f := {
		"rule": "scp.proxy_mismatch",
		"message": sprintf("ConfigMgr sets proxy %s for %s but this machine's WinHTTP setting says %s", [configured, input.site.scpServer, winhttp_text(w)]),
		"checks": [],
		"remediation": sprintf("make them agree (netsh winhttp set proxy %s), or run the checks with --proxy for the path you mean to test", [configured]),
		"source": "PX",
	}
}

winhttp_has(w, hp) if {
	not w.direct
	contains(lower(w.proxy), hp)
}

winhttp_text(w) := "direct access" if {
	w.direct
} else := w.proxy

# ServiceConnectionTool.exe -connect supports a basic proxy only (SCT).
# METADATA
# title: Basic proxy for the service connection tool
# description: >-
#   ServiceConnectionTool.exe -connect supports only a basic proxy; a proxy that demands NTLM or
#   Negotiate blocks it.
# custom:
#   id: scp.connect_tool_proxy
#   severity: warn
#   remediation: >-
#     Give the machine that runs the service connection tool a proxy path with basic
#     authentication or none.
#   sources: [SCT]
warn contains f if {
	input.profile == "scp-connect"
	some c in input.checks
	p := c.evidence.proxy
	needs_windows_auth(p)
	f := {
		"rule": "scp.connect_tool_proxy",
		"message": sprintf("the proxy demands %s for %s, but the service connection tool supports only a basic proxy", [concat("/", object.get(p, "authOffered", [])), c.id]),
		"checks": [c.id],
		"remediation": "give the -connect machine a proxy that allows Basic (-proxyserveruri, -proxyusername) or no authentication",
		"source": "SCT",
	}
}

needs_windows_auth(p) if p.authTried in {"ntlm", "negotiate", "kerberos"}

needs_windows_auth(p) if {
	count(object.get(p, "authOffered", [])) > 0
	not "basic" in p.authOffered
}

# METADATA
# title: Kerberos to the proxy
# description: >-
#   The role authenticates to its proxy as the computer account with Negotiate (PX). When
#   Negotiate ended in NTLM because Kerberos failed, the run works today and breaks the day the
#   domain restricts NTLM or the proxy accepts Kerberos only.
# custom:
#   id: scp.proxy_kerberos
#   severity: warn
#   remediation: >-
#     Fix the Kerberos cause the report names (the proxy's SPN registered with setspn, a ticket
#     for the computer account, a reachable domain controller, the clock), then run again with
#     --proxy-auth kerberos to prove it.
#   sources: [PX]
warn contains f if {
	some spn, cause
	ntlm_fallbacks[[spn, cause]]
	ids := sort([c.id | some c in input.checks; fell_back(c, spn, cause)])
	detail := [d | some c in input.checks; fell_back(c, spn, cause); d := object.get(c.evidence.proxy.auth, "kerberosDetail", "")][0]
	f := {
		"rule": "scp.proxy_kerberos",
		"message": sprintf("Negotiate to the proxy ended in NTLM because Kerberos failed for %s (%s): %s", [spn_text(spn), cause, detail]),
		"checks": ids,
		"remediation": "fix the Kerberos cause named here, then prove it with --proxy-auth kerberos: the run breaks the day the domain restricts NTLM",
		"source": "PX",
	}
}

ntlm_fallbacks contains [spn, cause] if {
	some c in input.checks
	a := c.evidence.proxy.auth
	a.package == "NTLM"
	cause := a.kerberosFailure
	spn := object.get(a, "spn", "")
}

fell_back(c, spn, cause) if {
	a := c.evidence.proxy.auth
	a.package == "NTLM"
	a.kerberosFailure == cause
	object.get(a, "spn", "") == spn
}

spn_text(spn) := spn if spn != ""

else := "the proxy"
