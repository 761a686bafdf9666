package cmlogs

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

//go:embed signatures.yaml
var signaturesYAML []byte

// Signature is one known failure pattern, kept as data in signatures.yaml.
type Signature struct {
	ID       string   `yaml:"id" json:"id"`
	Severity string   `yaml:"severity" json:"severity"`
	Contains string   `yaml:"contains" json:"contains,omitempty"`
	Regexp   string   `yaml:"regexp" json:"regexp,omitempty"`
	Logs     []string `yaml:"logs" json:"logs,omitempty"`
	// Profiles are the catalog profiles (roles) whose logs show the signature.
	Profiles    []string `yaml:"profiles" json:"profiles,omitempty"`
	RecordType  string   `yaml:"recordType" json:"recordType,omitempty"`
	Fallback    bool     `yaml:"fallback" json:"fallback,omitempty"`
	Title       string   `yaml:"title" json:"title"`
	Remediation string   `yaml:"remediation" json:"remediation"`
	Reference   string   `yaml:"reference" json:"reference,omitempty"`

	re       *regexp.Regexp
	contains string // lower-cased
}

type signatureFile struct {
	Signatures    []Signature `yaml:"signatures"`
	SyncMarkers   []string    `yaml:"syncMarkers"`
	SyncFailWords string      `yaml:"syncFailWords"`
}

type signatureSet struct {
	sigs        []Signature
	syncMarkers []*regexp.Regexp
	syncFail    *regexp.Regexp
}

// builtin compiles the embedded signatures on first use, not at start-up: a run without
// --cm-logs never needs them.
var builtin = sync.OnceValue(func() *signatureSet { return mustLoad(signaturesYAML) })

func mustLoad(b []byte) *signatureSet {
	s, err := loadSignatures(b)
	if err != nil {
		panic("cmlogs: embedded signatures.yaml: " + err.Error())
	}
	return s
}

// Signatures returns the built-in signatures in file order.
func Signatures() []Signature {
	sigs := builtin().sigs
	out := make([]Signature, len(sigs))
	copy(out, sigs)
	return out
}

func loadSignatures(b []byte) (*signatureSet, error) {
	var f signatureFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	set := &signatureSet{}
	seen := map[string]bool{}
	for i, s := range f.Signatures {
		where := fmt.Sprintf("signature %d (%s)", i+1, s.ID)
		switch {
		case s.ID == "":
			return nil, fmt.Errorf("%s: no id", where)
		case seen[s.ID] || s.ID == syncStale || s.ID == syncNever:
			return nil, fmt.Errorf("%s: duplicate id", where)
		case s.Severity != SeverityError && s.Severity != SeverityWarning && s.Severity != SeverityInfo:
			return nil, fmt.Errorf("%s: severity %q is not error, warning or info", where, s.Severity)
		case (s.Contains == "") == (s.Regexp == ""):
			return nil, fmt.Errorf("%s: needs exactly one of contains and regexp", where)
		case s.RecordType != "" && s.RecordType != "error":
			return nil, fmt.Errorf("%s: recordType %q is not error", where, s.RecordType)
		case s.Title == "" || s.Remediation == "":
			return nil, fmt.Errorf("%s: needs a title and a remediation", where)
		}
		seen[s.ID] = true
		if s.Regexp != "" {
			re, err := regexp.Compile(s.Regexp)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			s.re = re
		}
		s.contains = strings.ToLower(s.Contains)
		for j, l := range s.Logs {
			s.Logs[j] = strings.ToLower(l)
		}
		set.sigs = append(set.sigs, s)
	}
	for _, m := range f.SyncMarkers {
		re, err := regexp.Compile(m)
		if err != nil {
			return nil, fmt.Errorf("syncMarkers: %w", err)
		}
		set.syncMarkers = append(set.syncMarkers, re)
	}
	if f.SyncFailWords != "" {
		re, err := regexp.Compile(f.SyncFailWords)
		if err != nil {
			return nil, fmt.Errorf("syncFailWords: %w", err)
		}
		set.syncFail = re
	}
	return set, nil
}

// appliesTo reports whether the signature looks at records of the log named log (lower case,
// rotation suffix removed, e.g. "dmpdownloader.log").
func (s *Signature) appliesTo(log string, rec *Record) bool {
	if s.RecordType == "error" && rec.Type != TypeError {
		return false
	}
	if len(s.Logs) == 0 {
		return true
	}
	for _, l := range s.Logs {
		if l == log {
			return true
		}
	}
	return false
}

// matches reports whether text (and its lower-cased copy) shows the signature.
func (s *Signature) matches(text, lower string) bool {
	if s.re != nil {
		return s.re.MatchString(text)
	}
	return strings.Contains(lower, s.contains)
}

// isSyncSuccess reports a record that marks a successful synchronisation.
func (set *signatureSet) isSyncSuccess(rec *Record) bool {
	if rec.Type == TypeError || rec.Type == TypeWarning {
		return false
	}
	if set.syncFail != nil && set.syncFail.MatchString(rec.Text) {
		return false
	}
	for _, re := range set.syncMarkers {
		if re.MatchString(rec.Text) {
			return true
		}
	}
	return false
}
