# Internet endpoints: every required check passes (docs/design.md, "What is probed and what is
# required"; SEED and IE list the endpoints). A check that could not run is never compliant.
package cmpreflight.builtin.endpoints

import data.cmpreflight.builtin.lib

unreachable(c) if {
	c.status != "pass"
	c.required == true
	lib.network_check(c)
}

# reach is the finding of a required network check that did not pass.
# METADATA
# title: Required endpoint reachable
# description: >-
#   Every check required by the run's edition must pass: a required internet endpoint that
#   failed, or that could not be checked (error, skip), is a deny. In offline mode it is
#   reported as a warn, because the role never connects.
# custom:
#   id: scp.endpoint_reachable
#   severity: deny
#   remediation: >-
#     Follow the finding's remediation: it names what to open or fix for the stage where the
#     check stopped (DNS, firewall, proxy rule, proxy authentication, TLS inspection).
#   sources: [SEED, IE]
reach(c) := {
	"rule": "scp.endpoint_reachable",
	"message": reach_message(c),
	"checks": [c.id],
	"remediation": lib.remediation(c),
	"source": lib.sources(c),
}

reach_message(c) := sprintf("%s could not be checked (status %s; %s): a required endpoint is never assumed reachable", [lib.hostport(c), c.status, lib.detail(c)]) if {
	lib.not_run(c)
} else := sprintf("%s is not reachable over the %s route (%s)", [lib.hostport(c), lib.route(c), lib.detail(c)]) if {
	c.status == "fail"
} else := sprintf("%s is required and did not pass (status %s; %s)", [lib.hostport(c), c.status, lib.detail(c)])

deny contains reach(c) if {
	some c in lib.not_passing
	unreachable(c)
	not lib.offline
}

# In offline mode the role never connects: the endpoints only matter to the machine that
# runs the service connection tool, so they are reported, not denied.
warn contains lib.informational(reach(c)) if {
	some c in lib.not_passing
	unreachable(c)
	lib.offline
}

# Under --compare-direct, the direct probe of a target the role reaches through its proxy is
# information for the network team: it warns as such, never as an edition matter.
# METADATA
# title: Direct path (information)
# description: >-
#   Under --compare-direct, a target the role reaches through its proxy is also probed directly;
#   a direct failure is information for the network team.
# custom:
#   id: scp.direct_path
#   severity: warn
#   remediation: >-
#     Nothing to do for the role; open the direct path only if the proxy is to be removed.
#   sources: [PX]
warn contains f if {
	some c in lib.not_passing
	c.required == false
	lib.network_check(c)
	endswith(c.id, "@direct")
	f := {
		"rule": "scp.direct_path",
		"message": sprintf("%s is not reachable directly (%s); the role goes through the proxy, so this is information only", [lib.hostport(c), lib.detail(c)]),
		"checks": [c.id],
		"remediation": "nothing to do for the role; open the direct path only if the proxy is to be removed",
		"source": "PX",
	}
}

# A check that only the other edition of Microsoft's list requires is information, not a
# finding: the admin did not ask for that edition. Reports list such checks apart
# (diagnosis level "info"); --edition all makes them required.
