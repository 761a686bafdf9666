# Profiles: the templated catalog names a run could not fill, and each role's own proxy
# (the internet access page of 2026-06-08, IE-*; the proxy page for the management point, PX-MP).
package cmpreflight.builtin.profiles

# METADATA
# title: Templated endpoint not checked
# description: >-
#   A required catalog name is written from values the run was not given (the CMG's name and
#   region, ...). It is listed as a skipped check, never passed: the run cannot say whether
#   the role reaches it.
# custom:
#   id: catalog.template_unfilled
#   severity: warn
#   remediation: >-
#     Give the value the message names (--cmg-name, --cmg-region, --logic-app-host,
#     --upstream-sup, or the same key in the config file) and run again.
#   sources: [IE-CLOUD]
warn contains {
	"rule": "catalog.template_unfilled",
	"message": sprintf("%s (profiles %s) %s", [trim_prefix(c.id, "template/"), concat(", ", object.get(c, "profiles", [])), c.message]),
	"checks": [c.id],
	"remediation": "give the value named in the message and run again",
	"source": concat(", ", object.get(c, "sources", [])),
} if {
	some c in input.checks
	c.kind == "template"
	c.status == "skip"
	c.required == true
}

# The management point (2603 and later) takes its proxy from Local System's WinINET settings
# only. The classic trap: WinHTTP (or the site system proxy) names a proxy, so the network
# allows nothing direct, while Local System's WinINET has none, so MISE token validation
# goes direct and fails (MISE12034).
wininet_direct(p) if not p.wininet.enabled

wininet_direct(p) if p.wininet.server == ""

other_proxy(p) := sprintf("WinHTTP uses %s", [p.winhttp.proxy]) if {
	p.winhttp.proxy != ""
} else := sprintf("the site system proxy is %s:%d", [input.site.configuredProxy.name, input.site.configuredProxy.port]) if {
	input.site.configuredProxy.useProxy == true
}

mp_failed if {
	some c in input.checks
	"mp" in object.get(c, "profiles", [])
	c.required == true
	c.status != "pass"
}

mismatch(p) := {
	"rule": "mp.proxy_wininet",
	"message": sprintf("the management point takes its proxy from Local System's WinINET settings, which have none, but %s: its Entra token validation (login.microsoftonline.com, sts.windows.net) goes direct", [other_proxy(p)]),
	"checks": [],
	"remediation": "set ProxyEnable=1 and ProxyServer=host:port (and ProxyOverride if needed) under HKEY_USERS\\S-1-5-18\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings on the management point, then restart SMS_EXECUTIVE",
	"source": "PX-MP",
}

# METADATA
# title: Management point proxy (Local System WinINET)
# description: >-
#   The management point of version 2603 and later validates Entra tokens through Local
#   System's WinINET proxy, not the site system proxy nor WinHTTP. When those name a proxy and
#   WinINET has none, its token validation goes direct: a deny when the management point's
#   required checks failed, a warn while they pass.
# custom:
#   id: mp.proxy_wininet
#   severity: deny
#   remediation: >-
#     Set the proxy in HKEY_USERS\S-1-5-18\Software\Microsoft\Windows\CurrentVersion\Internet
#     Settings (ProxyEnable=1, ProxyServer=host:port, ProxyOverride), then restart SMS_EXECUTIVE.
#   sources: [PX-MP, IE-MP]
deny contains mismatch(p) if {
	some p in object.get(input, "roleProxies", [])
	p.rule == "wininet-system"
	p.wininet
	wininet_direct(p)
	other_proxy(p)
	mp_failed
}

warn contains mismatch(p) if {
	some p in object.get(input, "roleProxies", [])
	p.rule == "wininet-system"
	p.wininet
	wininet_direct(p)
	other_proxy(p)
	not mp_failed
}
