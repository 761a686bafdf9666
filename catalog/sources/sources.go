// Package sources is the table of Microsoft pages the catalog and the policies cite by key
// (IE, SEED, KB4561945, ...): title, URL and page date, so reports can show links.
package sources

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// Source is one cited page.
type Source struct {
	Key   string `yaml:"key" json:"key"`
	Title string `yaml:"title" json:"title"`
	URL   string `yaml:"url" json:"url"`
	Date  string `yaml:"date" json:"date"` // the page's date: YYYY-MM-DD, or YYYY-MM / YYYY when that is all it gives
}

//go:embed sources.yaml
var tableYAML []byte

var (
	loadOnce sync.Once
	table    []Source
	byKey    map[string]int
	loadErr  error
)

// load parses the embedded table once, on first use (never at start-up).
func load() {
	var doc struct {
		Sources []Source `yaml:"sources"`
	}
	if err := yaml.Unmarshal(tableYAML, &doc); err != nil {
		loadErr = fmt.Errorf("sources.yaml: %w", err)
		return
	}
	table = doc.Sources
	byKey = make(map[string]int, len(table))
	for i, s := range table {
		if _, dup := byKey[s.Key]; dup {
			loadErr = fmt.Errorf("sources.yaml: key %q listed twice", s.Key)
			return
		}
		byKey[s.Key] = i
	}
}

// All returns every source in table order. The table is embedded and tested, so an error
// here is a build defect; it is returned rather than hidden.
func All() ([]Source, error) {
	loadOnce.Do(load)
	if loadErr != nil {
		return nil, loadErr
	}
	out := make([]Source, len(table))
	copy(out, table)
	return out, nil
}

// Lookup returns the source of key (exact, case-sensitive).
func Lookup(key string) (Source, bool) {
	loadOnce.Do(load)
	if loadErr != nil {
		return Source{}, false
	}
	i, ok := byKey[key]
	if !ok {
		return Source{}, false
	}
	return table[i], true
}

// Keys splits a source field as findings and rules write it ("SEED, IE" or "SEED IE") into
// its keys, dropping empty ones.
func Keys(field string) []string {
	return strings.FieldsFunc(field, func(r rune) bool { return r == ',' || r == ' ' || r == ';' })
}

// Resolve returns, for each key of field, its source; a key not in the table comes back with
// only Key set (a user policy may name its own), so callers show it as plain text.
func Resolve(field string) []Source {
	var out []Source
	for _, k := range Keys(field) {
		if s, ok := Lookup(k); ok {
			out = append(out, s)
		} else {
			out = append(out, Source{Key: k})
		}
	}
	return out
}
