package reports

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cmpreflight/cmpreflight/catalog/sources"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/reports/diagnosis"
)

// The template is one self-contained page: inline CSS and JS, nothing fetched. Every value
// goes through html/template's contextual escaping; no data is ever marked template.HTML.
//
//go:embed html.tmpl
var htmlTemplateText string

var htmlFuncs = template.FuncMap{
	"join":     strings.Join,
	"time":     formatTime,
	"date":     func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"duration": formatDuration,
	"boolp": func(b *bool) string {
		if b == nil {
			return "not checked"
		}
		if *b {
			return "yes"
		}
		return "no"
	},
	"yesno": func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	},
	"value": func(v any) string { return fmt.Sprint(v) },
	// sources resolves source keys (a finding's "SEED, IE" or a check's list) to the sources
	// table, for the "srcs" template that shows them as links.
	"sources": func(v any) []sources.Source {
		switch x := v.(type) {
		case string:
			return sourceRefs(x)
		case []string:
			return sourceRefs(x...)
		}
		return nil
	},
}

// htmlTemplate is parsed on first use, not at start-up: most runs write no HTML.
var htmlTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report").Funcs(htmlFuncs).Parse(htmlTemplateText))
})

type htmlView struct {
	Doc          *facts.Document
	Title        string
	Verdict      string
	VerdictClass string
	Deny, Warn   int
	Waived       int
	Started      string
	Duration     string
	Judged       string // who judged the facts and when (judgedLine), "" when not recorded
	Findings     []findingView
	Causes       []causeView
	Groups       []groupView
	Statuses     []statusCount
	Total        int
}

type statusCount struct {
	Status string
	Count  int
}

type findingView struct {
	Anchor string
	Level  string
	F      *facts.Finding
	Checks []checkRef
	Doc    *RuleDoc // the rule's metadata, when the rule is documented
}

// causeView is one cause of the diagnosis: a fold whose summary is the headline.
type causeView struct {
	C      *diagnosis.Cause
	Action string
	Rules  []causeRule
	Checks []checkRef
}

type causeRule struct {
	diagnosis.RuleCount
	Title   string
	Sources []string
}

type checkRef struct {
	ID     string
	Anchor string // empty when the id names no check in the document
}

type groupView struct {
	Name   string
	Checks []checkView
}

type checkView struct {
	C           *facts.Check
	Anchor      string
	Group       string
	StageReason string
	Segments    []segment
	Related     []findingRefView
}

type findingRefView struct {
	Anchor string
	Level  string
	Rule   string
}

// segment is one phase of the waterfall; Width is a percentage of the slowest check.
type segment struct {
	Phase string
	Ms    int64
	Width string
}

// anchorFor makes an element id from a check id, unique within the page.
func anchorFor(prefix, id string, used map[string]bool) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	a := b.String()
	for n := 2; used[a]; n++ {
		a = fmt.Sprintf("%s-%d", b.String(), n)
	}
	used[a] = true
	return a
}

func buildHTMLView(doc *facts.Document) *htmlView {
	v := &htmlView{Doc: doc, Verdict: verdictWord(doc), Started: formatTime(doc.StartedAt), Duration: formatDuration(doc.DurationMs), Judged: judgedLine(doc)}
	v.Deny, v.Warn, v.Waived = verdictCounts(doc)
	v.VerdictClass = map[string]string{"compliant": "ok", "not compliant": "bad", "no verdict": "none"}[v.Verdict]
	v.Title = "cmpreflight: " + v.Verdict
	if n := doc.Machine.NameOrHost(); n != "" {
		v.Title += " on " + n
	}

	used := map[string]bool{}
	checkAnchor := map[string]string{}
	for i := range doc.Checks {
		checkAnchor[doc.Checks[i].ID] = anchorFor("check-", doc.Checks[i].ID, used)
	}
	related := map[string][]findingRefView{}
	docs := ruleDocs()
	n := 0
	eachFinding(doc.Verdict, func(level string, f *facts.Finding) {
		n++
		fv := findingView{Anchor: fmt.Sprintf("finding-%d", n), Level: level, F: f}
		if d, ok := docs[f.Rule]; ok {
			fv.Doc = &d
		}
		for _, id := range f.Checks {
			fv.Checks = append(fv.Checks, checkRef{ID: id, Anchor: checkAnchor[id]})
			related[id] = append(related[id], findingRefView{Anchor: fv.Anchor, Level: level, Rule: f.Rule})
		}
		v.Findings = append(v.Findings, fv)
	})

	causes := diagnosis.Diagnose(doc)
	for i := range causes {
		c := &causes[i]
		cv := causeView{C: c, Action: causeAction(c, docs)}
		for _, r := range c.Rules {
			d := docs[r.Rule]
			cv.Rules = append(cv.Rules, causeRule{RuleCount: r, Title: nonEmpty(d.Title, r.Rule), Sources: d.Sources})
		}
		for _, id := range c.Checks {
			cv.Checks = append(cv.Checks, checkRef{ID: id, Anchor: checkAnchor[id]})
		}
		v.Causes = append(v.Causes, cv)
	}

	// One scale for every bar, so bars compare across checks.
	var scale int64 = 1
	for i := range doc.Checks {
		t := doc.Checks[i].Timings
		scale = max(scale, t.Total, t.DNS+t.Connect+t.Proxy+t.TLS+t.FirstByte)
	}
	counts := map[string]int{}
	groupIndex := map[string]int{}
	for i := range doc.Checks {
		c := &doc.Checks[i]
		counts[c.Status]++
		g := groupOf(c)
		cv := checkView{C: c, Anchor: checkAnchor[c.ID], Group: g, StageReason: stageReason(c), Related: related[c.ID]}
		t := c.Timings
		for _, p := range []struct {
			name string
			ms   int64
		}{{"dns", t.DNS}, {"connect", t.Connect}, {"proxy", t.Proxy}, {"tls", t.TLS}, {"firstByte", t.FirstByte}} {
			if p.ms > 0 {
				cv.Segments = append(cv.Segments, segment{Phase: p.name, Ms: p.ms, Width: fmt.Sprintf("%.2f", float64(p.ms)*100/float64(scale))})
			}
		}
		gi, ok := groupIndex[g]
		if !ok {
			gi = len(v.Groups)
			groupIndex[g] = gi
			v.Groups = append(v.Groups, groupView{Name: g})
		}
		v.Groups[gi].Checks = append(v.Groups[gi].Checks, cv)
	}
	v.Total = len(doc.Checks)
	// Groups in the order their first check appears; statuses in attention order.
	for _, s := range []string{facts.StatusFail, facts.StatusError, facts.StatusWarn, facts.StatusSkip, facts.StatusPass} {
		v.Statuses = append(v.Statuses, statusCount{s, counts[s]})
		delete(counts, s)
	}
	var other []string
	for s := range counts {
		other = append(other, s)
	}
	slices.Sort(other)
	for _, s := range other {
		v.Statuses = append(v.Statuses, statusCount{s, counts[s]})
	}
	return v
}

func renderHTML(w io.Writer, doc *facts.Document) error {
	return htmlTemplate().Execute(w, buildHTMLView(doc))
}
