# Logs (section 5 of the fact sheet): an error signature found in the role's logs
# (Dmpdownloader.log, Dmpuploader.log, ...) is reported with what to do about it.
package cmpreflight.builtin.logs

# METADATA
# title: Error found in the role's logs
# description: >-
#   An error signature found in Dmpdownloader.log, Dmpuploader.log or the other role logs, with
#   how often and when it was seen.
# custom:
#   id: scp.log_finding
#   severity: warn
#   remediation: >-
#     Apply the fix given with the signature (trust roots, TLS 1.2, proxy rights or name
#     resolution), then watch the log for the next sync.
#   sources: [KB3187516, KB4561945, G2]
warn contains f if {
	some l in input.logFindings
	l.severity == "error"
	f := {
		"rule": "scp.log_finding",
		"message": sprintf("%s: %v time(s) in %s, first seen %s, last seen %s", [l.title, l.count, object.get(l, "file", "?"), object.get(l, "firstSeen", "?"), object.get(l, "lastSeen", "?")]),
		"checks": [sprintf("log/%s", [l.signature])],
		"remediation": object.get(l, "remediation", ""),
		"source": source(l),
	}
}

source(l) := l.reference if {
	object.get(l, "reference", "") != ""
} else := "logs"
