package cmlogs

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/inputfile"
)

// Finding severities.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
	SeverityInfo    = "info"
)

// Signatures computed from the whole log rather than matched per record.
const (
	syncStale = "sync.stale"
	syncNever = "sync.never"
)

// SyncCycle is how often an online service connection point synchronises (docs/design.md, "The role's logs").
const SyncCycle = 24 * time.Hour

const maxExample = 400

// knownLog matches the logs the analyzer reads when given a directory, with ConfigMgr's
// rotation names: `X.lo_` (server) and `X-YYYYMMDD-HHMMSS.log` (client).
var knownLog = regexp.MustCompile(`(?i)^(dmpdownloader|dmpuploader|endpointconnectivitycheckworker|srvboot|ruleengine|ccm_sts_managedbase|clientidmanagerstartup)(-\d{8}-\d{6})?\.(log|lo_)$`)

// FileStat says what was read from one file.
type FileStat struct {
	Path      string `json:"path"`
	Log       string `json:"log"` // the log it belongs to, lower case: dmpdownloader.log
	Encoding  string `json:"encoding"`
	Records   int    `json:"records"`
	Corrupt   int    `json:"corrupt"`
	Truncated int    `json:"truncated"`
}

// Result is what Analyze found.
type Result struct {
	Findings []facts.LogFinding `json:"findings"`
	Files    []FileStat         `json:"files"`
	// LastSync is the latest successful synchronisation seen in Dmpdownloader.log, in UTC;
	// nil when no Dmpdownloader.log was read or none showed one.
	LastSync *time.Time `json:"lastSync,omitempty"`
}

// HasErrors reports whether any finding is error-level.
func HasErrors(findings []facts.LogFinding) bool {
	for _, f := range findings {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}

// logGroup is one log and its rotated copies in one directory.
type logGroup struct {
	dir, log string
	files    []string
}

// display is the path that names the group: its current .log when present.
func (g *logGroup) display() string {
	for _, f := range g.files {
		if strings.EqualFold(filepath.Base(f), g.log) {
			return f
		}
	}
	return filepath.Join(g.dir, g.log)
}

type aggregate struct {
	sig     *Signature
	group   *logGroup
	count   int
	first   time.Time
	last    time.Time
	example string
	sources map[string]bool
}

// Analyze reads the logs at paths (files, or directories searched recursively for
// Dmpdownloader, Dmpuploader, EndpointConnectivityCheckWorker and SrvBoot logs of the SCP,
// ruleengine.log of automatic deployment rules, CCM_STS_ManagedBase.log of the management
// point and ClientIDManagerStartup.log of clients, and their rotated copies) and returns the findings. now is the clock the sync age is measured
// against. Malformed content is counted in Files, not an error; an unreadable path is.
func Analyze(paths []string, now time.Time) (*Result, error) {
	return analyze(builtin(), paths, now)
}

func analyze(set *signatureSet, paths []string, now time.Time) (*Result, error) {
	files, err := collect(paths)
	if err != nil {
		return nil, err
	}
	groups := map[string]*logGroup{}
	var order []*logGroup
	for _, f := range files {
		dir, log := filepath.Dir(f), logName(filepath.Base(f))
		key := dir + "\x00" + log
		g := groups[key]
		if g == nil {
			g = &logGroup{dir: dir, log: log}
			groups[key] = g
			order = append(order, g)
		}
		g.files = append(g.files, f)
	}

	res := &Result{Files: []FileStat{}, Findings: []facts.LogFinding{}}
	aggs := map[string]*aggregate{}
	for _, g := range order {
		var lastSync *Record
		var span [2]time.Time
		isDownloader := g.log == "dmpdownloader.log"
		for _, path := range g.files {
			st, err := analyzeFile(set, path, g, aggs, func(rec *Record) {
				if span[0].IsZero() || rec.Time.Before(span[0]) {
					span[0] = rec.Time
				}
				if rec.Time.After(span[1]) {
					span[1] = rec.Time
				}
				if isDownloader && set.isSyncSuccess(rec) && (lastSync == nil || !rec.Time.Before(lastSync.Time)) {
					r := *rec
					lastSync = &r
				}
			})
			if err != nil {
				return nil, err
			}
			res.Files = append(res.Files, st)
		}
		if isDownloader {
			if f := syncFinding(g, lastSync, span, now); f != nil {
				res.Findings = append(res.Findings, *f)
			}
			if lastSync != nil && (res.LastSync == nil || lastSync.Time.After(*res.LastSync)) {
				t := lastSync.Time
				res.LastSync = &t
			}
		}
	}
	for _, a := range aggs {
		res.Findings = append(res.Findings, a.finding())
	}
	sortFindings(res.Findings)
	return res, nil
}

func analyzeFile(set *signatureSet, path string, g *logGroup, aggs map[string]*aggregate, each func(*Record)) (FileStat, error) {
	st := FileStat{Path: path, Log: g.log}
	f, err := inputfile.Open(path)
	if err != nil {
		return st, err
	}
	defer f.Close()
	stats, err := Parse(f, func(rec Record) {
		each(&rec)
		lower := strings.ToLower(rec.Text)
		matched := false
		for i := range set.sigs {
			s := &set.sigs[i]
			if s.Fallback || !s.appliesTo(g.log, &rec) || !s.matches(rec.Text, lower) {
				continue
			}
			matched = true
			record(aggs, s, g, path, &rec)
		}
		if matched {
			return
		}
		for i := range set.sigs {
			s := &set.sigs[i]
			if s.Fallback && s.appliesTo(g.log, &rec) && s.matches(rec.Text, lower) {
				record(aggs, s, g, path, &rec)
				return
			}
		}
	})
	st.Encoding = string(stats.Encoding)
	st.Records, st.Corrupt, st.Truncated = stats.Records, stats.Corrupt, stats.Truncated
	if err != nil {
		return st, fmt.Errorf("%s: %w", path, err)
	}
	return st, nil
}

func record(aggs map[string]*aggregate, s *Signature, g *logGroup, path string, rec *Record) {
	key := s.ID + "\x00" + g.dir + "\x00" + g.log
	a := aggs[key]
	if a == nil {
		a = &aggregate{sig: s, group: g, first: rec.Time, sources: map[string]bool{}}
		aggs[key] = a
	}
	a.count++
	a.sources[path] = true
	if rec.Time.Before(a.first) {
		a.first = rec.Time
	}
	if a.example == "" || !rec.Time.Before(a.last) {
		a.last = rec.Time
		a.example = example(rec.Text)
	}
}

func (a *aggregate) finding() facts.LogFinding {
	f := facts.LogFinding{
		Signature:   a.sig.ID,
		Severity:    a.sig.Severity,
		Title:       a.sig.Title,
		File:        a.group.display(),
		Count:       a.count,
		FirstSeen:   a.first,
		LastSeen:    a.last,
		Example:     a.example,
		Remediation: a.sig.Remediation,
		Reference:   a.sig.Reference,
	}
	for p := range a.sources {
		f.Sources = append(f.Sources, p)
	}
	sort.Strings(f.Sources)
	return f
}

func syncFinding(g *logGroup, last *Record, span [2]time.Time, now time.Time) *facts.LogFinding {
	const remediation = "An online service connection point synchronises with Microsoft every 24 hours. " +
		"Fix the other findings of Dmpdownloader.log first (TLS trust, TLS 1.2, proxy, name resolution); " +
		"check that the SMS_DMP_DOWNLOADER thread of SMS_Executive runs (restart it after a mode change) " +
		"and that the role is in online mode: an offline one never syncs and is updated with the service connection tool."
	const ref = "memdocs: configmgr/core/servers/manage/use-the-service-connection-tool"
	f := &facts.LogFinding{
		Severity:    SeverityWarning,
		File:        g.display(),
		Count:       1,
		Remediation: remediation,
		Reference:   ref,
	}
	if last == nil {
		f.Signature = syncNever
		f.Title = "No successful synchronisation found in Dmpdownloader.log"
		f.FirstSeen, f.LastSeen = span[0], span[1]
		return f
	}
	age := now.Sub(last.Time)
	if age <= SyncCycle {
		return nil
	}
	f.Signature = syncStale
	f.Title = fmt.Sprintf("Last successful synchronisation is older than 24 hours (%s ago)", age.Truncate(time.Minute))
	f.FirstSeen, f.LastSeen = last.Time, last.Time
	f.Example = example(last.Text)
	return f
}

var severityRank = map[string]int{SeverityError: 0, SeverityWarning: 1, SeverityInfo: 2}

func sortFindings(fs []facts.LogFinding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if severityRank[a.Severity] != severityRank[b.Severity] {
			return severityRank[a.Severity] < severityRank[b.Severity]
		}
		if a.Signature != b.Signature {
			return a.Signature < b.Signature
		}
		return a.File < b.File
	})
}

// example makes record text fit on one line of a report.
func example(text string) string {
	s := strings.ToValidUTF8(text, "\uFFFD")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > maxExample {
		cut := maxExample
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// logName is the lower-case name of the log a file belongs to: rotation suffixes removed and
// `.lo_` read as `.log`.
func logName(base string) string {
	if m := knownLog.FindStringSubmatch(base); m != nil {
		return strings.ToLower(m[1]) + ".log"
	}
	l := strings.ToLower(base)
	if strings.HasSuffix(l, ".lo_") {
		l = strings.TrimSuffix(l, ".lo_") + ".log"
	}
	return l
}

// collect expands paths into a sorted list of distinct files.
func collect(paths []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		p = filepath.Clean(p)
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			add(p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.Type().IsRegular() && knownLog.MatchString(d.Name()) {
				add(path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}
