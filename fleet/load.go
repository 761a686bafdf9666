package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/inputfile"
)

// maxReportBytes bounds one input file: a 20,000-check report is about 60 MB.
const maxReportBytes = 512 << 20

// Report is one machine report as the merge keeps it: the document without the evidence,
// catalog and site, trust and log sections (the fleet view never shows them, and 1,000
// machines' evidence would not fit the memory budget).
type Report struct {
	Path string
	Name string
	Doc  *facts.Document
}

// Set is what Load found: the newest report of each machine, the older ones it superseded
// and the inputs it set aside.
type Set struct {
	Reports    []*Report
	Superseded []Source
	Skipped    []Skipped
}

// errFleetDocument marks an input that is the output of an earlier merge (e.g. fleet.json
// written into the folder of reports): it is set aside, never an error.
var errFleetDocument = errors.New("a fleet document (the output of report merge), not a machine report: not merged")

// InputError lists every input that could not be merged, one file per line.
type InputError struct{ Problems []string }

func (e *InputError) Error() string {
	return strings.Join(e.Problems, "\n")
}

// Expand turns --in values (files, folders, globs) into report paths, sorted and without
// repeats. A folder contributes its *.json files (not its subfolders); a value that names
// nothing is an error.
func Expand(ins []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, in := range ins {
		if st, err := os.Stat(in); err == nil {
			if !st.IsDir() {
				add(filepath.Clean(in))
				continue
			}
			ents, err := os.ReadDir(in)
			if err != nil {
				return nil, fmt.Errorf("--in %s: %v", in, err)
			}
			n := 0
			for _, e := range ents {
				if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".json") {
					add(filepath.Join(in, e.Name()))
					n++
				}
			}
			if n == 0 {
				return nil, fmt.Errorf("--in %s: the folder holds no .json report", in)
			}
			continue
		}
		if !strings.ContainsAny(in, "*?[") {
			return nil, fmt.Errorf("--in %s: no such file or folder", in)
		}
		ms, err := filepath.Glob(in)
		if err != nil {
			return nil, fmt.Errorf("--in %s: bad pattern: %v", in, err)
		}
		n := 0
		for _, m := range ms {
			if st, err := os.Stat(m); err == nil && !st.IsDir() {
				add(filepath.Clean(m))
				n++
			}
		}
		if n == 0 {
			return nil, fmt.Errorf("--in %s: the pattern matches no file", in)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("--in: give at least one report file, folder or pattern")
	}
	slices.Sort(out)
	return out, nil
}

// Load reads every path and keeps the newest report per machine (by startedAt; on a tie,
// the path that sorts last). A file that is not a report this build can merge is an error
// naming it; with skipInvalid it is listed in Set.Skipped instead. Machines are matched by
// name, case-insensitively.
func Load(paths []string, skipInvalid bool) (*Set, error) {
	type result struct {
		r   *Report
		err error
	}
	results := make([]result, len(paths))
	workers := min(runtime.GOMAXPROCS(0), 4, len(paths))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				r, err := readReport(paths[i])
				results[i] = result{r, err}
			}
		})
	}
	for i := range paths {
		next <- i
	}
	close(next)
	wg.Wait()

	set := &Set{}
	var problems []string
	newest := map[string]int{}
	for i, res := range results {
		if res.err != nil {
			if skipInvalid || errors.Is(res.err, errFleetDocument) {
				set.Skipped = append(set.Skipped, Skipped{Path: paths[i], Reason: res.err.Error(), Unseen: !errors.Is(res.err, errFleetDocument)})
				continue
			}
			problems = append(problems, fmt.Sprintf("%s: %v", paths[i], res.err))
			continue
		}
		r := res.r
		set.keepNewest(newest, r)
	}
	if len(problems) > 0 {
		return nil, &InputError{Problems: problems}
	}
	if len(set.Reports) == 0 {
		return nil, &InputError{Problems: []string{"no input could be merged (every file was skipped)"}}
	}
	return set, nil
}

// readReport reads one machine report, refusing what this build cannot merge with a
// reason a person can act on.
func readReport(path string) (*Report, error) {
	f, err := inputfile.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > maxReportBytes {
		return nil, fmt.Errorf("%d bytes: larger than any report (%d MB at most)", st.Size(), maxReportBytes>>20)
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("read: %v", err)
	}
	// One pass over the bytes (the v2 decoder does not validate the whole input first, as
	// encoding/json does): the document decodes into a shape that skips the evidence and the
	// sections the fleet view never shows. Only when that fails or the header is foreign is
	// the header read again, to say why.
	var ld leanDoc
	decErr := jsonv2.Unmarshal(data, &ld)
	if decErr != nil || ld.Kind != "" || ld.Tool.Name != "cmpreflight" || ld.SchemaVersion != facts.SchemaVersion {
		return nil, refusal(data, decErr)
	}
	doc := ld.Document
	doc.Checks = make([]facts.Check, len(ld.Checks))
	for i := range ld.Checks {
		doc.Checks[i] = ld.Checks[i].Check
	}
	name := doc.Machine.NameOrHost()
	if name == "" {
		return nil, errors.New("the report names no machine (machine.name and machine.hostname are empty)")
	}
	if doc.StartedAt.IsZero() {
		return nil, errors.New("the report has no startedAt: its age cannot be compared")
	}
	compact(&doc)
	return &Report{Path: path, Name: name, Doc: &doc}, nil
}

// leanDoc is a report as the merge decodes it: what the fleet view shows, the rest skipped.
type leanDoc struct {
	facts.Document
	Kind        string      `json:"kind"`
	Checks      []leanCheck `json:"checks"`
	Catalog     skip        `json:"catalog"`
	Trust       skip        `json:"trust"`
	Site        skip        `json:"site"`
	LogFindings skip        `json:"logFindings"`
	Proxy       skip        `json:"proxy"`
	Options     skip        `json:"options"`
}

type leanCheck struct {
	facts.Check
	Evidence skip `json:"evidence"`
}

// skip decodes any JSON value into nothing, scanning past it without building it.
type skip struct{}

func (*skip) UnmarshalJSONFrom(dec *jsontext.Decoder) error { return dec.SkipValue() }

// refusal explains why data is not a report this build merges.
func refusal(data []byte, decErr error) error {
	var head struct {
		SchemaVersion *int   `json:"schemaVersion"`
		Kind          string `json:"kind"`
		Tool          struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"tool"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return fmt.Errorf("not a JSON report: %v", err)
	}
	switch {
	case head.Kind == Kind:
		return errFleetDocument
	case head.SchemaVersion == nil || head.Tool.Name != "cmpreflight" || head.Kind != "":
		return errors.New("not a cmpreflight JSON report (no schemaVersion or tool.name)")
	case *head.SchemaVersion != facts.SchemaVersion:
		return fmt.Errorf("schemaVersion %d (written by cmpreflight %s); this build merges schemaVersion %d: merge with a build that reads it, or re-run the machine",
			*head.SchemaVersion, head.Tool.Version, facts.SchemaVersion)
	}
	return fmt.Errorf("not a valid report: %v", decErr)
}

// compact drops what the fleet view never shows.
func compact(doc *facts.Document) {
	doc.Previous, doc.Notes = nil, nil
	for i := range doc.Checks {
		c := &doc.Checks[i]
		c.Entries, c.Sources, c.Wildcards, c.Editions, c.RequiredIn, c.Message, c.URL, c.ProxyURL = nil, nil, nil, nil, nil, "", "", ""
	}
}
