# Placement and accounts: one SCP per hierarchy, only at the top-tier site (CAS or stand-alone
# primary), remote host rights (SEED, WMI, PORTS). These read input.site.
package cmpreflight.builtin.site

import data.cmpreflight.builtin.lib

# METADATA
# title: Site facts missing
# description: >-
#   Without site facts (--inventory or --adminservice) placement, single instance, remote rights
#   and mode were not checked.
# custom:
#   id: scp.facts_missing.site
#   severity: warn
#   remediation: >-
#     Supply --inventory DIR or --adminservice URL, or turn the rule off with --disable-rule
#     scp.facts_missing.site.
#   sources: [SEED]
warn contains f if {
	not input.site
	f := {
		"rule": "scp.facts_missing.site",
		"message": "site facts missing: placement (top-level site), single instance, remote rights and mode were not checked",
		"checks": [],
		"remediation": "supply the site facts with --inventory FILE (an exported inventory) or --adminservice URL (read from the SMS Provider), or turn off rule scp.facts_missing.site",
		"source": "SEED",
	}
}

server := input.site.scpServer

# A primary that reports to a CAS: the target is not top-level, and the remediation says the
# role belongs on the CAS.
primary_under_cas if {
	input.site.hasCas == true
	input.site.site.type == 2
}

# top_code names the top-level site; lists, not one "some" per rule, so odd inventories with
# several candidates never make a conflicting complete rule.
cas_codes := sort([t.siteCode | some t in input.site.sites; t.type == 4])

top_primaries := sort([t.siteCode | some t in input.site.sites; t.type == 2; object.get(t, "reportingSiteCode", "") == ""])

top_code := cas_codes[0] if {
	count(cas_codes) > 0
} else := top_primaries[0] if {
	count(top_primaries) > 0
} else := "the CAS or stand-alone primary"

# METADATA
# title: Top-level site only
# description: >-
#   The service connection point goes only on the central administration site or a stand-alone
#   primary.
# custom:
#   id: scp.top_level
#   severity: deny
#   remediation: >-
#     Install the role on a server of the CAS, or of the stand-alone primary site.
#   sources: [SEED]
deny contains f if {
	input.site.topLevel == false
	s := input.site.site
	f := {
		"rule": "scp.top_level",
		"message": sprintf("%s belongs to site %s (%s), which is not top-level: the service connection point goes only on the CAS or a stand-alone primary", [server, s.siteCode, type_name(s)]),
		"checks": ["site/top-level"],
		"remediation": top_level_fix,
		"source": "SEED",
	}
}

top_level_fix := sprintf("install the role on a site system of the CAS %s; this hierarchy has a CAS, so a primary is never the place for it", [top_code]) if {
	primary_under_cas
} else := sprintf("install the role on a site system of the top-level site %s instead", [top_code])

warn contains f if {
	input.site.topLevel == false
	not input.site.site
	f := {
		"rule": "scp.top_level",
		"message": sprintf("%s is not a site system of any site yet, so it is not top-level", [server]),
		"checks": [],
		"remediation": sprintf("add %s as a site system of the top-level site %s before installing the role", [server, top_code]),
		"source": "SEED",
	}
}

type_name(s) := s.typeName if {
	object.get(s, "typeName", "") != ""
} else := names[s.type] if {
	names := {1: "secondary", 2: "primary", 4: "CAS"}
} else := sprintf("type %v", [s.type])

# An existing service connection point on a primary while the hierarchy has a CAS: the site
# was expanded without moving the role (SEED: uninstall it from the primary first).
# METADATA
# title: No service connection point left on a primary under a CAS
# description: >-
#   In a hierarchy with a CAS the role belongs on the CAS: uninstall it from the primary first,
#   then install it at the CAS.
# custom:
#   id: scp.cas_placement
#   severity: deny
#   remediation: >-
#     Remove the role from the primary site, then add it at the CAS.
#   sources: [SEED]
deny contains f if {
	input.site.hasCas == true
	some e in input.site.existingScps
	object.get(e, "siteType", 0) == 2
	f := {
		"rule": "scp.cas_placement",
		"message": sprintf("the service connection point on %s sits on primary site %s of a hierarchy with a CAS", [e.serverName, e.siteCode]),
		"checks": ["site/single-instance"],
		"remediation": sprintf("uninstall the service connection point from the primary site first, then install it at the CAS %s", [top_code]),
		"source": "SEED",
	}
}

# METADATA
# title: One instance per hierarchy
# description: >-
#   A hierarchy has one service connection point; another SMS Dmp Connector on a different
#   server would be a second instance.
# custom:
#   id: scp.single_instance
#   severity: deny
#   remediation: >-
#     Use the existing service connection point, or remove it before installing the role
#     elsewhere.
#   sources: [SEED, WMI]
deny contains f if {
	some e in input.site.existingScps
	not lib.same_server(e.serverName, server)
	f := {
		"rule": "scp.single_instance",
		"message": sprintf("a service connection point already exists on %s (site %s): installing one on %s would be a second instance, and a hierarchy has only one", [e.serverName, object.get(e, "siteCode", "?"), server]),
		"checks": [],
		"remediation": sprintf("keep the existing role on %s, or remove it before installing the role on %s", [e.serverName, server]),
		"source": "SEED",
	}
}

expanding contains s.siteCode if {
	some s in input.site.sites
	s.mode == 5
}

expanding contains input.site.site.siteCode if input.site.site.mode == 5

# METADATA
# title: No site expansion in progress
# description: >-
#   A site in Mode 5 is being expanded into a hierarchy; wait for it, then place the role at the
#   CAS.
# custom:
#   id: scp.site_expansion
#   severity: deny
#   remediation: >-
#     Wait for the expansion to finish, then install the role at the CAS.
#   sources: [SEED, WMI]
deny contains f if {
	some code in expanding
	f := {
		"rule": "scp.site_expansion",
		"message": sprintf("site %s is in site expansion (Mode 5): the hierarchy is changing shape", [code]),
		"checks": [],
		"remediation": "wait for the expansion to finish; the SCP then belongs at the CAS: uninstall it from the former stand-alone primary first, then install it at the CAS",
		"source": "SEED",
	}
}

remote if input.site.remote == true

# METADATA
# title: Remote host rights
# description: >-
#   When the SCP host is remote, the site server's computer account or the site system
#   installation account must be a local administrator there and open its ADMIN$ share.
# custom:
#   id: scp.remote_rights
#   severity: deny
#   remediation: >-
#     Add the site server's computer account (or the site system installation account) to the
#     remote host's local Administrators group.
#   sources: [SEED, PORTS]
deny contains f if {
	remote
	r := input.site.rights
	r.adminShare != "ok"
	f := {
		"rule": "scp.remote_rights",
		"message": share_message(r),
		"checks": [],
		"remediation": sprintf("make the site server's computer account (or the site system installation account%s) a local administrator on %s with 'Access this computer from the network', so it can open \\\\%s\\ADMIN$ (cross-forest accounts as FQDN\\user)", [account_suffix, server, server]),
		"source": "SEED, PORTS",
	}
}

account_suffix := sprintf(" %s", [input.site.installAccount]) if {
	object.get(input.site, "installAccount", "") != ""
} else := ""

share_message(r) := sprintf("the site server's admin share access to %s could not be checked (%s%s): the remote host rights are unknown", [server, r.adminShare, detail_suffix(r)]) if {
	r.adminShare in {"skipped", "unreachable", ""}
} else := sprintf("the site server cannot open \\\\%s\\ADMIN$ (%s%s): it needs local administrator rights on the remote SCP host", [server, r.adminShare, detail_suffix(r)])

detail_suffix(r) := sprintf(": %s", [r.detail]) if {
	object.get(r, "detail", "") != ""
} else := ""

warn contains f if {
	remote
	not input.site.rights
	f := {
		"rule": "scp.remote_rights",
		"message": sprintf("%s is remote from the site server but its rights (admin share, ports 445 and 135) were not checked", [server]),
		"checks": [],
		"remediation": "run the site checks from the site server (or supply their results) so the admin share and ports are tested",
		"source": "SEED, PORTS",
	}
}

ports := {"port445": "TCP 445 (SMB)", "port135": "TCP 135 (RPC endpoint mapper)"}

# METADATA
# title: Remote host ports
# description: >-
#   The site server reaches a remote SCP host over SMB TCP 445 and RPC TCP 135 (plus the RPC
#   dynamic ports).
# custom:
#   id: scp.remote_ports
#   severity: deny
#   remediation: >-
#     Open TCP 445, TCP 135 and the RPC dynamic ports from the site server to the remote host.
#   sources: [PORTS]
deny contains f if {
	remote
	some key, label in ports
	state := object.get(input.site.rights, key, "")
	state != "open"
	f := {
		"rule": "scp.remote_ports",
		"message": port_message(label, state),
		"checks": [],
		"remediation": sprintf("open %s and the RPC dynamic ports from the site server to %s", [label, server]),
		"source": "PORTS",
	}
}

port_message(label, state) := sprintf("%s from the site server to %s could not be checked (%s)", [label, server, state]) if {
	state in {"skipped", ""}
} else := sprintf("%s from the site server to %s is %s", [label, server, state])

# METADATA
# title: Site system installation account
# description: >-
#   A remote SCP host should have a site system installation account (or the site server's
#   computer account as local administrator): the distribution manager uses it to transfer
#   updates.
# custom:
#   id: scp.install_account
#   severity: warn
#   remediation: >-
#     Set a site system installation account for the remote host in ConfigMgr, or make the site
#     server's computer account a local administrator there.
#   sources: [SEED]
warn contains f if {
	remote
	object.get(input.site, "installAccount", "") == ""
	not input.site.useMachineAccount == true
	f := {
		"rule": "scp.install_account",
		"message": sprintf("%s is remote and no site system installation account is configured for it", [server]),
		"checks": [],
		"remediation": "configure a site system installation account (local administrator on the SCP host) or make the site server's computer account a local administrator there: the distribution manager uses it to transfer updates from the SCP",
		"source": "SEED",
	}
}
