# Trust and allowlist: the roots genuine endpoints chain to (KB3187516, G2), wildcard coverage
# and the CNAME/redirect hops a name-matching firewall must allow (IE, TS). These read
# input.trust; without it the rules say so instead of passing silently.
package cmpreflight.builtin.trust

import data.cmpreflight.builtin.lib

# METADATA
# title: Trust facts missing
# description: >-
#   The report has no trust section, so required roots, wildcard coverage and allowlist gaps
#   were not checked; supply them or turn the rule off.
# custom:
#   id: scp.facts_missing.trust
#   severity: warn
#   remediation: >-
#     Run the network checks with trust analysis so the report has a trust section, or
#     --disable-rule scp.facts_missing.trust.
#   sources: [G2]
warn contains f if {
	not input.trust
	lib.has_network_checks
	f := {
		"rule": "scp.facts_missing.trust",
		"message": "trust facts absent: required roots, wildcard coverage and allowlist gaps were not checked (the report has no trust section)",
		"checks": [],
		"remediation": "run cmpreflight with the network checks and trust analysis enabled so the report carries a trust section, or turn off rule scp.facts_missing.trust",
		"source": "G2",
	}
}

# METADATA
# title: Required roots installed
# description: >-
#   A root certificate the endpoints chain to (DigiCert Global Root G2, DigiCert Global Root CA,
#   Microsoft RSA/ECC Root CA 2017) is missing from the machine store.
# custom:
#   id: scp.required_roots
#   severity: deny
#   remediation: >-
#     Install the missing root in the machine's Trusted Root Certification Authorities store (or
#     let automatic root update run).
#   sources: [KB3187516, G2]
deny contains f if {
	some r in input.trust.roots
	r.required == true
	r.present == false
	kb := kb_of(r)
	f := {
		"rule": "scp.required_roots",
		"message": sprintf("required root %q is missing from the %s store (%s)", [r.name, store_of(r), kb]),
		"checks": [],
		"remediation": sprintf("install %q (SHA-256 %s) in the Local Computer Trusted Root Certification Authorities store, or let Windows Update fetch it (ctldl.windowsupdate.com); see %s", [r.name, object.get(r, "sha256", "?"), kb]),
		"source": kb,
	}
}

kb_of(r) := r.kb if {
	object.get(r, "kb", "") != ""
} else := "G2"

store_of(r) := r.store if {
	object.get(r, "store", "") != ""
} else := "machine"

# METADATA
# title: Wildcard never exercised
# description: >-
#   A wildcard entry of the list (e.g. *.akamaiedge.net) was not matched by any CNAME or
#   redirect hop of a real check: it is listed, not verified. When no network check passed,
#   nothing could exercise it and the failing checks say why: no warning then.
# custom:
#   id: scp.wildcard_unexercised
#   severity: warn
#   remediation: >-
#     Allow the wildcard as listed; add a concrete probe host for it with --endpoints if you
#     know one.
#   sources: [IE]
warn contains f if {
	some_check_passed
	some w in input.trust.wildcards
	w.exercised == false
	f := {
		"rule": "scp.wildcard_unexercised",
		"message": sprintf("wildcard %s was never exercised: no CNAME or redirect hop of a real check matched it, so it is listed, not verified", [w.pattern]),
		"checks": [],
		"remediation": sprintf("allow %s on the proxy or firewall as Microsoft lists it; if you know a concrete host behind it, add it as a probe in an --endpoints file", [w.pattern]),
		"source": "IE",
	}
}

# METADATA
# title: Allowlist gap on a hop
# description: >-
#   A name seen on a CNAME or redirect hop is covered by no catalog entry; a firewall matching
#   names must allow every hop.
# custom:
#   id: scp.allowlist_gap
#   severity: warn
#   remediation: >-
#     Allow the hop's name on name-matching firewalls and proxies, or confirm it is covered by
#     another rule.
#   sources: [TS]
warn contains f if {
	some g in input.trust.gaps
	f := {
		"rule": "scp.allowlist_gap",
		"message": sprintf("hop %s (%s of %s) is not covered by any catalog entry", [g.name, object.get(g, "via", "hop"), object.get(g, "check", "?")]),
		"checks": checks_of(g),
		"remediation": sprintf("allow %s on a firewall or proxy that matches names: every hop of a CNAME or redirect chain must be allowed", [g.name]),
		"source": "TS",
	}
}

checks_of(g) := [g.check] if {
	object.get(g, "check", "") != ""
} else := []

# some_check_passed holds when a network check reached its origin (only then could a hop
# exercise a wildcard).
some_check_passed if {
	some c in input.checks
	lib.network_check(c)
	c.status == "pass"
}
