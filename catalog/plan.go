package catalog

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// PlanOptions choose which entries a run probes and requires.
type PlanOptions struct {
	Edition  string // current, seed, all
	Cloud    string // public, usgov
	TenantID string // fills {TenantID}; "common" when empty
}

// Target is one planned network check before it runs.
type Target struct {
	ID              string
	Host            string
	Port            int
	URL             string // request URL; scheme decides TLS
	FollowRedirects bool
	Entries         []string
	Groups          []string
	Editions        []string
	Sources         []string
	Wildcards       []string
	Profiles        []string
	RequiredIn      []string
	Required        bool
	NoInspection    bool
	// Proof is the catalog's signed object for a port-80 target (checks/revocation plans
	// the request from it when no chain verified in the run names the host); nil if none.
	Proof *Proof
}

// Scheme is the target's request scheme, "http" or "https", as its URL says.
func (t Target) Scheme() string {
	if strings.HasPrefix(t.URL, "http://") {
		return "http"
	}
	return "https"
}

// Plan turns catalog entries into targets: one per host:port, with provenance merged.
// Wildcards without probe hosts produce no target (they are exercised through hops).
func Plan(entries []Entry, o PlanOptions) ([]Target, []string) {
	pl := &planner{byID: map[string]*Target{}, tenant: o.TenantID}
	if pl.tenant == "" {
		pl.tenant = "common"
	}
	for _, e := range entries {
		if e.Cloud != "" && o.Cloud != "" && e.Cloud != o.Cloud {
			continue
		}
		if len(e.Templates) > 0 {
			continue // not filled: ExpandTemplates reports it
		}
		switch e.Kind {
		case KindHost:
			for _, p := range e.Ports {
				pl.add(e, e.Name, p, "", "")
			}
		case KindWildcard:
			for _, h := range e.Probes {
				for _, p := range e.Ports {
					pl.add(e, h, p, "", e.Name)
				}
			}
		case KindURL:
			pl.addURL(e)
		}
	}
	if pl.usedTenant && o.TenantID == "" {
		pl.notes = append(pl.notes, "no --tenant-id given: {TenantID} URLs were checked with the \"common\" tenant")
	}
	out := make([]Target, 0, len(pl.order))
	for _, id := range pl.order {
		t := pl.byID[id]
		sort.Strings(t.Editions)
		t.Required = isRequired(t.RequiredIn, o.Edition)
		if t.URL == "" {
			scheme := "https"
			if t.Port == 80 {
				scheme = "http"
			}
			host := t.Host
			if t.Port != 80 && t.Port != 443 {
				host = net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
			}
			t.URL = scheme + "://" + host + "/"
		}
		out = append(out, *t)
	}
	return out, pl.notes
}

// planner merges entries into targets, one per host:port, in the catalog's order.
type planner struct {
	byID       map[string]*Target
	order      []string
	tenant     string // {TenantID} replacement
	usedTenant bool
	notes      []string
}

// add merges one entry's host:port (and URL, and the wildcard it exercises) into its target.
func (pl *planner) add(e Entry, host string, port int, rawURL string, wildcard string) {
	id := net.JoinHostPort(strings.ToLower(host), strconv.Itoa(port))
	t := pl.byID[id]
	if t == nil {
		t = &Target{ID: id, Host: strings.ToLower(host), Port: port}
		pl.byID[id] = t
		pl.order = append(pl.order, id)
	}
	if rawURL != "" && (t.URL == "" || urlPathLen(rawURL) > urlPathLen(t.URL)) {
		t.URL = rawURL
		t.FollowRedirects = true
	}
	t.Entries = addUnique(t.Entries, e.Name)
	t.Groups = addUnique(t.Groups, e.Group)
	t.Sources = addUnique(t.Sources, e.Sources...)
	t.Editions = addUnique(t.Editions, e.Editions...)
	t.Profiles = addUnique(t.Profiles, e.Profile)
	if wildcard != "" {
		t.Wildcards = addUnique(t.Wildcards, wildcard)
	}
	t.NoInspection = t.NoInspection || e.NoInspection
	if e.Proof != nil && port == 80 && t.Proof == nil {
		t.Proof = e.Proof
	}
	req := e.Required == nil || *e.Required
	if e.User {
		if req {
			t.RequiredIn = addUnique(t.RequiredIn, "user")
		}
	} else if req {
		t.RequiredIn = addUnique(t.RequiredIn, e.Editions...)
	}
}

// addURL plans a URL entry on each of its ports, the scheme following the port.
func (pl *planner) addURL(e Entry) {
	raw := e.Name
	if strings.Contains(raw, "{TenantID}") {
		pl.usedTenant = true
		raw = strings.ReplaceAll(raw, "{TenantID}", url.PathEscape(pl.tenant))
	}
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		pl.notes = append(pl.notes, fmt.Sprintf("%s: skipped, %q is not a usable URL", e.Name, raw))
		return
	}
	for _, p := range e.Ports {
		v := *u
		switch {
		case p == 80 && u.Scheme == "https":
			v.Scheme = "http"
		case p == 443 && u.Scheme == "http":
			v.Scheme = "https"
		}
		if u.Port() != "" || (p != 80 && p != 443) {
			v.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(p))
		}
		pl.add(e, u.Hostname(), p, v.String(), "")
	}
}

func isRequired(in []string, edition string) bool {
	for _, e := range in {
		if e == "user" || edition == EditionAll || e == edition {
			return true
		}
	}
	return false
}

func urlPathLen(raw string) int {
	u, err := url.Parse(raw)
	if err != nil {
		return 0
	}
	return len(strings.Trim(u.RequestURI(), "/"))
}

func addUnique(list []string, vals ...string) []string {
	for _, v := range vals {
		if v != "" && !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}

// Sources converts entries to their report form.
