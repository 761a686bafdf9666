package main

import (
	"strings"

	"github.com/spf13/pflag"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/preflight"
)

// registerProfiles binds --profile (several: repeated or comma-separated, or auto) and the
// values of templated entries (--cmg-name, --cmg-region, --logic-app-host, --upstream-sup).
// It returns a function that copies the template flags into the options after parsing.
func registerProfiles(fs *pflag.FlagSet, o *preflight.Options) func() {
	fs.StringArrayVar(&o.Profiles, "profile", []string{"scp"}, "endpoint profiles, repeated or comma-separated: "+strings.Join(catalog.Profiles(), ", ")+", or auto (from the target server's roles in the inventory)")
	vals := map[string]*string{}
	for _, ph := range catalog.Placeholders {
		if ph.Help == "" || vals[ph.Flag] != nil {
			continue
		}
		vals[ph.Flag] = fs.String(ph.Flag, "", ph.Help)
	}
	return func() {
		o.Templates = map[string]string{}
		for k, v := range vals {
			o.Templates[k] = *v
		}
	}
}
