// Package usage renders the commands' help (flags grouped by topic, value names, examples
// and exit codes) and suggests the flag a mistyped one was meant to be.
package usage

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"
)

// Topic is one group of flags in a command's help.
type Topic struct {
	Title string
	Flags []string
}

// runTopics groups the flags of `cmpreflight run`; a flag no topic names is listed under
// "Other".
var runTopics = []Topic{
	{"Targets", []string{"config", "profile", "edition", "cloud", "tenant-id", "endpoints", "endpoints-only", "checks", "timeout", "run-timeout", "concurrency"}},
	{"Proxy", []string{"proxy", "proxy-auth", "proxy-user", "proxy-password-file", "no-proxy", "compare-direct", "check-idle-timeout", "idle-wait"}},
	{"DNS and TLS", []string{"dns-server", "ca-file", "expected-roots"}},
	{"Site", []string{"inventory", "adminservice", "adminservice-user", "adminservice-password-file", "adminservice-insecure", "scp-server", "site-server", "install-account", "install-password-file", "smb-port", "rpc-port", "mode", "intune-subscription", "cm-logs"}},
	{"Policies", []string{"policy", "data", "waivers", "disable-rule", "previous", "fail-on"}},
	{"Output", []string{"output", "verbose", "quiet", "log-file", "machine-name"}},
}

var runExamples = []string{
	"cmpreflight run",
	"cmpreflight run --proxy http://proxy.contoso.com:8080 --proxy-auth ntlm --proxy-user 'CONTOSO\\svc-scp'",
	"cmpreflight run --dns-server 10.0.0.53:53 --ca-file corp-root.pem --output html=r.html --output json=r.json",
	"cmpreflight run --inventory ./export --scp-server scp01.contoso.com --install-account 'CONTOSO\\cminstall'",
	"cmpreflight run --config preflight.yaml --policy ./my-policies --waivers waivers.yaml",
}

var evaluateExamples = []string{
	"cmpreflight report evaluate --in cm01.json --policy ./policy --output github=-",
	"cmpreflight report evaluate --in ./reports --policy ./policy --waivers waivers.yaml --output junit=evaluated.xml --output json=evaluated/",
	"cmpreflight report evaluate --config preflight.yaml --in 'reports/*.json' --output azure-devops=- --output html=fleet.html",
}

// examples are the examples each command's help ends with.
var examples = map[string][]string{"cmpreflight run": runExamples, "cmpreflight report evaluate": evaluateExamples}

// ExitCodes is the exit code table every command's help ends with.
const ExitCodes = `Exit codes:
  0  compliant (no deny; no warn either under --fail-on warn)
  1  not compliant, or findings (logs analyze), or failing tests (policy test),
     or inputs skipped unread (report merge --skip-invalid without --accept-skipped)
  2  could not run: a bad flag or file (named in the message), an output that could
     not be written (each named), or interrupted`

// valueNames are the placeholders of flags whose value is not a plain word.
var valueNames = map[string]string{
	"config": "FILE", "endpoints": "FILE", "waivers": "FILE", "data": "FILE", "previous": "FILE", "log-file": "FILE",
	"ca-file": "PEM", "expected-roots": "PEM", "proxy-password-file": "FILE", "adminservice-password-file": "FILE",
	"install-password-file": "FILE", "policy": "PATH", "cm-logs": "PATH", "inventory": "DIR", "in": "PATH",
	"dns-server": "HOST:PORT", "proxy": "URL", "adminservice": "URL", "output": "FORMAT=PATH", "no-proxy": "HOST",
	"proxy-user": "USER", "adminservice-user": "USER", "install-account": "USER", "scp-server": "FQDN",
	"site-server": "FQDN", "machine-name": "NAME", "tenant-id": "ID", "disable-rule": "RULE", "checks": "LIST",
}

// valueName is the placeholder of a flag's value: FILE, DURATION, N... never a Go type.
func valueName(f *pflag.Flag) string {
	if n, ok := valueNames[f.Name]; ok {
		return n
	}
	switch f.Value.Type() {
	case "bool":
		return ""
	case "duration":
		return "DURATION"
	case "int":
		return "N"
	}
	return "WORD"
}

// Write writes a command's help: its flags grouped by topic (run) or in one list, examples
// (run) and the exit codes.
func Write(w io.Writer, fs *pflag.FlagSet) {
	name := fs.Name()
	fmt.Fprintf(w, "usage: %s [flags]\n", name)
	topics := []Topic{{Title: "Flags"}}
	if name == "cmpreflight run" {
		topics = runTopics
	}
	listed := map[string]bool{}
	for _, t := range topics {
		var fl []*pflag.Flag
		if t.Flags == nil {
			fs.VisitAll(func(f *pflag.Flag) { fl = append(fl, f) })
		}
		for _, n := range t.Flags {
			if f := fs.Lookup(n); f != nil {
				fl = append(fl, f)
			}
		}
		writeTopic(w, t.Title, fl, listed)
	}
	var other []*pflag.Flag
	fs.VisitAll(func(f *pflag.Flag) {
		if !listed[f.Name] {
			other = append(other, f)
		}
	})
	writeTopic(w, "Other", other, listed)
	if ex := examples[name]; ex != nil {
		fmt.Fprintln(w, "\nExamples:")
		for _, e := range ex {
			fmt.Fprintf(w, "  %s\n", e)
		}
		fmt.Fprintln(w, "\nEvery flag is also a key of the --config file (its long name).")
	}
	fmt.Fprintf(w, "\n%s\n", ExitCodes)
}

func writeTopic(w io.Writer, title string, fl []*pflag.Flag, listed map[string]bool) {
	if len(fl) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s:\n", title)
	for _, f := range fl {
		listed[f.Name] = true
		left := "      --" + f.Name
		if f.Shorthand != "" {
			left = "  -" + f.Shorthand + ", --" + f.Name
		}
		if v := valueName(f); v != "" {
			left += " " + v
		}
		help := f.Usage
		if d := f.DefValue; d != "" && d != "false" && d != "[]" && d != "0" {
			help += " (default " + d + ")"
		}
		if len(left) > 34 {
			fmt.Fprintf(w, "%s\n%-36s%s\n", left, "", help)
		} else {
			fmt.Fprintf(w, "%-36s%s\n", left, help)
		}
	}
}

// Suggest adds "did you mean --x?" to an unknown-flag error when a flag of fs is close.
func Suggest(fs *pflag.FlagSet, err error) error {
	var ne *pflag.NotExistError
	if !errors.As(err, &ne) || ne.GetSpecifiedName() == "" {
		return err
	}
	typed := ne.GetSpecifiedName()
	best, bestD := "", 3
	fs.VisitAll(func(f *pflag.Flag) {
		if d := distance(typed, f.Name); d < bestD || (d == bestD && best == "" && strings.HasPrefix(f.Name, typed)) {
			best, bestD = f.Name, d
		}
	})
	if best == "" {
		return fmt.Errorf("%w (see --help)", err)
	}
	return fmt.Errorf("%w (did you mean --%s?)", err, best)
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = slices.Min([]int{prev[j] + 1, cur[j-1] + 1, prev[j-1] + cost})
		}
		prev = cur
	}
	return prev[len(b)]
}
