package origin

import (
	_ "embed"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// What a signature says the answer is.
const (
	MeansBlock    = "block"    // the proxy or filter refused the request
	MeansDNS      = "dns"      // the proxy could not resolve the name
	MeansUpstream = "upstream" // the proxy could not reach the origin
)

//go:embed signatures.yaml
var signaturesYAML []byte

// Signature recognises one product's page. Every condition given must hold; a signature is
// never the only defence (the canaries and the cross-host comparison do not depend on any
// product's words).
type Signature struct {
	Product string            `yaml:"product" json:"product"`
	Means   string            `yaml:"means" json:"means"`
	Source  string            `yaml:"source" json:"source"`
	Status  string            `yaml:"status" json:"-"`
	Header  map[string]string `yaml:"header" json:"-"`
	Title   string            `yaml:"title" json:"-"`
	Body    string            `yaml:"body" json:"-"`
	// Location matches a redirect's target (host, port, path).
	Location string `yaml:"location" json:"-"`

	status, title, body, location *regexp.Regexp
	header                        map[string]*regexp.Regexp
}

// Builtin returns the built-in signatures, in file order. They are read and their patterns
// compiled on first use, not at process start (a run asks for them in the background).
func Builtin() []*Signature { return builtinSignatures() }

var builtinSignatures = sync.OnceValue(func() []*Signature { return mustLoad(signaturesYAML) })

func mustLoad(data []byte) []*Signature {
	sigs, err := LoadSignatures(data)
	if err != nil {
		panic("origin: signatures.yaml: " + err.Error())
	}
	return sigs
}

// LoadSignatures parses and compiles signature data.
func LoadSignatures(data []byte) ([]*Signature, error) {
	var doc struct {
		Signatures []*Signature `yaml:"signatures"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	for i, s := range doc.Signatures {
		where := fmt.Sprintf("signature %d (%s)", i+1, s.Product)
		if s.Product == "" || s.Source == "" {
			return nil, fmt.Errorf("%s: product and source are required", where)
		}
		switch s.Means {
		case MeansBlock, MeansDNS, MeansUpstream:
		default:
			return nil, fmt.Errorf("%s: means %q is not block, dns or upstream", where, s.Means)
		}
		conds := 0
		compile := func(expr string) (*regexp.Regexp, error) {
			if expr == "" {
				return nil, nil
			}
			conds++
			return regexp.Compile("(?is)" + expr)
		}
		var err error
		if s.status, err = compile(s.Status); err != nil {
			return nil, fmt.Errorf("%s: status: %w", where, err)
		}
		if s.title, err = compile(s.Title); err != nil {
			return nil, fmt.Errorf("%s: title: %w", where, err)
		}
		if s.body, err = compile(s.Body); err != nil {
			return nil, fmt.Errorf("%s: body: %w", where, err)
		}
		if s.location, err = compile(s.Location); err != nil {
			return nil, fmt.Errorf("%s: location: %w", where, err)
		}
		s.header = map[string]*regexp.Regexp{}
		for k, v := range s.Header {
			re, err := compile(v)
			if err != nil {
				return nil, fmt.Errorf("%s: header %s: %w", where, k, err)
			}
			s.header[http.CanonicalHeaderKey(k)] = re
		}
		if conds == 0 {
			return nil, fmt.Errorf("%s: no condition", where)
		}
	}
	return doc.Signatures, nil
}

// Match returns the first signature the answer matches, or nil.
func Match(a Answer) *Signature {
	for _, s := range Builtin() {
		if s.matches(a) {
			return s
		}
	}
	return nil
}

func (s *Signature) matches(a Answer) bool {
	if s.status != nil && !s.status.MatchString(a.Status) {
		return false
	}
	for k, re := range s.header {
		vals := a.Header.Values(k)
		if len(vals) == 0 || !re.MatchString(strings.Join(vals, ", ")) {
			return false
		}
	}
	if s.title != nil && !s.title.MatchString(Title(a.Body)) {
		return false
	}
	if s.body != nil && !s.body.Match(a.Body) {
		return false
	}
	if s.location != nil {
		loc := a.Header.Get("Location")
		if loc == "" || !s.location.MatchString(loc) {
			return false
		}
	}
	return true
}
