package catalog

import (
	"errors"
	"fmt"
	"slices"
	"strings"

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
