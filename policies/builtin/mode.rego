# Mode (SEED, SCT): online checks for updates every 24 hours; offline never connects and
# updates are imported with the service connection tool; an Intune subscription forces online
# mode; after a mode change the SMS_DMP_DOWNLOADER thread must be restarted.
package cmpreflight.builtin.mode

import data.cmpreflight.builtin.lib

# METADATA
# title: Offline mode
# description: >-
#   In offline mode the role never connects: internet endpoint results are informational and
#   updates are imported with the service connection tool.
# custom:
#   id: scp.offline_mode
#   severity: warn
#   remediation: >-
#     Run the service connection tool with -connect on a machine that reaches the endpoints, and
#     import its download on the site.
#   sources: [SEED, SCT]
warn contains f if {
	lib.offline
	f := {
		"rule": "scp.offline_mode",
		"message": "offline mode: the service connection point never connects, so the internet endpoint results are informational",
		"checks": [],
		"remediation": "import updates with the service connection tool (-prepare on the SCP, -connect on an internet-connected machine that reaches the same endpoints with TLS 1.2, -import on the SCP)",
		"source": "SEED, SCT",
	}
}

# METADATA
# title: No offline mode with an Intune subscription
# description: >-
#   An Intune subscription forces online mode; offline is not supported with it.
# custom:
#   id: scp.intune_offline
#   severity: deny
#   remediation: >-
#     Switch the service connection point to online mode, or remove the Intune subscription
#     first.
#   sources: [SEED]
deny contains f if {
	lib.offline
	input.site.intuneSubscription == true
	f := {
		"rule": "scp.intune_offline",
		"message": "offline mode with an Intune subscription: the subscription forces online mode, offline is not supported with it",
		"checks": [],
		"remediation": "run the service connection point online, or remove the Intune subscription (hybrid MDM is retired) before switching to offline",
		"source": "SEED",
	}
}

# METADATA
# title: Mode changed since the previous report
# description: >-
#   After switching between online and offline, restart the SMS_DMP_DOWNLOADER thread of
#   SMS_Executive.
# custom:
#   id: scp.mode_changed
#   severity: warn
#   remediation: >-
#     Restart the SMS_DMP_DOWNLOADER thread with Configuration Manager Service Manager.
#   sources: [SEED]
warn contains f if {
	prev := lower(object.get(input, ["previous", "mode"], ""))
	cur := lower(object.get(input, ["site", "mode"], ""))
	prev != ""
	cur != ""
	prev != cur
	f := {
		"rule": "scp.mode_changed",
		"message": sprintf("the mode changed from %s to %s since the previous report (%s)", [prev, cur, object.get(input.previous, "path", "?")]),
		"checks": [],
		"remediation": "restart the SMS_DMP_DOWNLOADER thread of SMS_Executive (Configuration Manager Service Manager) or the SMS_Executive service so the new mode takes effect",
		"source": "SEED",
	}
}
