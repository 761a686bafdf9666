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
		set.keepNewest(newest, r)
	}
	if len(set.Reports) == 0 {
		return nil, errors.New("fleet: no document")
	}
	return set, nil
}

// keepNewest adds r to the set, or, when the set already holds a report of the same machine
// (names compare case-insensitively), keeps the newer one (by startedAt) and lists the other
// as superseded. newest maps a lower-case machine name to its index in set.Reports.
func (set *Set) keepNewest(newest map[string]int, r *Report) {
	key := strings.ToLower(r.Name)
	j, ok := newest[key]
	if !ok {
		newest[key] = len(set.Reports)
		set.Reports = append(set.Reports, r)
		return
	}
	old := set.Reports[j]
	if r.Doc.StartedAt.Before(old.Doc.StartedAt) {
		old = r
	} else {
		set.Reports[j] = r
	}
	set.Superseded = append(set.Superseded, Source{Path: old.Path, Machine: old.Name, StartedAt: old.Doc.StartedAt})
}
