# Profiles: the templated catalog names a run could not fill, and each role's own proxy
# (roles-facts.md, page of 2026-06-08; the proxy page for the management point).
package cmpreflight.builtin.profiles

# METADATA
# title: Templated endpoint not checked
# description: >-
#   A required catalog name is written from values the run was not given (the CMG's name and
#   region, ...). It is listed as a skipped check, never passed: the run cannot say whether
#   the role reaches it.
# custom:
#   id: catalog.template_unfilled
#   severity: warn
#   remediation: >-
#     Give the value the message names (--cmg-name, --cmg-region, --logic-app-host,
#     --upstream-sup, or the same key in the config file) and run again.
#   sources: [IE-CLOUD]
warn contains {
	"rule": "catalog.template_unfilled",
	"message": sprintf("%s (profiles %s) %s", [trim_prefix(c.id, "template/"), concat(", ", object.get(c, "profiles", [])), c.message]),
	"checks": [c.id],
	"remediation": "give the value named in the message and run again",
	"source": concat(", ", object.get(c, "sources", [])),
} if {
	some c in input.checks
	c.kind == "template"
	c.status == "skip"
	c.required == true
}
