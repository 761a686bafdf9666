package cmpreflight.builtin.site_test

import data.cmpreflight.builtin.site

cas := {"siteCode": "CAS", "type": 4, "typeName": "CAS", "reportingSiteCode": "", "serverName": "cas01.contoso.com", "mode": 0}

p01 := {"siteCode": "P01", "type": 2, "typeName": "primary", "reportingSiteCode": "", "serverName": "p01.contoso.com", "mode": 0}

p02 := {"siteCode": "P02", "type": 2, "typeName": "primary", "reportingSiteCode": "CAS", "serverName": "p02.contoso.com", "mode": 0}

s01 := {"siteCode": "S01", "type": 1, "typeName": "secondary", "reportingSiteCode": "P01", "serverName": "s01.contoso.com", "mode": 0}

standalone := {"scpServer": "scp01.contoso.com", "site": p01, "sites": [p01], "topLevel": true, "hasCas": false, "existingScps": [], "remote": false}

only(s, rule) := [f | some f in s; f.rule == rule]

test_site_absent_warns_how_to_supply if {
	w := site.warn with input as {"checks": []}
	[f] := only(w, "scp.facts_missing.site")
	contains(f.message, "site facts missing")
	contains(f.remediation, "--inventory")
	contains(f.remediation, "--adminservice")
}

test_standalone_primary_is_fine if {
	count(site.deny) == 0 with input as {"site": standalone}
	count(site.warn) == 0 with input as {"site": standalone}
}

test_secondary_is_not_top_level if {
	s := object.union(standalone, {"site": s01, "sites": [p01, s01], "topLevel": false})
	d := site.deny with input as {"site": s}
	[f] := only(d, "scp.top_level")
	contains(f.message, "not top-level")
	contains(f.message, "S01")
	contains(f.remediation, "P01")
}

test_not_a_site_system_warns if {
	s := object.remove(object.union(standalone, {"topLevel": false}), ["site"])
	count(site.deny) == 0 with input as {"site": s}
	count(only(site.warn, "scp.top_level")) == 1 with input as {"site": s}
}

test_primary_under_cas_is_not_top_level if {
	s := object.union(standalone, {"site": p02, "sites": [cas, p02], "topLevel": false, "hasCas": true})
	d := site.deny with input as {"site": s}
	[f] := only(d, "scp.top_level")
	contains(f.message, "not top-level")
	contains(f.remediation, "CAS")
	count(only(d, "scp.cas_placement")) == 0
}

test_existing_scp_on_primary_under_cas_denies_cas_placement if {
	s := object.union(standalone, {"site": cas, "sites": [cas, p02], "topLevel": true, "hasCas": true,
		"existingScps": [{"serverName": "old.contoso.com", "siteCode": "P02", "siteType": 2}]})
	d := site.deny with input as {"site": s}
	[f] := only(d, "scp.cas_placement")
	contains(f.remediation, "uninstall the service connection point from the primary site first")
	contains(f.message, "old.contoso.com")
}

test_second_instance_denies if {
	s := object.union(standalone, {"existingScps": [{"serverName": "other.contoso.com", "siteCode": "P01"}]})
	d := site.deny with input as {"site": s}
	[f] := only(d, "scp.single_instance")
	contains(f.message, "second instance")
	contains(f.message, "other.contoso.com")
}

test_same_server_is_not_a_second_instance if {
	s := object.union(standalone, {"existingScps": [{"serverName": "SCP01", "siteCode": "P01"}]})
	count(site.deny) == 0 with input as {"site": s}
}

test_site_expansion_denies if {
	s := object.union(standalone, {"site": object.union(p01, {"mode": 5}), "sites": [object.union(p01, {"mode": 5})]})
	d := site.deny with input as {"site": s}
	[f] := only(d, "scp.site_expansion")
	contains(f.message, "Mode 5")
}

remote := object.union(standalone, {"remote": true, "installAccount": "CONTOSO\\cm-install", "rights": {"port445": "open", "port135": "open", "adminShare": "ok"}})

test_remote_with_rights_is_fine if {
	count(site.deny) == 0 with input as {"site": remote}
	count(site.warn) == 0 with input as {"site": remote}
}

test_remote_admin_share_denied if {
	s := object.union(remote, {"rights": {"port445": "open", "port135": "open", "adminShare": "access-denied"}})
	d := site.deny with input as {"site": s}
	[f] := only(d, "scp.remote_rights")
	contains(f.message, "ADMIN$")
	contains(f.remediation, "local administrator")
	contains(f.remediation, "CONTOSO\\cm-install")
}

test_remote_admin_share_skipped_is_not_silent if {
	s := object.union(remote, {"rights": {"port445": "open", "port135": "open", "adminShare": "skipped"}})
	d := site.deny with input as {"site": s}
	[f] := only(d, "scp.remote_rights")
	contains(f.message, "could not be checked")
}

test_remote_rights_absent_warns if {
	s := object.remove(remote, ["rights"])
	count(only(site.warn, "scp.remote_rights")) == 1 with input as {"site": s}
}

test_remote_ports_closed_deny if {
	s := object.union(remote, {"rights": {"port445": "closed", "port135": "timeout", "adminShare": "ok"}})
	d := only(site.deny, "scp.remote_ports") with input as {"site": s}
	count(d) == 2
}

test_remote_without_install_account_warns if {
	s := object.remove(remote, ["installAccount"])
	count(only(site.warn, "scp.install_account")) == 1 with input as {"site": s}
	count(only(site.warn, "scp.install_account")) == 0 with input as {"site": object.union(s, {"useMachineAccount": true})}
}

test_several_top_primaries_do_not_conflict if {
	p03 := object.union(p01, {"siteCode": "P03"})
	s := object.union(standalone, {"site": s01, "sites": [p03, p01, s01], "topLevel": false})
	d := site.deny with input as {"site": s}
	[f] := only(d, "scp.top_level")
	contains(f.remediation, "P01")
}
