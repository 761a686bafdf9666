package cmpreflight.builtin.profiles_test

import data.cmpreflight.builtin.endpoints
import data.cmpreflight.builtin.profiles

tmpl := {"id": "template/<prefix>.vault.azure.net", "kind": "template", "status": "skip", "required": true, "profiles": ["cmg"], "sources": ["IE-CLOUD"], "message": "not checked: no value for <prefix> (--cmg-name)", "timings": {}, "evidence": {}}

test_unfilled_required_template_warns_not_denies if {
	w := profiles.warn with input as {"checks": [tmpl]}
	[f] := [f | some f in w; f.rule == "catalog.template_unfilled"]
	contains(f.message, "--cmg-name")
	contains(f.message, "cmg")
	count(endpoints.deny) == 0 with input as {"checks": [tmpl]}
}

test_optional_template_is_quiet if {
	count(profiles.warn) == 0 with input as {"checks": [object.union(tmpl, {"required": false})]}
}
