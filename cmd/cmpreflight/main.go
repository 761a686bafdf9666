// Command cmpreflight checks a machine before the Configuration Manager service connection
// point is installed on it: endpoints through the proxy, rights, placement, judged by policy.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"

	"github.com/spf13/pflag"

	"github.com/cmpreflight/cmpreflight/internal/usage"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

// Exit codes (README.md, "Exit codes"): 0 ok, 1 not compliant / findings / failing tests, 2 could not run.
const (
	exitOK           = 0
	exitNotCompliant = 1
	exitUsage        = 2
)

// usageError is a bad input: exit 2 with its message.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) (int, error)
}

func commands() []command {
	return []command{
		{"run", "check this machine (the main job)", cmdRun},
		{"endpoints", "print the endpoint catalog (table, json, csv, firewall)", cmdEndpoints},
		{"policy", "policy test: run Rego unit tests; policy list: every rule with its metadata", cmdPolicy},
		{"report", "report convert: render a saved JSON report in another format; report evaluate: judge saved reports again with policies; report merge: many machines into one fleet view", cmdReport},
		{"logs", "logs analyze: read the role's logs (Dmpdownloader.log, Dmpuploader.log, ...)", cmdLogs},
		{"version", "print the version", cmdVersion},
	}
}

func main() {
	registerRuleDocs(nil)
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printUsage(stderr)
		return exitUsage
	} else if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			if c.name != "run" && !(c.name == "report" && len(args) > 1 && args[1] == "evaluate") {
				// These commands have nothing to finish: an interrupt ends them at once (run and
				// report evaluate watch their own, to write their reports marked interrupted).
				defer watchInterrupts(c.name, stderr, false).stop()
			}
			code, err := c.run(args[1:], stdout, stderr)
			if err != nil {
				if errors.Is(err, pflag.ErrHelp) {
					return exitOK
				}
				fmt.Fprintf(stderr, "cmpreflight %s: %v\n", c.name, err)
				var ue *usageError
				if errors.As(err, &ue) || code == 0 {
					return exitUsage
				}
			}
			return code
		}
	}
	fmt.Fprintf(stderr, "cmpreflight: unknown command %q\n\n", args[0])
	printUsage(stderr)
	return exitUsage
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: cmpreflight <command> [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'cmpreflight <command> --help' for a command's flags and examples.\n\n"+usage.ExitCodes)
}

func cmdVersion(args []string, stdout, _ io.Writer) (int, error) {
	fmt.Fprintf(stdout, "cmpreflight %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK, nil
}

// newFlagSet returns a flag set whose errors name the command and whose --help goes to stdout.
func newFlagSet(name string, stdout io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet("cmpreflight "+name, pflag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() { usage.Write(stdout, fs) }
	fs.SortFlags = false
	return fs
}

// parseFlags parses and turns flag errors into usage errors.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usagef("%v", usage.Suggest(fs, err))
	}
	return nil
}
