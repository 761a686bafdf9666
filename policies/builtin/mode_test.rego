package cmpreflight.builtin.mode_test

import data.cmpreflight.builtin.mode

only(s, rule) := [f | some f in s; f.rule == rule]

test_online_has_no_mode_findings if {
	count(mode.deny) == 0 with input as {"site": {"mode": "online"}}
	count(mode.warn) == 0 with input as {"site": {"mode": "online"}}
}

test_offline_warns_service_connection_tool if {
	w := mode.warn with input as {"site": {"mode": "offline"}}
	[f] := only(w, "scp.offline_mode")
	contains(f.remediation, "service connection tool")
}

test_intune_offline_denies if {
	d := mode.deny with input as {"site": {"mode": "offline", "intuneSubscription": true}}
	count(only(d, "scp.intune_offline")) == 1
	count(mode.deny) == 0 with input as {"site": {"mode": "online", "intuneSubscription": true}}
	count(mode.deny) == 0 with input as {"site": {"mode": "offline", "intuneSubscription": false}}
}

test_mode_change_warns_restart if {
	w := mode.warn with input as {"site": {"mode": "offline"}, "previous": {"path": "last.json", "mode": "online"}}
	[f] := only(w, "scp.mode_changed")
	contains(f.message, "online to offline")
	contains(f.remediation, "SMS_DMP_DOWNLOADER")
	contains(f.remediation, "SMS_Executive")
}

test_same_mode_or_unknown_previous_is_quiet if {
	count(only(mode.warn, "scp.mode_changed")) == 0 with input as {"site": {"mode": "online"}, "previous": {"mode": "online"}}
	count(only(mode.warn, "scp.mode_changed")) == 0 with input as {"site": {"mode": "online"}, "previous": {"path": "x.json"}}
	count(only(mode.warn, "scp.mode_changed")) == 0 with input as {"site": {"mode": "online"}}
}
