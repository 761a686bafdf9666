package catalog

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cmpreflight/cmpreflight/catalog/sources"
	"github.com/cmpreflight/cmpreflight/facts"
)

// ProfileAuto asks the run to pick the profiles from the roles the target server holds.
const ProfileAuto = "auto"

// ParseProfileArgs splits --profile values (repeated and/or comma-separated) into distinct
// names in the order given. "auto" is kept as a name for ResolveAuto; an unknown name is an
// error naming the known ones.
func ParseProfileArgs(args []string) ([]string, error) {
	known := Profiles()
	var out []string
	for _, a := range args {
		for _, n := range strings.Split(a, ",") {
			n = strings.ToLower(strings.TrimSpace(n))
			if n == "" {
				continue
			}
			if n != ProfileAuto && !slices.Contains(known, n) {
				return nil, fmt.Errorf("unknown profile %q (known: %s, or auto)", n, strings.Join(known, ", "))
			}
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no profile named")
	}
	return out, nil
}

// LoadProfiles reads the embedded catalogs of names, in order.
func LoadProfiles(names []string) ([]*Catalog, error) {
	out := make([]*Catalog, 0, len(names))
	for _, n := range names {
		c, err := LoadProfile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// Choice is one profile picked by --profile auto, and why.
type Choice struct {
	Profile string
	Why     string
}

// ResolveAuto picks the profiles whose roles the target server holds (roles as the
// inventory names them, e.g. "SMS Dmp Connector"), each with the reason.
func ResolveAuto(server string, roles []string) ([]Choice, error) {
	var out []Choice
	for _, name := range Profiles() {
		c, err := LoadProfile(name)
		if err != nil {
			return nil, err
		}
		for _, want := range c.Roles {
			if slices.ContainsFunc(roles, func(r string) bool { return strings.EqualFold(r, want) }) {
				out = append(out, Choice{Profile: name, Why: fmt.Sprintf("%s holds the role %q", server, want)})
				break
			}
		}
	}
	return out, nil
}

// Info is the report's description of a loaded profile.
func (c *Catalog) Info(why string) facts.ProfileInfo {
	return facts.ProfileInfo{Name: c.Profile, Machine: c.Machine, Proxy: c.Proxy, CheckedAgainst: c.CheckedAgainst, Why: why}
}

// LoadOptions say which catalogs a run or `endpoints` reads.
type LoadOptions struct {
	Profiles      []string // parsed names, "auto" already resolved
	EndpointFiles []string
	EndpointsOnly bool
	Values        TemplateValues
	Cloud         string
}

// Loaded is the catalogs of a run: the profiles' descriptions, the entries with templates
// filled, and the templated entries left unchecked for want of a value.
type Loaded struct {
	Catalogs []*Catalog
	Entries  []Entry
	Unfilled []Unfilled
}

// Load reads the profiles and --endpoints files and fills their templates. Errors name the
// flag (--profile, --endpoints or the template's flag).
func Load(o LoadOptions) (*Loaded, error) {
	l := &Loaded{}
	var entries []Entry
	if !o.EndpointsOnly {
		cats, err := LoadProfiles(o.Profiles)
		if err != nil {
			return nil, fmt.Errorf("--profile: %w", err)
		}
		l.Catalogs = cats
		for _, c := range cats {
			entries = append(entries, c.Entries...)
		}
	} else if len(o.EndpointFiles) == 0 {
		return nil, errors.New("--endpoints-only needs at least one --endpoints file")
	}
	for _, p := range o.EndpointFiles {
		c, err := LoadEndpointFile(p)
		if err != nil {
			return nil, fmt.Errorf("--endpoints: %w", err)
		}
		entries = append(entries, c.Entries...)
	}
	var err error
	l.Entries, l.Unfilled, err = ExpandTemplates(entries, o.Values, o.Cloud)
	if err != nil {
		return nil, err
	}
	return l, nil
}

// Notes are the warnings a run and `endpoints` print: one per template left unchecked.
func (l *Loaded) Notes() []string {
	var out []string
	for _, u := range l.Unfilled {
		out = append(out, u.Note())
	}
	return out
}

// Infos describes the loaded profiles for the report; why gives --profile auto's reasons.
func (l *Loaded) Infos(why map[string]string) []facts.ProfileInfo {
	out := make([]facts.ProfileInfo, 0, len(l.Catalogs))
	for _, c := range l.Catalogs {
		out = append(out, c.Info(why[c.Profile]))
	}
	return out
}

// Provenance lines: "scp: checked against Internet access requirements ... (2026-06-08) URL".
func (l *Loaded) Provenance() []string {
	var out []string
	for _, c := range l.Catalogs {
		if c.CheckedAgainst == nil {
			continue
		}
		line := fmt.Sprintf("%s: checked against %s of %s", c.Profile, c.CheckedAgainst.Source, c.CheckedAgainst.Date)
		if src, ok := sources.Lookup(c.CheckedAgainst.Source); ok {
			line = fmt.Sprintf("%s: checked against %q of %s, %s", c.Profile, src.Title, c.CheckedAgainst.Date, src.URL)
		}
		out = append(out, line)
	}
	return out
}
