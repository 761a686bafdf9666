// Package catalog reads the endpoint catalogs (the embedded profiles and --endpoints files)
// and plans them into the targets a run checks.
package catalog

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/cmpreflight/cmpreflight/internal/inputfile"
	"github.com/cmpreflight/cmpreflight/internal/yamlerr"

	"github.com/cmpreflight/cmpreflight/facts"
)

//go:embed *.yaml
var catalogFS embed.FS

// Entry kinds.
const (
	KindHost     = "host"
	KindURL      = "url"
	KindWildcard = "wildcard"
)

// Editions of Microsoft's list.
const (
	EditionSeed    = "seed"
	EditionCurrent = "current"
	EditionAll     = "all"
)

// Catalog is a profile's endpoint list and what the profile is about: the machine that runs
// its checks, the proxy that role uses, the inventory roles that select it under
// --profile auto, and the page (and its date) the list was last checked against.
type Catalog struct {
	Profile     string `yaml:"profile"`
	Description string `yaml:"description"`
	// Machine says which machine the check runs on (the one that will host the role).
	Machine string `yaml:"machine"`
	// Proxy is the role's proxy rule (ProxySiteSystem, ProxyWinINETSystem, ProxyMachine).
	Proxy string `yaml:"proxy"`
	// ProxyNote explains the rule in a sentence, for `endpoints` and the README.
	ProxyNote string `yaml:"proxyNote"`
	// Roles are the SMS_SCI_SysResUse role names that select this profile under --profile auto.
	Roles []string `yaml:"roles"`
	// CheckedAgainst is the page (source key) and its date the list was checked against.
	CheckedAgainst *facts.Provenance `yaml:"checkedAgainst"`
	// Editions is the default of entries that give none (the embedded scp profile: both).
	Editions []string `yaml:"editions"`
	Entries  []Entry  `yaml:"entries"`
}

// Proxy rules: which proxy a role uses for its internet traffic.
const (
	// ProxySiteSystem: the proxy ConfigMgr configured for the site system server, else the
	// machine's WinHTTP setting (services running as SYSTEM).
	ProxySiteSystem = "site-system"
	// ProxyWinINETSystem: Local System's WinINET settings (HKU\S-1-5-18 Internet Settings);
	// the site system proxy and WinHTTP are not used.
	ProxyWinINETSystem = "wininet-system"
	// ProxyMachine: the machine's own settings (not a site system: no ConfigMgr proxy).
	ProxyMachine = "machine"
)

// Entry is one catalog line: a host, a URL or a wildcard pattern.
type Entry struct {
	Name         string   `yaml:"name"`
	Kind         string   `yaml:"kind"`
	Ports        []int    `yaml:"ports"`
	Group        string   `yaml:"group"`
	Editions     []string `yaml:"editions"`
	Sources      []string `yaml:"sources"`
	Probes       []string `yaml:"probes"`
	Cloud        string   `yaml:"cloud"`
	Required     *bool    `yaml:"required"`
	NoInspection bool     `yaml:"noInspection"`
	Description  string   `yaml:"description"`
	// Proof names the signed object that proves a plain-HTTP answer of this entry came from
	// its origin (a CRL or an OCSP answer, and the CA whose signature it must carry); only
	// on entries with port 80. See proof.go and checks/revocation.
	Proof *Proof `yaml:"proof"`

	// File and Line locate the entry for error messages; User marks --endpoints entries.
	File string `yaml:"-"`
	Line int    `yaml:"-"`
	User bool   `yaml:"-"`
	// Profile is the profile the entry came from (empty for --endpoints files).
	Profile string `yaml:"-"`
	// Templates are the placeholders ("prefix", "region", ...) the name or probes use;
	// Template is the templated name an expanded entry was filled from.
	Templates []string `yaml:"-"`
	Template  string   `yaml:"-"`
}

// Profiles lists the embedded catalogs.
func Profiles() []string {
	ents, _ := catalogFS.ReadDir(".")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	return out
}

// LoadProfile reads an embedded profile catalog.
func LoadProfile(name string) (*Catalog, error) {
	data, err := catalogFS.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("unknown profile %q (known: %s)", name, strings.Join(Profiles(), ", "))
	}
	return ParseCatalog("profile "+name, data, false)
}

// LoadEndpointFile reads a user's --endpoints file; its entries are required unless they say
// required: false.
func LoadEndpointFile(path string) (*Catalog, error) {
	data, err := inputfile.Read(path)
	if err != nil {
		return nil, err
	}
	return ParseCatalog(path, data, true)
}

// ParseCatalog decodes and validates a catalog; errors name file:line.
func ParseCatalog(file string, data []byte, user bool) (*Catalog, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty catalog", file)
		}
		return nil, fmt.Errorf("%s: %w", file, yamlerr.Fix(err))
	}
	var c Catalog
	if err := decodeCatalog(file, data, &doc, &c, user); err != nil {
		return nil, err
	}
	lines := entryLines(&doc)
	var bad []error
	for _, ed := range c.Editions {
		if ed != EditionSeed && ed != EditionCurrent {
			bad = append(bad, fmt.Errorf("%s: editions: want seed or current, not %q", file, ed))
		}
	}
	switch c.Proxy {
	case "", ProxySiteSystem, ProxyWinINETSystem, ProxyMachine:
	default:
		bad = append(bad, fmt.Errorf("%s: proxy: want %s, %s or %s, not %q", file, ProxySiteSystem, ProxyWinINETSystem, ProxyMachine, c.Proxy))
	}
	for i := range c.Entries {
		e := &c.Entries[i]
		e.File, e.User = file, user
		if !user {
			e.Profile = c.Profile
		}
		if len(e.Editions) == 0 && len(c.Editions) > 0 {
			e.Editions = slices.Clone(c.Editions)
		}
		if i < len(lines) {
			e.Line = lines[i]
		}
		if err := e.normalize(); err != nil {
			bad = append(bad, fmt.Errorf("%s:%d: entry %q: %w", file, e.Line, e.Name, err))
		} else if err := e.validateProof(); err != nil {
			bad = append(bad, fmt.Errorf("%s:%d: entry %q: proof: %w", file, e.Line, e.Name, err))
		}
	}
	if len(bad) > 0 {
		return nil, errors.Join(bad...) // every bad entry, not only the first
	}
	if len(c.Entries) == 0 {
		return nil, fmt.Errorf("%s: no entries", file)
	}
	return &c, nil
}

// entryLines finds the line of each item of the top-level "entries" sequence.
func entryLines(doc *yaml.Node) []int {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "entries" {
			var out []int
			for _, it := range m.Content[i+1].Content {
				out = append(out, it.Line)
			}
			return out
		}
	}
	return nil
}

func (e *Entry) normalize() error {
	e.Name = strings.TrimSpace(e.Name)
	if e.Name == "" {
		return errors.New("name is empty")
	}
	e.Templates = templateKeys(e.Name, e.Probes)
	if len(e.Templates) > 0 {
		return e.normalizeTemplate()
	}
	if e.Kind == "" {
		switch {
		case strings.Contains(e.Name, "://"):
			e.Kind = KindURL
		case strings.Contains(e.Name, "*"):
			e.Kind = KindWildcard
		default:
			e.Kind = KindHost
		}
	}
	switch e.Kind {
	case KindHost:
		if err := validHostname(e.Name); err != nil {
			return err
		}
	case KindURL:
		const marker = "tenantplaceholder"
		u, err := url.Parse(strings.ReplaceAll(e.Name, "{TenantID}", marker))
		if err != nil {
			return fmt.Errorf("bad URL: %v", err)
		}
		if strings.Contains(strings.ToLower(u.Host), marker) {
			return errors.New("{TenantID} may only stand in the URL's path")
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return fmt.Errorf("URL scheme must be http or https, not %q", u.Scheme)
		}
		if err := validHostname(u.Hostname()); err != nil {
			return err
		}
	case KindWildcard:
		if !strings.HasPrefix(e.Name, "*") || strings.Count(e.Name, "*") != 1 {
			return errors.New("a wildcard starts with a single '*' (\"*.example.com\" or \"*example.com\")")
		}
		if err := validHostname(strings.TrimLeft(strings.TrimPrefix(e.Name, "*"), ".-")); err != nil {
			return err
		}
		for _, p := range e.Probes {
			if err := validHostname(p); err != nil {
				return fmt.Errorf("probe host: %w", err)
			}
			if !MatchPattern(e.Name, p) {
				return fmt.Errorf("probe host %q does not match the wildcard", p)
			}
		}
	default:
		return fmt.Errorf("kind must be host, url or wildcard, not %q", e.Kind)
	}
	if e.Kind != KindWildcard && len(e.Probes) > 0 {
		return errors.New("only a wildcard has probes")
	}
	if len(e.Ports) == 0 {
		e.Ports = []int{443}
		if e.Kind == KindURL && strings.HasPrefix(e.Name, "http://") {
			e.Ports = []int{80}
		}
	}
	for _, p := range e.Ports {
		if p < 1 || p > 65535 {
			return fmt.Errorf("port %d out of range", p)
		}
	}
	if len(e.Editions) == 0 {
		e.Editions = []string{EditionCurrent, EditionSeed}
	}
	for _, ed := range e.Editions {
		if ed != EditionSeed && ed != EditionCurrent {
			return fmt.Errorf("edition must be seed or current, not %q", ed)
		}
	}
	switch e.Cloud {
	case "", "public", "usgov":
	default:
		return fmt.Errorf("cloud must be public or usgov, not %q", e.Cloud)
	}
	if e.Group == "" {
		e.Group = "other"
		if e.User {
			e.Group = "user endpoints"
		}
	}
	return nil
}

// normalizeTemplate validates a templated entry with every placeholder replaced by a sample
// label; its probes are matched against the wildcard only once filled.
func (e *Entry) normalizeTemplate() error {
	sample := map[string]string{}
	for _, k := range e.Templates {
		if _, ok := placeholder(k); !ok {
			var known []string
			for _, p := range Placeholders {
				known = append(known, "<"+p.Key+">")
			}
			return fmt.Errorf("unknown placeholder <%s> (known: %s)", k, strings.Join(known, ", "))
		}
		sample[k] = "sample"
	}
	c := *e
	c.Name = fillTemplate(e.Name, sample)
	c.Probes = nil
	for _, p := range e.Probes {
		if strings.Contains(p, "<") {
			continue
		}
		c.Probes = append(c.Probes, p)
	}
	if strings.ContainsAny(c.Name, "<>") {
		return errors.New("a placeholder is written <key>, lower case")
	}
	if err := c.normalize(); err != nil {
		return err
	}
	e.Kind, e.Ports, e.Editions, e.Group = c.Kind, c.Ports, c.Editions, c.Group
	e.Templates = templateKeys(e.Name, e.Probes)
	return nil
}

func validHostname(h string) error {
	if h == "" {
		return errors.New("host is empty")
	}
	if net.ParseIP(h) != nil {
		return nil
	}
	if len(h) > 253 {
		return errors.New("host name longer than 253 characters")
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("bad host name %q", h)
		}
		for _, r := range label {
			if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return fmt.Errorf("bad host name %q", h)
			}
		}
	}
	return nil
}

// MatchPattern reports whether host is allowed by an allowlist pattern: an exact name, "*.x"
// (subdomains of x, not x itself) or "*x" with no dot (x itself and every name ending in x,
// as the 2018 list writes "*manage.microsoft.com").
func MatchPattern(pattern, host string) bool {
	pattern = strings.ToLower(strings.TrimSuffix(pattern, "."))
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if !strings.HasPrefix(pattern, "*") {
		return pattern == host
	}
	suffix := pattern[1:]
	if strings.HasPrefix(suffix, ".") {
		return strings.HasSuffix(host, suffix) && len(host) > len(suffix)
	}
	// "*x": a bare suffix. A dot-less "*manage.microsoft.com" means the domain and its
	// subdomains; "*-umwatsonc.events..." means any name ending with that text.
	if host == suffix {
		return true
	}
	if !strings.HasSuffix(host, suffix) {
		return false
	}
	if suffix[0] == '-' {
		return true
	}
	return strings.HasSuffix(host, "."+suffix)
}

// EntrySources converts entries to their report form; unfilled templates are listed with
// the values they lack.
func EntrySources(entries []Entry, edition, cloud string, unfilled ...Unfilled) []facts.EntrySource {
	var out []facts.EntrySource
	all := slices.Clone(entries)
	notChecked := map[int]string{}
	for _, u := range unfilled {
		notChecked[len(all)] = "no value for " + u.MissingText()
		all = append(all, u.Entry)
	}
	for i := range all {
		e := &all[i]
		if e.Cloud != "" && cloud != "" && e.Cloud != cloud {
			continue
		}
		req := e.Required == nil || *e.Required
		if !e.User {
			req = req && isRequired(e.Editions, edition)
		}
		out = append(out, facts.EntrySource{
			Name: e.Name, Kind: e.Kind, Ports: e.Ports, Group: e.Group, Editions: e.Editions,
			Sources: e.Sources, ProbeHosts: e.Probes, Required: req, NoInspection: e.NoInspection,
			Description: e.Description, Profile: e.Profile, Template: e.Template, NotChecked: notChecked[i],
		})
	}
	return out
}

// fieldRE matches yaml.v3's unknown-field error of a strict decode.
var fieldRE = regexp.MustCompile(`^line (\d+): field (\S+) not found in type catalog\.(\w+)$`)

// decodeProblems rewrites a strict decode's errors, one line each: an unknown key names the
// valid keys of where it sits.
// decodeCatalog fills c. A user's file is decoded a second time, strictly, so that a
// misspelt field is an error naming its line; an embedded profile is decoded from the node
// already parsed (half the YAML work of a run's start): TestEmbeddedProfilesAreStrict holds
// them to the strict decoder.
func decodeCatalog(file string, data []byte, doc *yaml.Node, c *Catalog, user bool) error {
	if !user {
		if err := doc.Decode(c); err != nil {
			return decodeProblems(file, err)
		}
		return nil
	}
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(c); err != nil {
		return decodeProblems(file, err)
	}
	return nil
}

func decodeProblems(file string, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return fmt.Errorf("%s: %w", file, err)
	}
	var out []error
	for _, msg := range te.Errors {
		if m := fieldRE.FindStringSubmatch(msg); m != nil {
			valid := validKeys(reflect.TypeOf(Entry{}))
			switch m[3] {
			case "Catalog":
				valid = validKeys(reflect.TypeOf(Catalog{}))
			case "Proof":
				valid = validKeys(reflect.TypeOf(Proof{}))
			}
			out = append(out, fmt.Errorf("%s:%s: unknown key %q (valid keys: %s)", file, m[1], m[2], strings.Join(valid, ", ")))
			continue
		}
		out = append(out, fmt.Errorf("%s: %s", file, strings.TrimPrefix(msg, "line ")))
	}
	return errors.Join(out...)
}

// validKeys lists the YAML keys of a struct type.
func validKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); k != "" && k != "-" {
			keys = append(keys, k)
		}
	}
	return keys
}
