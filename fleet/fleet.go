// Package fleet merges the JSON reports of many machines into one fleet document: machines
// × checks, each machine's verdict, and the checks that split the fleet listed first.
package fleet

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cmpreflight/cmpreflight/facts"
)

// SchemaVersion is the version of the fleet document; its schema is fleet/schema/fleet.schema.json.
const SchemaVersion = 1

// Kind tells a fleet document from a machine report.
const Kind = "cmpreflight-fleet"

// Machine verdicts. A machine is compliant only on a compliant verdict of a complete run.
const (
	VerdictCompliant    = "compliant"
	VerdictNotCompliant = "not-compliant"
	VerdictInterrupted  = "interrupted"
	VerdictNone         = "no-verdict"
)

// Check patterns across the fleet, in the order the document lists them.
const (
	// PatternSplit: fails (or errors) on some machines and passes on others; such a check
	// points at one network segment, one proxy or one machine's configuration.
	PatternSplit = "split"
	// PatternFailing: fails or errors on every machine that ran it.
	PatternFailing = "failing"
	// PatternWarn: warns somewhere, fails nowhere.
	PatternWarn = "warn"
	// PatternPassing: passes (or is skipped) everywhere it ran.
	PatternPassing = "passing"
)

// StatusAbsent is a cell whose machine did not run the check.
const StatusAbsent = "absent"

// Document is the fleet view.
type Document struct {
	SchemaVersion int        `json:"schemaVersion"`
	Kind          string     `json:"kind"`
	Tool          facts.Tool `json:"tool"`
	GeneratedAt   time.Time  `json:"generatedAt"`
	Summary       Summary    `json:"summary"`
	// Machines are not compliant first, then by name; Checks[].Results follow this order.
	Machines []Machine `json:"machines"`
	// Checks are split first, then failing, warn, passing.
	Checks []Row `json:"checks"`
	// Superseded are older reports of a machine whose newest report was merged.
	Superseded []Source `json:"superseded"`
	// Skipped are inputs refused under --skip-invalid, with the reason. The machines they
	// came from are unseen: the fleet is not proven compliant while any is skipped, unless
	// SkippedAccepted (report merge --accept-skipped) says they are accepted unseen.
	Skipped         []Skipped `json:"skipped"`
	SkippedAccepted bool      `json:"skippedAccepted"`
	Notes           []string  `json:"notes"`
}

// Proven reports whether the fleet is compliant as far as a gate can tell: every merged
// machine compliant, and no input skipped unless skipped inputs were accepted.
func (d *Document) Proven() bool {
	return d.Summary.Compliant == d.Summary.Machines && (d.Summary.Skipped == 0 || d.SkippedAccepted)
}

// Summary counts machines by verdict and checks by pattern.
type Summary struct {
	Reports      int `json:"reports"`
	Machines     int `json:"machines"`
	Compliant    int `json:"compliant"`
	NotCompliant int `json:"notCompliant"`
	Interrupted  int `json:"interrupted"`
	NoVerdict    int `json:"noVerdict"`
	Checks       int `json:"checks"`
	Split        int `json:"split"`
	Failing      int `json:"failing"`
	// Skipped counts the inputs that could not be read (--skip-invalid), each maybe a
	// machine unseen; fleet documents set aside are not counted.
	Skipped int `json:"skipped"`
}

// Machine is one machine's newest report.
type Machine struct {
	Name        string          `json:"name"`
	Hostname    string          `json:"hostname"`
	OS          string          `json:"os"`
	Report      string          `json:"report"`
	ToolVersion string          `json:"toolVersion"`
	StartedAt   time.Time       `json:"startedAt"`
	DurationMs  int64           `json:"durationMs"`
	Profile     string          `json:"profile"`
	Edition     string          `json:"edition"`
	Verdict     string          `json:"verdict"`
	Summary     facts.Summary   `json:"summary"`
	Deny        []facts.Finding `json:"deny"`
	Warn        []facts.Finding `json:"warn"`
	// Failing lists the ids of the checks that failed or errored on this machine.
	Failing []string `json:"failing"`
}

// Row is one check across the fleet.
type Row struct {
	ID       string `json:"id"`
	Host     string `json:"host,omitempty"`
	Port     int    `json:"port,omitempty"`
	Route    string `json:"route,omitempty"`
	Required bool   `json:"required"`
	Pattern  string `json:"pattern"`
	Counts   Counts `json:"counts"`
	// FailingOn names the machines where the check failed or errored.
	FailingOn []string `json:"failingOn"`
	Results   []Cell   `json:"results"`
}

// Counts are a row's cells by status.
type Counts struct {
	Pass   int `json:"pass"`
	Fail   int `json:"fail"`
	Warn   int `json:"warn"`
	Skip   int `json:"skip"`
	Error  int `json:"error"`
	Absent int `json:"absent"`
}

// Cell is one machine's result for one check.
type Cell struct {
	Machine string `json:"machine"`
	Status  string `json:"status"`
	Stage   string `json:"stage,omitempty"`
	Reason  string `json:"reason,omitempty"`
	TotalMs int64  `json:"totalMs"`
}

// Source is a report file and the run it holds.
type Source struct {
	Path      string    `json:"path"`
	Machine   string    `json:"machine"`
	StartedAt time.Time `json:"startedAt"`
}

// Skipped is an input that was not merged.
type Skipped struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
	// Unseen: the file could be a machine's report that could not be read, so that machine
	// is unseen. A fleet document set aside is not.
	Unseen bool `json:"unseen"`
}

// verdictOf is a report's machine verdict.
func verdictOf(doc *facts.Document) string {
	switch {
	case doc.Interrupted:
		return VerdictInterrupted
	case doc.Verdict == nil:
		return VerdictNone
	case doc.Verdict.Compliant && len(doc.Verdict.Deny) == 0:
		return VerdictCompliant
	default:
		return VerdictNotCompliant
	}
}

func failing(status string) bool { return status == facts.StatusFail || status == facts.StatusError }

// Merge builds the fleet document from one report per machine (see Load) plus what Load
// set aside; tool is the merging binary.
func Merge(set *Set, tool facts.Tool, now time.Time) *Document {
	reports := set.Reports
	doc := &Document{SchemaVersion: SchemaVersion, Kind: Kind, Tool: tool, GeneratedAt: now.UTC(),
		Machines: []Machine{}, Checks: []Row{}, Superseded: set.Superseded, Skipped: set.Skipped, Notes: []string{}}
	if doc.Superseded == nil {
		doc.Superseded = []Source{}
	}
	if doc.Skipped == nil {
		doc.Skipped = []Skipped{}
	}
	doc.Summary.Reports = len(reports) + len(set.Superseded)
	for _, s := range doc.Skipped {
		if s.Unseen {
			doc.Summary.Skipped++
		}
	}

	rank := map[string]int{VerdictNotCompliant: 0, VerdictInterrupted: 1, VerdictNone: 2, VerdictCompliant: 3}
	slices.SortFunc(reports, func(a, b *Report) int {
		return cmp.Or(cmp.Compare(rank[verdictOf(a.Doc)], rank[verdictOf(b.Doc)]), strings.Compare(a.Name, b.Name))
	})

	rows := map[string]*Row{}
	versions := map[string]int{}
	profiles := map[string]bool{}
	for mi, r := range reports {
		m := machineOf(r)
		versions[r.Doc.Tool.Version]++
		profiles[r.Doc.Profile+" / "+r.Doc.Edition] = true
		doc.Summary.count(m.Verdict)
		addCells(rows, reports, mi, &m)
		doc.Machines = append(doc.Machines, m)
	}
	doc.Summary.Machines = len(doc.Machines)

	for _, row := range rows {
		finishRow(row, reports)
		switch row.Pattern {
		case PatternSplit:
			doc.Summary.Split++
		case PatternFailing:
			doc.Summary.Failing++
		}
		doc.Checks = append(doc.Checks, *row)
	}
	order := map[string]int{PatternSplit: 0, PatternFailing: 1, PatternWarn: 2, PatternPassing: 3}
	slices.SortFunc(doc.Checks, func(a, b Row) int {
		return cmp.Or(cmp.Compare(order[a.Pattern], order[b.Pattern]),
			// Within split checks, the ones failing on the fewest machines first: they
			// single out a machine or a segment.
			cmp.Compare(len(a.FailingOn), len(b.FailingOn)), strings.Compare(a.ID, b.ID))
	})
	doc.Summary.Checks = len(doc.Checks)
	doc.Notes = mergeNotes(versions, profiles, len(doc.Superseded))
	return doc
}

// machineOf is one report's line in the fleet: its identity, verdict and findings.
func machineOf(r *Report) Machine {
	d := r.Doc
	m := Machine{Name: r.Name, Hostname: d.Machine.Hostname, OS: d.Machine.OS, Report: r.Path, ToolVersion: d.Tool.Version,
		StartedAt: d.StartedAt, DurationMs: d.DurationMs, Profile: d.Profile, Edition: d.Edition, Verdict: verdictOf(d),
		Summary: d.Summary, Deny: []facts.Finding{}, Warn: []facts.Finding{}, Failing: []string{}}
	if d.Verdict != nil {
		m.Deny = append(m.Deny, d.Verdict.Deny...)
		m.Warn = append(m.Warn, d.Verdict.Warn...)
	}
	return m
}

// count adds one machine's verdict to the summary.
func (s *Summary) count(verdict string) {
	switch verdict {
	case VerdictCompliant:
		s.Compliant++
	case VerdictNotCompliant:
		s.NotCompliant++
	case VerdictInterrupted:
		s.Interrupted++
	default:
		s.NoVerdict++
	}
}

// addCells puts machine mi's checks into their rows (created on first sight) and lists the
// ones failing on it.
func addCells(rows map[string]*Row, reports []*Report, mi int, m *Machine) {
	r := reports[mi]
	for ci := range r.Doc.Checks {
		c := &r.Doc.Checks[ci]
		row := rows[c.ID]
		if row == nil {
			row = &Row{ID: c.ID, Host: c.Host, Port: c.Port, Route: c.Route, FailingOn: []string{},
				Results: make([]Cell, len(reports))}
			rows[c.ID] = row
		}
		if row.Results[mi].Status != "" {
			// The same id twice in one report: keep the first, as every report format does.
			continue
		}
		row.Required = row.Required || c.Required
		row.Results[mi] = Cell{Machine: r.Name, Status: c.Status, Stage: c.Stage, Reason: c.Reason, TotalMs: c.Timings.Total}
		if failing(c.Status) {
			m.Failing = append(m.Failing, c.ID)
			row.FailingOn = append(row.FailingOn, r.Name)
		}
	}
}

// finishRow marks the machines that did not run a check as absent, counts the row's
// statuses and names its pattern (split, failing, warn, passing).
func finishRow(row *Row, reports []*Report) {
	for mi := range row.Results {
		cell := &row.Results[mi]
		if cell.Status == "" {
			*cell = Cell{Machine: reports[mi].Name, Status: StatusAbsent}
		}
		switch cell.Status {
		case facts.StatusPass:
			row.Counts.Pass++
		case facts.StatusFail:
			row.Counts.Fail++
		case facts.StatusWarn:
			row.Counts.Warn++
		case facts.StatusSkip:
			row.Counts.Skip++
		case facts.StatusError:
			row.Counts.Error++
		default:
			row.Counts.Absent++
		}
	}
	bad := row.Counts.Fail + row.Counts.Error
	switch {
	case bad > 0 && row.Counts.Pass > 0:
		row.Pattern = PatternSplit
	case bad > 0:
		row.Pattern = PatternFailing
	case row.Counts.Warn > 0:
		row.Pattern = PatternWarn
	default:
		row.Pattern = PatternPassing
	}
}

// mergeNotes says what makes machines hard to compare: several tool versions, several
// profiles or editions, older reports set aside.
func mergeNotes(versions map[string]int, profiles map[string]bool, superseded int) []string {
	notes := []string{}
	if len(versions) > 1 {
		var vs []string
		for v, n := range versions {
			vs = append(vs, fmt.Sprintf("%s (%d)", cmp.Or(v, "unknown"), n))
		}
		slices.Sort(vs)
		notes = append(notes, "the reports come from several tool versions: "+strings.Join(vs, ", ")+"; check ids and rules may differ between them")
	}
	if len(profiles) > 1 {
		var ps []string
		for p := range profiles {
			ps = append(ps, p)
		}
		slices.Sort(ps)
		notes = append(notes, "the machines ran different profiles or editions ("+strings.Join(ps, "; ")+"): a check absent on a machine may not apply to it")
	}
	if superseded > 0 {
		notes = append(notes, fmt.Sprintf("%d older report(s) of the same machines were superseded by newer ones", superseded))
	}
	return notes
}
