package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/cmpreflight/cmpreflight/facts"
)

// The JUnit dialect Jenkins and Azure DevOps both read: testsuites > testsuite > testcase,
// with counts and times on both suite levels.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Hostname   string          `xml:"hostname,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

func seconds(ms int64) string { return fmt.Sprintf("%.3f", float64(ms)/1000) }

// renderJUnit writes one test case per check (suite "checks") and one per policy finding
// (suite "policy"): a deny fails, a warn passes with its message in system-out, a waived
// deny is skipped with the waiver's reason.
func renderJUnit(w io.Writer, doc *facts.Document) error {
	ts := ""
	if !doc.StartedAt.IsZero() {
		ts = doc.StartedAt.UTC().Format("2006-01-02T15:04:05")
	}
	cs := junitSuite{Name: "checks", Timestamp: ts, Hostname: doc.Machine.Hostname, Time: seconds(doc.DurationMs)}
	cs.Properties = []junitProperty{
		{"profile", doc.Profile}, {"edition", doc.Edition}, {"cloud", doc.Cloud},
		{"proxy", proxyLine(doc)}, {"tool", strings.TrimSpace(doc.Tool.Name + " " + doc.Tool.Version)},
	}
	if e := doc.Evaluation; e != nil {
		cs.Properties = append(cs.Properties, junitProperty{"judged", judgedLine(doc)}, junitProperty{"policyDigest", e.PolicyDigest})
	}
	for i := range doc.Checks {
		c := &doc.Checks[i]
		tc := junitCase{Classname: groupOf(c), Name: checkLabel(c), Time: seconds(c.Timings.Total)}
		detail := checkDetail(c)
		switch c.Status {
		case facts.StatusFail:
			tc.Failure = &junitProblem{Message: problemMessage(c), Type: nonEmpty(c.Stage, "fail"), Text: detail}
			cs.Failures++
		case facts.StatusError:
			tc.Error = &junitProblem{Message: problemMessage(c), Type: nonEmpty(c.Stage, "error"), Text: detail}
			cs.Errors++
		case facts.StatusSkip:
			tc.Skipped = &junitSkipped{Message: nonEmpty(problemMessage(c), "skipped")}
			cs.Skipped++
		default:
			tc.SystemOut = detail
		}
		cs.Cases = append(cs.Cases, tc)
	}
	cs.Tests = len(cs.Cases)

	ps := junitSuite{Name: "policy", Timestamp: ts, Hostname: doc.Machine.Hostname, Time: "0.000"}
	eachFinding(doc.Verdict, func(level string, f *facts.Finding) {
		tc := junitCase{Classname: "policy." + level, Name: findingName(f), Time: "0.000"}
		text := findingDetail(f)
		switch level {
		case "deny":
			tc.Failure = &junitProblem{Message: f.Message, Type: "deny", Text: text}
			ps.Failures++
		case "warn":
			tc.SystemOut = "WARN " + text
		case "waived":
			reason := "waived"
			if f.Waiver != nil {
				reason = fmt.Sprintf("waived until %s by %s: %s", f.Waiver.Expires, f.Waiver.Owner, f.Waiver.Reason)
			}
			tc.Skipped = &junitSkipped{Message: reason}
			tc.SystemOut = text
			ps.Skipped++
		}
		ps.Cases = append(ps.Cases, tc)
	})
	ps.Tests = len(ps.Cases)

	out := junitSuites{Name: "cmpreflight", Time: seconds(doc.DurationMs), Suites: []junitSuite{cs, ps}}
	for _, s := range out.Suites {
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Skipped += s.Skipped
	}
	ew := &errWriter{w: w}
	io.WriteString(ew, xml.Header)
	enc := xml.NewEncoder(ew)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	io.WriteString(ew, "\n")
	return ew.err
}

func problemMessage(c *facts.Check) string {
	sr := stageReason(c)
	switch {
	case sr != "" && c.Message != "":
		return sr + ": " + c.Message
	case sr != "":
		return sr
	default:
		return c.Message
	}
}

// checkDetail is the plain-text summary of a check a CI log shows.
func checkDetail(c *facts.Check) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status: %s\n", c.Status)
	if sr := stageReason(c); sr != "" {
		fmt.Fprintf(&b, "stage/reason: %s\n", sr)
	}
	if c.Message != "" {
		fmt.Fprintf(&b, "message: %s\n", c.Message)
	}
	fmt.Fprintf(&b, "route: %s\n", nonEmpty(c.Route, "-"))
	if c.ProxyURL != "" {
		fmt.Fprintf(&b, "proxy: %s\n", c.ProxyURL)
	}
	if c.URL != "" {
		fmt.Fprintf(&b, "url: %s\n", c.URL)
	}
	t := c.Timings
	fmt.Fprintf(&b, "timings ms: dns %d, connect %d, proxy %d, tls %d, first byte %d, total %d\n",
		t.DNS, t.Connect, t.Proxy, t.TLS, t.FirstByte, t.Total)
	if p := c.Evidence.Proxy; p != nil && p.StatusLine != "" {
		fmt.Fprintf(&b, "proxy answered: %s\n", p.StatusLine)
	}
	if p := c.Evidence.Proxy; p != nil && p.Auth != nil {
		fmt.Fprintf(&b, "proxy auth: %s\n", authLine(p.Auth))
	}
	if h := c.Evidence.HTTP; h != nil && h.StatusLine != "" {
		fmt.Fprintf(&b, "http: %s\n", h.StatusLine)
	}
	if len(c.Groups) > 0 {
		fmt.Fprintf(&b, "groups: %s\n", strings.Join(c.Groups, ", "))
	}
	return b.String()
}

func findingName(f *facts.Finding) string {
	if len(f.Checks) == 0 {
		return f.Rule
	}
	return f.Rule + " [" + strings.Join(f.Checks, ", ") + "]"
}

func findingDetail(f *facts.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n", f.Rule, f.Message)
	if len(f.Checks) > 0 {
		fmt.Fprintf(&b, "checks: %s\n", strings.Join(f.Checks, ", "))
	}
	if f.Remediation != "" {
		fmt.Fprintf(&b, "remediation: %s\n", f.Remediation)
	}
	if refs := sourceRefs(f.Source); len(refs) > 0 {
		fmt.Fprintf(&b, "source: %s\n", sourcesText(refs))
	}
	return b.String()
}
