package config

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func newFS() *pflag.FlagSet {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.String("proxy", "", "")
	fs.StringArray("dns-server", nil, "")
	fs.Duration("timeout", 10*time.Second, "")
	fs.Int("concurrency", 32, "")
	return fs
}

func TestApplySetsFlagsAndCommandLineWins(t *testing.T) {
	fs := newFS()
	if err := fs.Parse([]string{"--concurrency", "4"}); err != nil {
		t.Fatal(err)
	}
	cfg := "proxy: http://proxy.lab:8080\ndns-server: [127.0.0.1:5353, 127.0.0.2:53]\ntimeout: 3s\nconcurrency: 99\n"
	if err := ApplyBytes(fs, "c.yaml", []byte(cfg)); err != nil {
		t.Fatal(err)
	}
	if v, _ := fs.GetString("proxy"); v != "http://proxy.lab:8080" {
		t.Errorf("proxy = %q", v)
	}
	if v, _ := fs.GetStringArray("dns-server"); len(v) != 2 || v[1] != "127.0.0.2:53" {
		t.Errorf("dns-server = %v", v)
	}
	if v, _ := fs.GetDuration("timeout"); v != 3*time.Second {
		t.Errorf("timeout = %v", v)
	}
	if v, _ := fs.GetInt("concurrency"); v != 4 {
		t.Errorf("concurrency = %d, the command line must win", v)
	}
}

func TestApplyErrorsNameFileAndLine(t *testing.T) {
	cases := map[string]string{
		"proxy: x\ncolour: red\n":   "c.yaml:2: unknown key \"colour\"",
		"timeout: soon\n":           "c.yaml:1: \"timeout\"",
		"proxy: [a, b]\n":           "c.yaml:1: \"proxy\" takes one value",
		"proxy-password: hunter2\n": "c.yaml:1: \"proxy-password\": secrets are not read",
		"- a\n- b\n":                "c.yaml:1: the config must be a mapping",
		"proxy: x\n  bad: indent\n": "c.yaml",
		"dns-server:\n  - {a: b}\n": "c.yaml:2:",
	}
	for in, want := range cases {
		err := ApplyBytes(newFS(), "c.yaml", []byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ApplyBytes(%q) = %v, want %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error leaks the secret: %v", err)
		}
	}
}

// A shared config file: keys of the other command are skipped, unknown keys still refused,
// secrets still refused.
func TestApplySharedSkipsTheOtherCommandsKeys(t *testing.T) {
	fs := pflag.NewFlagSet("report evaluate", pflag.ContinueOnError)
	fs.StringArray("policy", nil, "")
	dir := t.TempDir()
	write := func(body string) string {
		p := dir + "/c.yaml"
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if err := ApplyShared(fs, write("proxy: http://proxy.lab:8080\npolicy: [a, b]\n"), newFS()); err != nil {
		t.Fatal(err)
	}
	if v, _ := fs.GetStringArray("policy"); len(v) != 2 || v[1] != "b" {
		t.Errorf("policy = %v", v)
	}
	if err := ApplyShared(fs, write("policy: a\nproxi: x\n"), newFS()); err == nil || !strings.Contains(err.Error(), "c.yaml:2") {
		t.Errorf("unknown key: err = %v, want c.yaml:2", err)
	}
	if err := ApplyShared(fs, write("proxy-password: x\n"), newFS()); err == nil || !strings.Contains(err.Error(), "secrets") {
		t.Errorf("secret key: err = %v", err)
	}
}
