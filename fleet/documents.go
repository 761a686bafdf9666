package fleet

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cmpreflight/cmpreflight/facts"
)

// FromDocuments makes a Set of documents already in memory (report evaluate merges the
// reports it judged again), keeping the newest report of each machine as Load does. paths[i]
// is where docs[i] came from.
func FromDocuments(paths []string, docs []*facts.Document) (*Set, error) {
	if len(paths) != len(docs) {
		return nil, errors.New("fleet: one path per document")
	}
	set := &Set{}
	newest := map[string]int{}
	for i, doc := range docs {
		name := doc.Machine.NameOrHost()
		if name == "" {
			return nil, fmt.Errorf("%s: the report names no machine (machine.name and machine.hostname are empty)", paths[i])
		}
		r := &Report{Path: paths[i], Name: name, Doc: doc}
		key := strings.ToLower(name)
		j, ok := newest[key]
		if !ok {
			newest[key] = len(set.Reports)
			set.Reports = append(set.Reports, r)
			continue
		}
		old := set.Reports[j]
		if r.Doc.StartedAt.Before(old.Doc.StartedAt) {
			old = r
		} else {
			set.Reports[j] = r
		}
		set.Superseded = append(set.Superseded, Source{Path: old.Path, Machine: old.Name, StartedAt: old.Doc.StartedAt})
	}
	if len(set.Reports) == 0 {
		return nil, errors.New("fleet: no document")
	}
	return set, nil
}
