package reports

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/cmpreflight/cmpreflight/facts"
)

// groupOf is the group a check is listed under: its first catalog group, "site" for site
// checks, else "other".
func groupOf(c *facts.Check) string {
	if len(c.Groups) > 0 && c.Groups[0] != "" {
		return c.Groups[0]
	}
	if c.Kind == "site" || strings.HasPrefix(c.ID, "site/") {
		return "site"
	}
	return "other"
}

// statusRank orders statuses so that what needs attention comes first.
func statusRank(s string) int {
	switch s {
	case facts.StatusFail:
		return 0
	case facts.StatusError:
		return 1
	case facts.StatusWarn:
		return 2
	case facts.StatusSkip:
		return 3
	case facts.StatusPass:
		return 4
	}
	return 5
}

// attentionOrder returns the checks failed first, keeping the document order within a status.
func attentionOrder(cs []facts.Check) []facts.Check {
	out := slices.Clone(cs)
	slices.SortStableFunc(out, func(a, b facts.Check) int { return statusRank(a.Status) - statusRank(b.Status) })
	return out
}

// plainProofs are the evidence.origin.by values that prove a plain-HTTP answer the origin's
// (checks/origin); a report names the proof of every such pass.
var plainProofs = map[string]bool{"https-match": true, "https-upgrade": true, "signed-crl": true, "signed-ocsp": true, "signed-cert": true}

// stageReason is "stage/reason", or whichever of them is set; for a passing plain-HTTP check,
// the proof it passed on ("proven by https-match").
func stageReason(c *facts.Check) string {
	switch {
	case c.Status == facts.StatusPass && c.Evidence.Origin != nil && plainProofs[c.Evidence.Origin.By]:
		return "proven by " + c.Evidence.Origin.By
	case c.Stage != "" && c.Reason != "":
		return c.Stage + "/" + c.Reason
	case c.Stage != "":
		return c.Stage
	default:
		return c.Reason
	}
}

// verdictCounts returns deny, warn, waived counts (zero without a verdict).
func verdictCounts(doc *facts.Document) (deny, warn, waived int) {
	if doc.Verdict == nil {
		return 0, 0, 0
	}
	return len(doc.Verdict.Deny), len(doc.Verdict.Warn), len(doc.Verdict.Waived)
}

// verdictWord is the one-word verdict.
func verdictWord(doc *facts.Document) string {
	switch {
	case doc.Verdict == nil:
		return "no verdict"
	case doc.Verdict.Compliant:
		return "compliant"
	default:
		return "not compliant"
	}
}

// proxyLine describes the proxy the run used.
func proxyLine(doc *facts.Document) string {
	p := doc.Proxy
	if p == nil {
		return "direct (no proxy facts)"
	}
	s := "direct"
	if p.URL != "" {
		s = p.URL
	}
	s += " (source: " + nonEmpty(p.Source, "unknown")
	if p.URL != "" && p.Auth != "" {
		s += ", auth: " + p.Auth
	}
	return s + ")"
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// formatDuration renders milliseconds for people.
func formatDuration(ms int64) string {
	if ms < 1000 {
		return fmt.Sprintf("%d ms", ms)
	}
	return (time.Duration(ms) * time.Millisecond).Round(100 * time.Millisecond).String()
}

// formatTime renders a time in UTC, the one zone every reader of a report agrees on.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// plain makes a string that came off the network safe for a terminal or a one-line cell:
// control characters (escape sequences included) become visible placeholders and line
// breaks become spaces.
func plain(s string) string { return showControls(s, " ") }

// showControls shows control characters (terminal escape sequences, NUL, line and paragraph
// separators) as \xNN and bidirectional overrides as \uNNNN. CR, LF and tab become lineBreak,
// or stay as they are when lineBreak is "" (for a format with escapes of its own for them:
// a tab then shows as \x09).
func showControls(s, lineBreak string) string {
	clean := true
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\r' || r == '\n' || (r == '\t' && lineBreak != ""):
			if lineBreak == "" {
				b.WriteRune(r)
			} else {
				b.WriteString(lineBreak)
			}
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			fmt.Fprintf(&b, "\\x%02x", r)
		case unicode.Is(unicode.Bidi_Control, r):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// checkLabel names a check for tables: its id (host:port for network checks).
func checkLabel(c *facts.Check) string {
	if c.ID != "" {
		return c.ID
	}
	return fmt.Sprintf("%s:%d", c.Host, c.Port)
}

// eachFinding walks the verdict's findings in deny, warn, waived order.
func eachFinding(v *facts.Verdict, fn func(level string, f *facts.Finding)) {
	if v == nil {
		return
	}
	for i := range v.Deny {
		fn("deny", &v.Deny[i])
	}
	for i := range v.Warn {
		fn("warn", &v.Warn[i])
	}
	for i := range v.Waived {
		fn("waived", &v.Waived[i])
	}
}

// judgedLine says who judged the facts and when, beside the facts' own time, or "" for a
// report that does not record it (written before the record existed).
func judgedLine(doc *facts.Document) string {
	e := doc.Evaluation
	if e == nil {
		return ""
	}
	pol := "the built-in policies"
	if len(e.Policies) > 0 {
		pol += " and " + strings.Join(e.Policies, ", ")
	}
	s := fmt.Sprintf("%s by %s (%s %s) with %s", formatTime(e.EvaluatedAt), nonEmpty(e.Command, "?"),
		nonEmpty(e.Tool.Name, "cmpreflight"), nonEmpty(e.Tool.Version, "?"), pol)
	if len(e.DataFiles) > 0 {
		s += ", data " + strings.Join(e.DataFiles, ", ")
	}
	if e.Waivers != "" {
		s += ", waivers " + e.Waivers
	}
	if len(e.DisabledRules) > 0 {
		s += ", rules turned off: " + strings.Join(e.DisabledRules, ", ")
	}
	s += ", --fail-on " + nonEmpty(e.FailOn, "deny")
	if e.PolicyDigest != "" {
		s += " (policies " + e.PolicyDigest + ")"
	}
	if !doc.StartedAt.IsZero() {
		s += "; facts gathered " + formatTime(doc.StartedAt)
	}
	if e.Source != "" {
		s += " (" + e.Source + ")"
	}
	return s
}

// VerdictLine is one report's verdict on one line, for a terminal listing several reports:
// where it came from, the machine, the verdict and its counts.
func VerdictLine(path string, doc *facts.Document) string {
	deny, warn, waived := verdictCounts(doc)
	return ciSafeLine(plain(fmt.Sprintf("%s: %s: %s (%d deny, %d warn, %d waived)", path, nonEmpty(doc.Machine.NameOrHost(), "(unnamed machine)"),
		strings.ToUpper(verdictWord(doc)), deny, warn, waived)))
}

// authLine says in one line how integrated authentication to the proxy went: the package,
// the principal, the SPN asked for, and why Kerberos did not carry it.
func authLine(a *facts.ProxyAuthResult) string {
	var parts []string
	if a.Package != "" {
		parts = append(parts, a.Package)
	}
	if a.Principal != "" {
		parts = append(parts, "as "+a.Principal)
	}
	if a.SPN != "" {
		parts = append(parts, "SPN "+a.SPN)
	}
	if a.Accepted {
		parts = append(parts, "accepted")
	} else {
		parts = append(parts, "not accepted")
	}
	s := strings.Join(parts, ", ")
	if a.KerberosFailure != "" {
		s += "; Kerberos failed: " + a.KerberosFailure
	}
	return s
}
