package reports

import (
	_ "embed"
	"html/template"
	"io"
	"strings"
	"sync"

	"github.com/cmpreflight/cmpreflight/fleet"
)

// The fleet page follows the same rules as the machine report: one self-contained file,
// every value through html/template's contextual escaping, nothing marked template.HTML.
//
//go:embed fleet.html.tmpl
var fleetTemplateText string

var fleetFuncs = template.FuncMap{
	"time": formatTime,
	"cell": cellText,
	"letter": func(status string) string {
		switch status {
		case fleet.StatusAbsent:
			return "·"
		case "":
			return "?"
		}
		return strings.ToUpper(status[:1])
	},
}

// fleetTemplate is parsed on first use, not at start-up: most runs write no HTML.
var fleetTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("fleet").Funcs(fleetFuncs).Parse(fleetTemplateText))
})

// matrixMachines is the most machines the page shows as matrix columns; beyond it the
// matrix is only in the JSON document.
const matrixMachines = 60

// attentionNames is how many failing machines a row names before "and N more".
const attentionNames = 20

type fleetView struct {
	Doc          *fleet.Document
	Headline     string
	AllCompliant bool
	// SkippedHeading introduces the unread inputs, listed first; empty when none.
	SkippedHeading string
	Machines       []machineView
	Attention      []attentionView
	Matrix         bool
}

type machineView struct {
	M           *fleet.Machine
	Anchor      string
	Bad         bool
	FailingText string
	DenyText    string
}

type attentionView struct {
	R         *fleet.Row
	FailingOn []machineView
	More      int
}

func renderFleetHTML(w io.Writer, doc *fleet.Document) error {
	v := &fleetView{Doc: doc, Headline: fleetHeadline(doc), AllCompliant: doc.Proven(), SkippedHeading: skippedFirst(doc),
		Matrix: len(doc.Machines) <= matrixMachines}
	used := map[string]bool{}
	byName := map[string]int{}
	for i := range doc.Machines {
		m := &doc.Machines[i]
		byName[m.Name] = i
		v.Machines = append(v.Machines, machineView{M: m, Anchor: anchorFor("machine-", m.Name, used),
			Bad: m.Verdict != fleet.VerdictCompliant, FailingText: firstNames(m.Failing, 8, plain),
			DenyText: strings.Join(ruleIDs(m.Deny), ", ")})
	}
	rows := attentionRows(doc)
	for i := range rows {
		a := attentionView{R: &rows[i]}
		for j, name := range rows[i].FailingOn {
			if j == attentionNames {
				a.More = len(rows[i].FailingOn) - attentionNames
				break
			}
			a.FailingOn = append(a.FailingOn, v.Machines[byName[name]])
		}
		v.Attention = append(v.Attention, a)
	}
	return fleetTemplate().Execute(w, v)
}
