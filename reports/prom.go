package reports

import (
	"bufio"
	"io"
	"strconv"
	"strings"

	"github.com/cmpreflight/cmpreflight/facts"
)

// renderProm writes the Prometheus text exposition format (version 0.0.4) for a node or
// windows_exporter textfile collector: one family after another, each with HELP and TYPE,
// gauges only, no timestamps (textfile collectors refuse them). Every label value is
// escaped; nothing here trusts a check id or host name.
func renderProm(w io.Writer, doc *facts.Document) error {
	p := &promWriter{w: bufio.NewWriterSize(w, 64<<10)}

	p.family("cmpreflight_info", "The run that wrote this file: tool version, machine and profile (value always 1).")
	p.sample("cmpreflight_info", []string{"version", doc.Tool.Version, "machine", doc.Machine.NameOrHost(), "hostname", doc.Machine.Hostname,
		"os", doc.Machine.OS, "profile", doc.Profile, "edition", doc.Edition, "cloud", doc.Cloud}, 1)
	p.family("cmpreflight_run_start_timestamp_seconds", "When the run started, Unix time.")
	p.sample("cmpreflight_run_start_timestamp_seconds", nil, float64(doc.StartedAt.UnixMilli())/1000)
	p.family("cmpreflight_run_duration_seconds", "How long the run took.")
	p.sample("cmpreflight_run_duration_seconds", nil, promSeconds(doc.DurationMs))
	p.family("cmpreflight_run_interrupted", "1 when the run was interrupted (Ctrl-C or --run-timeout): its checks are incomplete.")
	p.sample("cmpreflight_run_interrupted", nil, bool01(doc.Interrupted))

	if v := doc.Verdict; v != nil {
		p.family("cmpreflight_verdict_compliant", "1 when the policies found the machine compliant, else 0 (absent: no verdict).")
		p.sample("cmpreflight_verdict_compliant", nil, bool01(v.Compliant))
		p.family("cmpreflight_verdict_findings", "Policy findings by level.")
		for _, l := range []struct {
			level string
			n     int
		}{{"deny", len(v.Deny)}, {"warn", len(v.Warn)}, {"waived", len(v.Waived)}} {
			p.sample("cmpreflight_verdict_findings", []string{"level", l.level}, float64(l.n))
		}
	}
	if e := doc.Evaluation; e != nil {
		p.family("cmpreflight_verdict_timestamp_seconds", "When the policies gave the verdict, Unix time (later than the run's start when report evaluate judged saved facts again).")
		p.sample("cmpreflight_verdict_timestamp_seconds", []string{"command", e.Command, "policy_digest", e.PolicyDigest}, float64(e.EvaluatedAt.UnixMilli())/1000)
	}

	p.family("cmpreflight_checks", "Checks by status.")
	s := doc.Summary
	for _, c := range []struct {
		status string
		n      int
	}{{facts.StatusPass, s.Pass}, {facts.StatusFail, s.Fail}, {facts.StatusWarn, s.Warn}, {facts.StatusSkip, s.Skip}, {facts.StatusError, s.Error}} {
		p.sample("cmpreflight_checks", []string{"status", c.status}, float64(c.n))
	}

	labels := make([][]string, len(doc.Checks))
	for i := range doc.Checks {
		c := &doc.Checks[i]
		port := ""
		if c.Port != 0 {
			port = strconv.Itoa(c.Port)
		}
		labels[i] = []string{"check", c.ID, "host", c.Host, "port", port, "route", c.Route, "profile", strings.Join(profilesOf(doc, c), ",")}
	}
	statuses := []string{facts.StatusPass, facts.StatusFail, facts.StatusWarn, facts.StatusSkip, facts.StatusError}
	p.family("cmpreflight_check_status", "One series per check and status: 1 for the check's status, 0 for the others.")
	for i := range doc.Checks {
		for _, st := range statuses {
			p.sample("cmpreflight_check_status", append(labels[i], "status", st), bool01(doc.Checks[i].Status == st))
		}
	}
	p.family("cmpreflight_check_required", "1 when the check is required under the run's edition.")
	for i := range doc.Checks {
		p.sample("cmpreflight_check_required", labels[i], bool01(doc.Checks[i].Required))
	}
	p.family("cmpreflight_check_failure_info", "Where and how a check that did not pass stopped (value always 1).")
	for i := range doc.Checks {
		c := &doc.Checks[i]
		if c.Status != facts.StatusPass {
			p.sample("cmpreflight_check_failure_info", append(labels[i], "stage", c.Stage, "reason", c.Reason), 1)
		}
	}
	p.family("cmpreflight_check_duration_seconds", "Time a check spent per phase (dns, connect, proxy, tls, first_byte) and in total.")
	for i := range doc.Checks {
		t := doc.Checks[i].Timings
		for _, ph := range []struct {
			name string
			ms   int64
		}{{"dns", t.DNS}, {"connect", t.Connect}, {"proxy", t.Proxy}, {"tls", t.TLS}, {"first_byte", t.FirstByte}, {"total", t.Total}} {
			p.sample("cmpreflight_check_duration_seconds", append(labels[i], "phase", ph.name), promSeconds(ph.ms))
		}
	}
	return p.w.Flush()
}

// profilesOf names the profiles a check belongs to: its own list, else the run's profile.
func profilesOf(doc *facts.Document, c *facts.Check) []string {
	if c != nil && len(c.Profiles) > 0 {
		return c.Profiles
	}
	if doc.Profile == "" {
		return nil
	}
	return []string{doc.Profile}
}

type promWriter struct {
	w *bufio.Writer
}

// family starts a metric family; every family here is a gauge.
func (p *promWriter) family(name, help string) {
	p.w.WriteString("# HELP " + name + " " + help + "\n# TYPE " + name + " gauge\n")
}

// sample writes one line; labels are name, value pairs.
func (p *promWriter) sample(name string, labels []string, v float64) {
	p.w.WriteString(name)
	if len(labels) > 0 {
		p.w.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				p.w.WriteByte(',')
			}
			p.w.WriteString(labels[i])
			p.w.WriteString(`="`)
			p.w.WriteString(promLabelValue(labels[i+1]))
			p.w.WriteByte('"')
		}
		p.w.WriteByte('}')
	}
	p.w.WriteByte(' ')
	p.w.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	p.w.WriteByte('\n')
}

// promLabelValue escapes a label value as the text format wants it: backslash, double quote
// and line feed escaped, and invalid UTF-8 replaced (a scraper rejects the whole file for it).
func promLabelValue(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if !strings.ContainsAny(s, "\\\"\n") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func promSeconds(ms int64) float64 { return float64(ms) / 1000 }

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
