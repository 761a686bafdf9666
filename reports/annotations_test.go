package reports

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/facts"
)

// Reverse of the escapes, as the runner and the agent apply them.
var (
	ghUnescape = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%")
	azUnescape = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3B", ";", "%5D", "]", "%AZP25", "%")
)

// The hostile fixture's strings (line breaks, "::" commands, "##vso[" commands, %, ;, ])
// stay inside their own annotation: one line per finding, each starting with the command we
// wrote, whose properties end where we ended them, and whose text unescapes to the original.
func TestGitHubAnnotationsContainHostileStrings(t *testing.T) {
	doc := loadFixture(t, "hostile")
	out := string(render(t, "github", doc))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	v := doc.Verdict
	if want := len(v.Deny) + len(v.Warn) + len(v.Waived); len(lines) != want {
		t.Fatalf("%d lines, want one per finding (%d):\n%s", len(lines), want, out)
	}
	kinds := []string{}
	for _, l := range lines {
		if strings.ContainsRune(l, '\r') {
			t.Errorf("raw CR in %q", l)
		}
		cmd, rest, ok := strings.Cut(l, " ")
		if !ok || (cmd != "::error" && cmd != "::warning" && cmd != "::notice") {
			t.Fatalf("line does not start with our command: %q", l)
		}
		kinds = append(kinds, cmd)
		// The properties end at the first "::"; the title holds no raw ":" or ",".
		props, msg, ok := strings.Cut(rest, "::")
		if !ok || !strings.HasPrefix(props, "title=") || strings.ContainsAny(strings.TrimPrefix(props, "title="), ":,") {
			t.Errorf("properties %q of %q", props, l)
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("message spans lines: %q", msg)
		}
	}
	if strings.Join(kinds, " ") != "::error ::error ::warning ::notice" {
		t.Errorf("commands %v, want deny as errors first, then the warning, then the waived deny as a notice", kinds)
	}
	// The second deny's rule id and message come back whole.
	_, rest, _ := strings.Cut(lines[1], " ")
	props, msg, _ := strings.Cut(rest, "::")
	if title := ghUnescape.Replace(strings.TrimPrefix(props, "title=")); !strings.Contains(title, v.Deny[1].Rule) {
		t.Errorf("title %q lacks the rule %q", title, v.Deny[1].Rule)
	}
	if got := ghUnescape.Replace(msg); !strings.Contains(got, v.Deny[1].Message) || !strings.Contains(got, doc.Machine.Name) {
		t.Errorf("message unescapes to %q, want it to hold %q and the machine", got, v.Deny[1].Message)
	}
}

func TestAzureDevOpsAnnotationsContainHostileStrings(t *testing.T) {
	doc := loadFixture(t, "hostile")
	out := string(render(t, "azure-devops", doc))
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	v := doc.Verdict
	// One issue per deny and warn (a waived deny is no issue), then the task result.
	if want := len(v.Deny) + len(v.Warn) + 1; len(lines) != want {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), want, out)
	}
	for i, l := range lines {
		if strings.ContainsRune(l, '\r') {
			t.Errorf("raw CR in %q", l)
		}
		if !strings.HasPrefix(l, "##vso[task.") {
			t.Fatalf("line does not start with our command: %q", l)
		}
		// Our properties end at the first "]", and no other "]" or ";" is left raw after
		// it: an injected "##vso[" cannot close its own properties.
		end := strings.IndexByte(l, ']')
		if strings.ContainsAny(l[end+1:], "];") {
			t.Errorf("raw ] or ; after the properties: %q", l)
		}
		props := l[:end]
		switch {
		case i < len(v.Deny):
			if !strings.HasPrefix(props, "##vso[task.logissue type=error;code=") {
				t.Errorf("deny %d: %q", i, props)
			}
		case i < len(v.Deny)+len(v.Warn):
			if !strings.HasPrefix(props, "##vso[task.logissue type=warning;code=") {
				t.Errorf("warn: %q", props)
			}
		default:
			if l != "##vso[task.complete result=Failed;]cmpreflight: not compliant (2 deny, 1 warn, 1 waived)" {
				t.Errorf("last line %q", l)
			}
		}
		// The code property (the rule id, "mine.rule:with,colon%and;semi]bracket" in the
		// second deny) holds no raw separator of its own.
		if j := strings.Index(props, "code="); j >= 0 && strings.ContainsRune(props[j:], ';') {
			t.Errorf("code of %q holds a raw ;", props)
		}
	}
	if got := azUnescape.Replace(lines[1][strings.IndexByte(lines[1], ']')+1:]); !strings.Contains(got, v.Deny[1].Message) {
		t.Errorf("message unescapes to %q, want it to hold %q", got, v.Deny[1].Message)
	}
	if got := azUnescape.Replace(lines[1][:strings.IndexByte(lines[1], ']')]); !strings.HasSuffix(got, "code="+v.Deny[1].Rule) {
		t.Errorf("properties unescape to %q, want the rule %q", got, v.Deny[1].Rule)
	}
}

// The task result follows the gate: Failed on a deny or without a verdict, Failed on a warn
// under --fail-on warn, SucceededWithIssues on a warn otherwise, Succeeded when clean.
func TestAzureDevOpsTaskResult(t *testing.T) {
	warnOnly := &facts.Verdict{Compliant: true, Deny: []facts.Finding{}, Warn: []facts.Finding{{Rule: "a.b", Message: "m"}}, Waived: []facts.Finding{}}
	clean := &facts.Verdict{Compliant: true, Deny: []facts.Finding{}, Warn: []facts.Finding{}, Waived: []facts.Finding{}}
	for _, tc := range []struct {
		name   string
		doc    facts.Document
		result string
	}{
		{"no verdict", facts.Document{}, "Failed"},
		{"warn", facts.Document{Verdict: warnOnly, Options: facts.Options{FailOn: "deny"}}, "SucceededWithIssues"},
		{"warn, fail on warn", facts.Document{Verdict: warnOnly, Options: facts.Options{FailOn: "warn"}}, "Failed"},
		{"warn, evaluated to fail on warn", facts.Document{Verdict: warnOnly, Options: facts.Options{FailOn: "deny"}, Evaluation: &facts.Evaluation{FailOn: "warn"}}, "Failed"},
		{"clean", facts.Document{Verdict: clean}, "Succeeded"},
		{"interrupted", facts.Document{Verdict: clean, Interrupted: true}, "Failed"},
	} {
		var buf bytes.Buffer
		if err := Render(&buf, "azure-devops", &tc.doc); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "##vso[task.complete result="+tc.result+";]") {
			t.Errorf("%s: %q, want result %s", tc.name, buf.String(), tc.result)
		}
	}
	var buf bytes.Buffer
	if err := Render(&buf, "github", &facts.Document{}); err != nil || !strings.HasPrefix(buf.String(), "::error title=cmpreflight%3A no verdict::") {
		t.Errorf("github without a verdict: %q, %v", buf.String(), err)
	}
}

// Several documents in one annotation file: every finding of each, denies first, and one
// task result for all of them.
func TestWriteAnnotationsFileMerges(t *testing.T) {
	a, b := loadFixture(t, "proxy-denied"), loadFixture(t, "direct-pass")
	dir := t.TempDir()
	for _, f := range AnnotationFormats() {
		path := dir + "/all." + f
		if err := WriteAnnotationsFile(path, f, []*facts.Document{b, a}); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got := string(raw)
		first := strings.SplitN(got, "\n", 2)[0]
		if !strings.Contains(first, "error") || !strings.Contains(got, a.Machine.NameOrHost()) {
			t.Errorf("%s: first line %q, want a deny of %s", f, first, a.Machine.NameOrHost())
		}
		if f == "azure-devops" && strings.Count(got, "task.complete") != 1 {
			t.Errorf("%s: %d task results, want one", f, strings.Count(got, "task.complete"))
		}
	}
	if err := WriteAnnotationsFile(dir+"/x.sarif", "sarif", []*facts.Document{a}); err == nil {
		t.Error("sarif accepted as a merged annotation format")
	}
}

// The terminal summary, the text report and the fleet's text are printed by pipeline steps:
// no network string in them reads as a command to the CI agent (Azure's "##vso[" anywhere,
// GitHub's "::" or Azure's "##[" at the start of a line).
func TestTextIsInertInCILogs(t *testing.T) {
	doc := loadFixture(t, "hostile")
	doc.Checks[0].ID = "::error::x:443"
	doc.Checks[0].Status = facts.StatusFail
	doc.Checks[1].ID = "##[error]y:443"
	doc.Checks[1].Status = facts.StatusFail
	var buf bytes.Buffer
	if err := RenderSummary(&buf, doc, false); err != nil {
		t.Fatal(err)
	}
	buf.WriteString(string(render(t, "text", doc)))
	buf.WriteString(VerdictLine("in/r.json", doc) + "\n")
	buf.WriteString(renderFleet(t, "text", hostileFleet()))
	for _, l := range strings.Split(buf.String(), "\n") {
		if strings.Contains(l, "##vso[") {
			t.Errorf("line holds ##vso[: %q", l)
		}
		if tl := strings.TrimLeft(l, " \t"); strings.HasPrefix(tl, "::") || strings.HasPrefix(tl, "##[") {
			t.Errorf("line starts a command: %q", l)
		}
	}
	if !strings.Contains(buf.String(), `\::error::x:443`) || !strings.Contains(buf.String(), `##vso\[task.complete`) {
		t.Errorf("the neutralised strings are not shown:\n%s", buf.String())
	}
}
