# TLS: the role and the service connection tool need TLS 1.2 (KB4561945, IE for
# configmgrbits.*), and a TLS-inspecting proxy breaks the chain the role verifies (KB3187516,
# G2: "Could not establish trust relationship", "Fail to build chain").
package cmpreflight.builtin.tls

import data.cmpreflight.builtin.lib

good_versions := {"1.2", "1.3"}

# version_number reduces "TLS 1.2", "TLSv1.2", "tls1.2" to "1.2".
version_number(v) := trim_space(replace(replace(replace(lower(v), "tlsv", ""), "tls", ""), " ", ""))

# METADATA
# title: TLS 1.2 or later
# description: >-
#   The service connection point and the service connection tool need TLS 1.2 (.NET
#   SchUseStrongCrypto=1, SystemDefaultTlsVersions=1); an endpoint that negotiated an older
#   version is a deny.
# custom:
#   id: scp.tls12
#   severity: deny
#   remediation: >-
#     Enable TLS 1.2 for .NET and Schannel on this server (KB4561945) and remove any device that
#     downgrades the connection.
#   sources: [KB4561945, IE]
findings contains f if {
	some c in lib.with_tls
	v := c.evidence.tls.version
	not v in {"TLS 1.2", "TLS 1.3"}
	v != ""
	c.status == "pass"
	not version_number(v) in good_versions
	lib.network_check(c)
	f := {
		"rule": "scp.tls12",
		"message": sprintf("%s negotiated %s: the service connection point needs TLS 1.2 or later", [lib.hostport(c), v]),
		"checks": [c.id],
		"remediation": "enable TLS 1.2 for .NET on this server: SchUseStrongCrypto=1 and SystemDefaultTlsVersions=1 under HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319 (and WOW6432Node), with the ECDHE GCM cipher suites of KB4561945 enabled",
		"source": "KB4561945",
	}
}

intercepted contains c if {
	some c in lib.with_tls
	c.evidence.tls.intercepted == true
	lib.network_check(c)
}

intercepted contains c if {
	some c in lib.not_passing
	c.stage == "tls-intercepted"
	lib.network_check(c)
}

# METADATA
# title: No TLS interception
# description: >-
#   A proxy or firewall that terminates TLS with its own CA breaks the chain the role verifies;
#   bypass inspection for the endpoint.
# custom:
#   id: scp.no_interception
#   severity: deny
#   remediation: >-
#     Bypass TLS inspection for the endpoint on the proxy or firewall that re-signs it.
#   sources: [KB3187516, G2]
findings contains f if {
	some c in intercepted
	f := {
		"rule": "scp.no_interception",
		"message": sprintf("%s is intercepted: TLS is terminated by %s instead of Microsoft's certificate chain", [lib.hostport(c), lib.intercepting_ca(c)]),
		"checks": [c.id],
		"remediation": sprintf("bypass TLS inspection for %s on the proxy or firewall (intercepting CA: %s); the role verifies Microsoft's chain and the signatures of what it downloads", [c.host, lib.intercepting_ca(c)]),
		"source": "KB3187516, G2",
	}
}

deny contains f if {
	not lib.offline
	some f in findings
}

warn contains lib.informational(f) if {
	lib.offline
	some f in findings
}

# A Go client can only offer KB4561945's ECDHE suites; none negotiable is a warn (the DHE
# ones can only be read from the Windows configuration).
# METADATA
# title: KB4561945 cipher suites
# description: >-
#   None of the ECDHE GCM cipher suites KB4561945 lists could be negotiated with the endpoint.
# custom:
#   id: scp.tls_suites
#   severity: warn
#   remediation: >-
#     Enable the KB4561945 cipher suites and make sure no TLS-terminating device restricts them.
#   sources: [KB4561945]
warn contains f if {
	some c in lib.with_tls
	c.evidence.tls.ecdheSuites == false
	lib.network_check(c)
	f := {
		"rule": "scp.tls_suites",
		"message": sprintf("%s accepted none of the ECDHE GCM cipher suites KB4561945 lists (TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)", [lib.hostport(c)]),
		"checks": [c.id],
		"remediation": "enable the KB4561945 cipher suites on this server and make sure no TLS-terminating device between it and Microsoft restricts them",
		"source": "KB4561945",
	}
}
