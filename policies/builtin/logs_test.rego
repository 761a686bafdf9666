package cmpreflight.builtin.logs_test

import data.cmpreflight.builtin.logs

finding(sev) := {
	"signature": "trust-relationship",
	"severity": sev,
	"title": "Could not establish trust relationship for the SSL/TLS secure channel",
	"file": "Dmpdownloader.log",
	"count": 12,
	"firstSeen": "2026-11-01T08:00:00Z",
	"lastSeen": "2026-11-26T08:00:00Z",
	"remediation": "install DigiCert Global Root G2",
	"reference": "KB3187516",
}

test_error_finding_warns if {
	w := logs.warn with input as {"logFindings": [finding("error")]}
	[f] := [x | some x in w; x.rule == "scp.log_finding"]
	contains(f.message, "Could not establish trust relationship")
	contains(f.message, "12 time(s)")
	contains(f.message, "2026-11-01T08:00:00Z")
	contains(f.message, "2026-11-26T08:00:00Z")
	f.remediation == "install DigiCert Global Root G2"
	f.checks == ["log/trust-relationship"]
	f.source == "KB3187516"
}

test_warning_and_info_findings_are_quiet if {
	count(logs.warn) == 0 with input as {"logFindings": [finding("warning"), finding("info")]}
}
