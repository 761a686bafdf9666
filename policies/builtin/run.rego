# The run itself: an interrupted run has results missing, so it is never compliant; site
# checks that are required and did not pass deny like endpoints do; a proxy that drops an
# idle tunnel breaks the SCP's long-lived connection (IE: idle timeout of at least 3 minutes).
package cmpreflight.builtin.run

import data.cmpreflight.builtin.lib

deny contains f if {
	input.interrupted == true
	f := {
		"rule": "scp.run_interrupted",
		"message": "the run was interrupted: some checks did not complete, so compliance is unknown",
		"checks": [],
		"remediation": "run cmpreflight again to completion (raise --timeout if checks were cut short)",
		"source": "design",
	}
}

deny contains f if {
	some c in lib.not_passing
	c.required == true
	not lib.network_check(c)
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
