package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/cmpreflight/cmpreflight/facts"
)

// Placeholder is a value a templated catalog entry needs (written "<key>" in its name or
// probes) and the flag (also a config key) that gives it.
type Placeholder struct {
	Key  string
	Flag string
	Help string
	// check validates (and normalises) a value; nil for a value derived from another.
	check func(string) (string, error)
}

// Placeholders are every value a built-in template can take. <logic-app-region> is derived
// from --logic-app-host (its second label), so one flag fills the wildcard and its probe.
var Placeholders = []Placeholder{
	{Key: "prefix", Flag: "cmg-name", Help: "name of the cloud management gateway (the <prefix> of its Azure names, e.g. graniteFalls)", check: dnsLabel},
	{Key: "region", Flag: "cmg-region", Help: "Azure region of the cloud management gateway (the <region> of <prefix>.<region>.cloudapp.azure.com, e.g. westus)", check: azureRegion},
	{Key: "logic-app-host", Flag: "logic-app-host", Help: "access endpoint host of the external notifications Logic App (e.g. prod1.westus2.logic.azure.com)", check: logicAppHost},
	{Key: "logic-app-region", Flag: "logic-app-host"},
	{Key: "upstream-sup", Flag: "upstream-sup", Help: "FQDN of the upstream software update point (the parent site's) a child site's software update point synchronises from", check: fqdnValue},
}

var placeholderRe = regexp.MustCompile(`<([a-z][a-z0-9-]*)>`)

func placeholder(key string) (Placeholder, bool) {
	for _, p := range Placeholders {
		if p.Key == key {
			return p, true
		}
	}
	return Placeholder{}, false
}

// templateKeys lists the placeholders an entry's name and probes use, in order.
func templateKeys(name string, probes []string) []string {
	var keys []string
	for _, s := range append([]string{name}, probes...) {
		for _, m := range placeholderRe.FindAllStringSubmatch(s, -1) {
			if !slices.Contains(keys, m[1]) {
				keys = append(keys, m[1])
			}
		}
	}
	return keys
}

// fillTemplate replaces every "<key>" of s by vals[key].
func fillTemplate(s string, vals map[string]string) string {
	return placeholderRe.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := vals[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// TemplateValues are the values given for placeholders, by key.
type TemplateValues map[string]string

// NewTemplateValues validates the values given by flag name (an empty value is "not given")
// and derives the values that follow from them. An error names the flag.
func NewTemplateValues(byFlag map[string]string) (TemplateValues, error) {
	out := TemplateValues{}
	for _, p := range Placeholders {
		v := strings.TrimSpace(byFlag[p.Flag])
		if v == "" || p.check == nil {
			continue
		}
		norm, err := p.check(v)
		if err != nil {
			return nil, fmt.Errorf("--%s %q: %v", p.Flag, v, err)
		}
		out[p.Key] = norm
	}
	if h := out["logic-app-host"]; h != "" {
		out["logic-app-region"] = strings.Split(h, ".")[1]
	}
	return out, nil
}

// Unfilled is a templated entry the run could not check because a value is missing.
type Unfilled struct {
	Entry   Entry
	Missing []string // placeholder keys without a value
}

// MissingText names the missing values and their flags: "<prefix> (--cmg-name)".
func (u Unfilled) MissingText() string {
	var parts []string
	for _, k := range u.Missing {
		p, _ := placeholder(k)
		parts = append(parts, fmt.Sprintf("<%s> (--%s)", k, p.Flag))
	}
	return strings.Join(parts, ", ")
}

// Note is the warning a run and `endpoints` print for the entry.
func (u Unfilled) Note() string {
	return fmt.Sprintf("%s (%s) not checked: no value for %s", u.Entry.Name, profileLabel(u.Entry), u.MissingText())
}

func profileLabel(e Entry) string {
	if e.Profile == "" {
		return "endpoints file"
	}
	return "profile " + e.Profile
}

// Check is the report's line for the unchecked template: status skip, never a pass.
func (u Unfilled) Check(edition string) facts.Check {
	e := u.Entry
	req := isRequired(e.Editions, edition) && (e.Required == nil || *e.Required)
	var profiles []string
	if e.Profile != "" {
		profiles = []string{e.Profile}
	}
	return facts.Check{
		ID: "template/" + e.Name, Kind: "template", Entries: []string{e.Name}, Groups: []string{e.Group},
		Editions: e.Editions, Sources: e.Sources, Profiles: profiles, Required: req,
		Status: facts.StatusSkip, Reason: "no-value",
		Message: "not checked: no value for " + u.MissingText(),
	}
}

// ExpandTemplates fills templated entries with vals. Entries whose values are all given are
// substituted and validated again; the others are returned as unfilled, never dropped
// silently. Entries of another cloud are left out as Plan would.
func ExpandTemplates(entries []Entry, vals TemplateValues, cloud string) ([]Entry, []Unfilled, error) {
	out := make([]Entry, 0, len(entries))
	var unfilled []Unfilled
	for _, e := range entries {
		if len(e.Templates) == 0 {
			out = append(out, e)
			continue
		}
		if e.Cloud != "" && cloud != "" && e.Cloud != cloud {
			continue
		}
		var missing []string
		for _, k := range e.Templates {
			if vals[k] == "" {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			unfilled = append(unfilled, Unfilled{Entry: e, Missing: missing})
			continue
		}
		f := e
		f.Template = e.Name
		f.Name = fillTemplate(e.Name, vals)
		f.Probes = nil
		for _, p := range e.Probes {
			f.Probes = append(f.Probes, fillTemplate(p, vals))
		}
		f.Templates = nil
		if err := f.normalize(); err != nil {
			var flags []string
			for _, k := range e.Templates {
				p, _ := placeholder(k)
				flags = append(flags, "--"+p.Flag)
			}
			return nil, nil, fmt.Errorf("%s: %s filled as %q: %v", strings.Join(flags, ", "), e.Name, f.Name, err)
		}
		out = append(out, f)
	}
	return out, unfilled, nil
}

func dnsLabel(v string) (string, error) {
	v = strings.ToLower(v)
	if len(v) > 63 || !labelRe.MatchString(v) {
		return "", errors.New("want one DNS label: letters, digits and inner hyphens, at most 63 characters")
	}
	return v, nil
}

var (
	labelRe  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	regionRe = regexp.MustCompile(`^[a-z][a-z0-9]{1,39}$`)
)

func azureRegion(v string) (string, error) {
	v = strings.ToLower(v)
	if !regionRe.MatchString(v) {
		return "", errors.New("want an Azure region name such as westus or westeurope (letters and digits)")
	}
	return v, nil
}

func fqdnValue(v string) (string, error) {
	v = strings.ToLower(strings.TrimSuffix(v, "."))
	if !strings.Contains(v, ".") {
		return "", errors.New("want a fully qualified domain name (host.domain)")
	}
	if err := validHostname(v); err != nil {
		return "", err
	}
	return v, nil
}

func logicAppHost(v string) (string, error) {
	v, err := fqdnValue(v)
	if err != nil {
		return "", err
	}
	labels := strings.Split(v, ".")
	if !strings.HasSuffix(v, ".logic.azure.com") || len(labels) != 5 {
		return "", errors.New("want the Logic App's access endpoint host, <name>.<region>.logic.azure.com (e.g. prod1.westus2.logic.azure.com)")
	}
	return v, nil
}
