package config

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// fuzzFlags mirrors the kinds of flags `cmpreflight run` has: scalars of each type, repeatable
// arrays and slices, and a flag a test marks as given on the command line.
func fuzzFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.String("config", "", "")
	fs.String("proxy", "", "")
	fs.String("proxy-auth", "auto", "")
	fs.String("profile", "scp", "")
	fs.StringArray("dns-server", nil, "")
	fs.StringArray("endpoints", nil, "")
	fs.StringSlice("checks", nil, "")
	fs.Duration("timeout", 10*time.Second, "")
	fs.Int("concurrency", 32, "")
	fs.Bool("quiet", false, "")
	fs.Bool("endpoints-only", false, "")
	return fs
}

// FuzzApplyBytes feeds arbitrary YAML to the config loader: it must never panic, every error
// must name the file, a secret key must be refused, and a given command-line flag must win.
func FuzzApplyBytes(f *testing.F) {
	for _, s := range []string{
		"proxy: http://proxy.lab:8080\ndns-server: [127.0.0.1:5353, 127.0.0.2:53]\ntimeout: 3s\nconcurrency: 99\n",
		"checks: [network, site]\nquiet: true\nendpoints:\n  - a.yaml\n  - b.yaml\n",
		"proxy-password: hunter2\n",
		"- a\n- b\n",
		"timeout: soon\n",
		"dns-server:\n  - {a: b}\n",
		"concurrency: &a 3\nprofile: *a\n",
		"",
		"# only a comment\n",
		"proxy: [a, b]\n",
		"config: other.yaml\n",
		"? [complex, key]\n: value\n",
		"quiet: !!binary aGVsbG8=\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fs := fuzzFlags()
		if err := fs.Parse([]string{"--concurrency", "7"}); err != nil {
			t.Fatal(err)
		}
		err := ApplyBytes(fs, "fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if v, _ := fs.GetInt("concurrency"); v != 7 {
			t.Fatalf("concurrency = %d; the command line must win over the file", v)
		}
		if strings.Contains(string(data), "proxy-password:") && strings.HasPrefix(strings.TrimSpace(string(data)), "proxy-password:") {
			t.Fatalf("a secret key was accepted from a config file: %q", data)
		}
		// Loading is deterministic: the same bytes give the same flags again.
		again := fuzzFlags()
		again.Parse([]string{"--concurrency", "7"})
		if err := ApplyBytes(again, "fuzz.yaml", data); err != nil {
			t.Fatalf("second load failed: %v", err)
		}
		fs.VisitAll(func(fl *pflag.Flag) {
			if a := again.Lookup(fl.Name); a.Value.String() != fl.Value.String() {
				t.Fatalf("%s: %q then %q", fl.Name, fl.Value.String(), a.Value.String())
			}
		})
	})
}
