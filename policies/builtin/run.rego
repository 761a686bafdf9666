# The run itself: an interrupted run has results missing, so it is never compliant; site
# checks that are required and did not pass deny like endpoints do; a proxy that drops an
# idle tunnel breaks the SCP's long-lived connection (IE: idle timeout of at least 3 minutes).
package cmpreflight.builtin.run

import data.cmpreflight.builtin.lib

# METADATA
# title: Run completed
# description: >-
#   An interrupted run has checks missing, so it is never compliant. A rule of cmpreflight
#   itself: no Microsoft page is its source.
# custom:
#   id: scp.run_interrupted
#   severity: deny
#   remediation: >-
#     Run cmpreflight again to completion (raise --timeout or --run-timeout if checks were cut
#     short).
#   sources: []
deny contains f if {
	input.interrupted == true
	f := {
		"rule": "scp.run_interrupted",
		"message": "the run was interrupted: some checks did not complete, so compliance is unknown",
		"checks": [],
		"remediation": "run cmpreflight again to completion (raise --timeout if checks were cut short)",
	}
}

# METADATA
# title: Required site check passed
# description: >-
#   A required site check (site/<name>) that failed or could not run is a deny.
# custom:
#   id: scp.site_check
#   severity: deny
#   remediation: >-
#     Fix what the site check reports (its message and evidence), then run cmpreflight again.
#   sources: [SEED, PORTS]
deny contains f if {
	some c in lib.not_passing
	c.required == true
	not lib.network_check(c)
	not lib.template_check(c)
	f := {
		"rule": "scp.site_check",
		"message": site_message(c),
		"checks": [c.id],
		"remediation": sprintf("fix what %s reports (see its message and evidence) and run cmpreflight again", [c.id]),
		"source": "SEED",
	}
}

site_message(c) := sprintf("required check %s could not be checked (status %s; %s)", [c.id, c.status, lib.detail(c)]) if {
	lib.not_run(c)
} else := sprintf("required check %s did not pass (status %s; %s)", [c.id, c.status, lib.detail(c)])

# METADATA
# title: Proxy idle timeout
# description: >-
#   The SCP keeps a long-lived connection to *.manage.microsoft.com; Microsoft recommends a
#   proxy idle timeout of at least 3 minutes.
# custom:
#   id: scp.proxy_idle_timeout
#   severity: warn
#   remediation: >-
#     Raise the proxy's idle timeout for *.manage.microsoft.com to at least 3 minutes.
#   sources: [IE]
warn contains f if {
	some c in lib.with_idle_tunnel
	t := c.evidence.proxy.idleTunnel
	t.survived == false
	c.status == "fail"
	c.reason == "idle-closed"
	lib.network_check(c)
	f := {
		"rule": "scp.proxy_idle_timeout",
		"message": sprintf("%s dropped an idle tunnel to %s after %v ms: the SCP keeps a long-lived connection to *.manage.microsoft.com", [lib.proxy_name(c), object.get(t, "probeHost", c.host), t.idleMs]),
		"checks": [c.id],
		"remediation": "raise the proxy's idle timeout for *.manage.microsoft.com to at least 3 minutes",
		"source": "IE",
	}
}

# The engine raises waiver.expired itself when a waiver's date has passed; the rule below only
# carries that rule's documentation, so every rule id has its metadata in the Rego.
# METADATA
# title: Waiver expired
# description: >-
#   A waiver whose expiry date has passed is ignored, and the deny it covered is back. Raised by
#   the engine (policies/waivers.go), not by a Rego rule; its documentation lives here so every
#   rule id has one source.
# custom:
#   id: waiver.expired
#   severity: warn
#   remediation: >-
#     Renew the waiver with a new expiry date, or fix the cause and remove it.
#   sources: []
waiver_expired := "waiver.expired"

# METADATA
# title: Waiver unused
# description: >-
#   A waiver (not expired) that matched no deny of the run: a typo in its rule or target, or a
#   cause fixed since. Raised by the engine (policies/waivers.go); an interrupted run reports
#   none, since it is never waived.
# custom:
#   id: waiver.unused
#   severity: warn
#   remediation: >-
#     Check the waiver's rule and target against the report's findings, or remove it if its
#     cause is fixed.
#   sources: []
waiver_unused := "waiver.unused"
