# Shared helpers of the built-in SCP policy set. This package defines no deny or warn of its
# own: the engine only collects those from the rule packages.
package cmpreflight.builtin.lib

# offline is true when the site facts say the role runs (or will run) in offline mode: it then
# never connects, and internet endpoint results become informational (SEED, "Modes").
offline if lower(input.site.mode) == "offline"

# template_check holds for a templated catalog name the run had no value for (a skipped
# check that the profiles rules judge, not the endpoint or site rules).
template_check(c) if object.get(c, "kind", "") == "template"

template_check(c) if startswith(c.id, "template/")

# network_check holds for probes of an internet endpoint (not site checks, not log findings).
network_check(c) if {
	not template_check(c)
	object.get(c, "kind", "") != "site"
	not startswith(c.id, "site/")
	not startswith(c.id, "log/")
}

# Subsets of input.checks, each gathered in one pass and cached for the whole evaluation, so
# the rules that need them do not each walk every check (20,000 checks stay fast). Arrays,
# not sets: a set of whole check objects would hash every check.
not_passing := [c | some c in input.checks; c.status != "pass"]

with_tls := [c | some c in input.checks; c.evidence.tls]

with_idle_tunnel := [c | some c in input.checks; c.evidence.proxy.idleTunnel]

# has_network_checks is true when the run probed any internet endpoint. (Rules iterate
# input.checks themselves: a set of whole check objects would hash every check.)
has_network_checks if {
	some c in input.checks
	network_check(c)
}

# hostport names a check the way an admin reads it: its id is host:port (with @direct or
# @proxy under --compare-direct).
hostport(c) := c.id

# sources is the catalog provenance of a check (fact sheet keys such as IE, SEED).
sources(c) := concat(", ", c.sources) if {
	c.sources[0]
} else := "IE"

route(c) := object.get(c, "route", "direct")

proxy_name(c) := c.proxyUrl if {
	object.get(c, "proxyUrl", "") != ""
} else := input.proxy.url if {
	object.get(input, ["proxy", "url"], "") != ""
} else := "the proxy"

# detail is "stage X, reason Y: message" with the missing parts left out.
detail(c) := sprintf("stage %s, reason %s: %s", [c.stage, c.reason, c.message]) if {
	c.message != ""
} else := sprintf("stage %s, reason %s", [c.stage, c.reason]) if {
	c.reason != ""
} else := sprintf("stage %s", [c.stage]) if {
	c.stage != ""
} else := sprintf("reason %s", [c.reason]) if {
	c.reason != ""
} else := "no stage recorded"

not_run(c) if c.status in {"error", "skip"}

# remediation says what an admin changes, by the stage where the check stopped.
remediation(c) := sprintf("re-run the check of %s; it did not complete, so nothing is known about this endpoint (%s)", [hostport(c), object.get(c, "message", "")]) if {
	not_run(c)
} else := sprintf("make %s resolvable from this server: check the DNS servers it uses (through a proxy, the proxy's resolver)", [c.host]) if {
	c.stage == "dns"
} else := sprintf("open outbound TCP to %s on the firewall so this server reaches its proxy", [proxy_name(c)]) if {
	c.stage == "connect"
	route(c) == "proxy"
} else := sprintf("open TCP %v to %s on the firewall", [c.port, c.host]) if {
	c.stage == "connect"
} else := sprintf("%s accepted the connection and the request for %s, then ended it without an answer (%s): look in the proxy's log for this request; a rule or filter there drops it without a word, or the proxy cannot reach %s (allow it, or fix the proxy's outbound access)", [proxy_name(c), hostport(c), object.get(c, "reason", ""), c.host]) if {
	c.stage == "proxy-connect"
	object.get(c, "reason", "") in {"proxy-closed", "proxy-reset", "proxy-silent"}
} else := sprintf("this server cannot reach its proxy %s (%s): open outbound TCP to it on the firewall, check its name resolves and that it is running", [proxy_name(c), object.get(c, "reason", "")]) if {
	c.stage == "proxy-connect"
	object.get(c, "reason", "") in {"refused", "timeout", "unreachable", "reset", "no-address"}
} else := sprintf("this server cannot reach its proxy %s: its name does not resolve (%s)", [proxy_name(c), object.get(c, "reason", "")]) if {
	c.stage == "proxy-connect"
	startswith(object.get(c, "reason", ""), "dns-")
} else := sprintf("%s answered the request for %s in a way no proxy should (%s): check the proxy's health and that the URL really is an HTTP proxy", [proxy_name(c), hostport(c), object.get(c, "reason", "")]) if {
	c.stage == "proxy-connect"
} else := sprintf("%s refused the credentials: let the computer account authenticate (Negotiate/NTLM) or set the site system proxy server account in ConfigMgr, then allow %s", [proxy_name(c), c.host]) if {
	c.stage == "proxy-auth"
	startswith(object.get(c, "reason", "status-"), "status-")
} else := sprintf("the authentication with %s could not complete (%s): %s", [proxy_name(c), object.get(c, "reason", ""), object.get(c, "message", "")]) if {
	c.stage == "proxy-auth"
} else := sprintf("allow %s on the proxy (%s) for port %v", [c.host, proxy_name(c), c.port]) if {
	c.stage == "proxy-denied"
} else := sprintf("the proxy %s cannot resolve %s: fix the DNS servers the proxy uses (or its forwarder) so that it resolves the name", [proxy_name(c), c.host]) if {
	c.stage == "proxy-upstream"
	object.get(c, "reason", "") == "dns"
} else := sprintf("%s answered 200 to CONNECT %s:%v, then ended the tunnel before %s sent a byte (%s): a filter on the proxy drops TLS to %s (SNI or category filtering), or the proxy could not reach it and hid that behind its 200; look in the proxy's log for this CONNECT, allow %s there and check the proxy's outbound access on port %v", [proxy_name(c), c.host, c.port, c.host, object.get(c, "reason", ""), c.host, c.host, c.port]) if {
	c.stage == "proxy-upstream"
	object.get(c, "reason", "") in {"tunnel-closed", "tunnel-reset", "tunnel-silent"}
} else := sprintf("the proxy %s could not reach %s:%v: open TCP %v to %s on the proxy's outbound firewall and check the proxy's DNS", [proxy_name(c), c.host, c.port, c.port, c.host]) if {
	c.stage == "proxy-upstream"
} else := sprintf("bypass TLS inspection for %s on the proxy or firewall (intercepting CA: %s): the role verifies Microsoft's chain", [c.host, intercepting_ca(c)]) if {
	c.stage == "tls-intercepted"
} else := sprintf("fix TLS to %s: enable TLS 1.2 for .NET (SchUseStrongCrypto=1, SystemDefaultTlsVersions=1, KB4561945) and install the required roots (DigiCert Global Root G2)", [c.host]) if {
	c.stage == "tls"
} else := sprintf("who answered for %s cannot be verified (%s): open the URL from this server and compare with the proxy's or filter's block page; if it is one, allow %s on it", [hostport(c), object.get(c, ["evidence", "origin", "lookAt"], "see the check's message"), c.host]) if {
	c.stage == "http"
	object.get(c, "reason", "") == "unverified-origin"
} else := sprintf("a filter on the path answers for %s with its own page or redirect (%s): allow %s on that filter or proxy", [hostport(c), object.get(c, "reason", ""), c.host]) if {
	c.stage == "http"
	object.get(c, "reason", "") in {"block-page", "block-redirect", "proxy-made"}
} else := sprintf("%s answered with a failure status: check the proxy is not answering for it (block page) and that %s is allowed end to end", [c.host, hostport(c)]) if {
	c.stage == "http"
} else := sprintf("check the path from this server to %s", [hostport(c)])

intercepting_ca(c) := c.evidence.tls.interceptingCa if {
	object.get(c, ["evidence", "tls", "interceptingCa"], "") != ""
} else := "unknown"

# informational turns a network finding into its offline-mode warn.
informational(f) := object.union(f, {
	"message": sprintf("offline mode, informational: %s", [f.message]),
	"remediation": sprintf("offline mode never connects from this server; the machine that runs the service connection tool with -connect needs this too: %s", [object.get(f, "remediation", "")]),
})

# same_server compares server names case-insensitively, a short name matching its FQDN.
same_server(a, b) if lower(a) == lower(b)

same_server(a, b) if startswith(lower(a), concat("", [lower(b), "."]))

same_server(a, b) if startswith(lower(b), concat("", [lower(a), "."]))
