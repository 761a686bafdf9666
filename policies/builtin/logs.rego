# Logs (section 5 of the fact sheet): an error signature found in the role's logs
# (Dmpdownloader.log, Dmpuploader.log, ...) is reported with what to do about it.
package cmpreflight.builtin.logs

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
