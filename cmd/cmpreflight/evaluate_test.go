package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cmpreflight/cmpreflight/facts"
)

// The user policy of the evaluate tests: a deny from data (machines on a list), a warn per
// check of go.microsoft.com, so verdicts differ from report to report.
const evalPolicy = `package cmpreflight.mine

deny contains {"rule": "mine.listed_machine", "message": sprintf("%s is on the list of machines to rebuild", [input.machine.name])} if {
	input.machine.name in data.extra.rebuild
}

warn contains {"rule": "mine.go_seen", "message": c.id, "checks": [c.id]} if {
	some c in input.checks
	startswith(c.id, "go.")
}
`

// writeEvalPolicy writes the policy, its data and a waiver (of one of the lab's failing
// names) and returns the flags that use them.
func writeEvalPolicy(t *testing.T, dir string, rebuild ...string) []string {
	t.Helper()
	pol := filepath.Join(dir, "policy")
	if err := os.MkdirAll(pol, 0o755); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(map[string]any{"rebuild": rebuild})
	waivers := "waivers:\n  - {rule: scp.endpoint_reachable, target: \"waived.lab.test:443\", reason: CHG-1, owner: net@contoso.com, expires: 2027-06-30}\n"
	for name, body := range map[string]string{filepath.Join(pol, "mine.rego"): evalPolicy, filepath.Join(dir, "data.json"): string(data), filepath.Join(dir, "waivers.yaml"): waivers} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return []string{"--policy", pol, "--data", filepath.Join(dir, "data.json"), "--waivers", filepath.Join(dir, "waivers.yaml")}
}

// evalNow is the clock of every run and evaluation of these tests (the waiver's expiry).
const evalNow = "CMPREFLIGHT_NOW=2027-01-15T00:00:00Z"

// execBin runs the binary with a deadline, safe to call from several goroutines.
func execBin(env []string, args ...string) (code int, stdout, stderr string, err error) {
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(append(os.Environ(), "HTTPS_PROXY=", "HTTP_PROXY=", "https_proxy=", "http_proxy=", "NO_PROXY="), env...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Start(); err != nil {
		return 0, "", "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		<-done
		return 0, so.String(), se.String(), fmt.Errorf("cmpreflight %v did not finish in 3 minutes", args)
	}
	return cmd.ProcessState.ExitCode(), so.String(), se.String(), nil
}

func readDoc(t *testing.T, path string) (*facts.Document, []byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc facts.Document
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &doc, data
}

func sarifSchemaForTest(t *testing.T) *jsonschema.Schema {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	f, err := os.Open(filepath.Join(filepath.Dir(file), "..", "..", "reports", "testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	if err := c.AddResource("file:///sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("file:///sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Done when (issue 23): report evaluate over 100 saved reports with a user policy gives the
// verdicts run gave with that policy, exits 1 on a deny, and its JUnit and SARIF validate.
// The 100 reports come from real runs against the lab: compliant ones, ones with a failing
// required endpoint, ones whose failure a waiver covers, and machines the policy's data lists.
func TestEvaluateHundredReportsGivesRunsVerdicts(t *testing.T) {
	l := startCatalogLab(t)
	dir := t.TempDir()
	listed := []string{"m007", "m017", "m042", "m099"}
	polArgs := writeEvalPolicy(t, dir, listed...)
	eps := []string{
		writeEndpoints(t, l.dir, "go.microsoft.com"),
		writeEndpoints(t, l.dir, "go.microsoft.com", "nxdomain.lab.test"),
		writeEndpoints(t, l.dir, "go.microsoft.com", "waived.lab.test"),
		writeEndpoints(t, l.dir, "http://crl3.digicert.com/"),
	}
	saved := filepath.Join(dir, "saved")
	if err := os.Mkdir(saved, 0o755); err != nil {
		t.Fatal(err)
	}
	const n = 100
	var mu sync.Mutex
	var failures []string
	runCodes := map[string]int{}
	next := make(chan int)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for i := range next {
				name := fmt.Sprintf("m%03d", i)
				args := l.args(append([]string{"--endpoints-only", "--endpoints", eps[i%len(eps)], "--machine-name", name,
					"--output", "json=" + filepath.Join(saved, name+".json")}, polArgs...)...)
				code, _, stderr, err := execBin([]string{evalNow}, args...)
				mu.Lock()
				runCodes[name] = code
				if err != nil || code == 2 {
					failures = append(failures, fmt.Sprintf("%s: exit %d, %v: %s", name, code, err, stderr))
				}
				mu.Unlock()
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("runs failed:\n%s", strings.Join(failures, "\n"))
	}

	out := filepath.Join(dir, "out")
	for _, sub := range []string{"json", "junit", "sarif"} {
		if err := os.MkdirAll(filepath.Join(out, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	args := append([]string{"report", "evaluate", "--in", saved, "--quiet",
		"--output", "json=" + filepath.Join(out, "json") + "/", "--output", "junit=" + filepath.Join(out, "junit") + "/",
		"--output", "sarif=" + filepath.Join(out, "sarif") + "/", "--output", "github=" + filepath.Join(out, "all.github"),
		"--output", "azure-devops=" + filepath.Join(out, "all.azure"), "--output", "json=" + filepath.Join(out, "fleet.json")}, polArgs...)
	code, _, stderr, err := execBin([]string{evalNow}, args...)
	if err != nil || code != 1 {
		t.Fatalf("report evaluate: exit %d (want 1: listed machines are denied), %v: %s", code, err, stderr)
	}

	sarif := sarifSchemaForTest(t)
	var junits []string
	denied, waived, compliant := 0, 0, 0
	for i := range n {
		name := fmt.Sprintf("m%03d", i)
		ran, ranRaw := readDoc(t, filepath.Join(saved, name+".json"))
		judged, raw := readDoc(t, filepath.Join(out, "json", name+".json"))
		validateReport(t, ranRaw)
		validateReport(t, raw)
		if !reflect.DeepEqual(ran.Verdict, judged.Verdict) {
			a, _ := json.Marshal(ran.Verdict)
			b, _ := json.Marshal(judged.Verdict)
			t.Errorf("%s: run's verdict\n%s\nreport evaluate's\n%s", name, a, b)
		}
		if (runCodes[name] == 1) != judged.Verdict.Fails("deny") {
			t.Errorf("%s: run exited %d, evaluate says fails=%v", name, runCodes[name], judged.Verdict.Fails("deny"))
		}
		// The record: run's and evaluate's judgements used the same rules; the facts keep
		// their own time.
		if ran.Evaluation == nil || judged.Evaluation == nil || ran.Evaluation.Command != "run" || judged.Evaluation.Command != "report evaluate" ||
			ran.Evaluation.PolicyDigest != judged.Evaluation.PolicyDigest || !judged.StartedAt.Equal(ran.StartedAt) ||
			judged.Evaluation.Source != filepath.Join(saved, name+".json") || !judged.Evaluation.EvaluatedAt.Equal(time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: evaluation records run %+v, evaluate %+v", name, ran.Evaluation, judged.Evaluation)
		}
		switch {
		case len(judged.Verdict.Deny) > 0:
			denied++
		case len(judged.Verdict.Waived) > 0:
			waived++
		default:
			compliant++
		}
		junit := filepath.Join(out, "junit", name+".xml")
		junits = append(junits, junit)
		b, err := os.ReadFile(filepath.Join(out, "sarif", name+".sarif"))
		if err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := sarif.Validate(inst); err != nil {
			t.Errorf("%s.sarif: %v", name, err)
		}
	}
	// Every kind of verdict is among the 100, or the comparison proves little.
	if denied < 25 || waived < 20 || compliant < 40 {
		t.Errorf("verdicts: %d with a deny, %d waived, %d compliant", denied, waived, compliant)
	}
	xmllint := needXmllint(t)
	if b, err := exec.Command(xmllint, append([]string{"--noout"}, junits...)...).CombinedOutput(); err != nil {
		t.Errorf("xmllint: %v\n%s", err, b)
	}
	// The merged outputs: one annotation line per deny and warn of all 100 reports, one task
	// result; the fleet view of the judged reports.
	az, _ := os.ReadFile(filepath.Join(out, "all.azure"))
	if !strings.HasSuffix(string(az), fmt.Sprintf("##vso[task.complete result=Failed;]cmpreflight: %d of %d reports fail the gate, %d with warnings\n", denied, n, n-denied)) {
		t.Errorf("azure-devops: last line of\n%s", lastLines(string(az), 2))
	}
	gh, _ := os.ReadFile(filepath.Join(out, "all.github"))
	if got := strings.Count(string(gh), "\n::error ") + boolInt(strings.HasPrefix(string(gh), "::error ")); got < denied {
		t.Errorf("github: %d errors for %d denied reports", got, denied)
	}
	fleetRaw, err := os.ReadFile(filepath.Join(out, "fleet.json"))
	if err != nil {
		t.Fatal(err)
	}
	validateFleet(t, fleetRaw)
	if !strings.Contains(string(fleetRaw), fmt.Sprintf(`"machines": %d`, n)) {
		t.Errorf("fleet view does not hold %d machines", n)
	}

	// Without the user policy, the same facts lose exactly the policy's findings: the
	// policies given are the ones that judge.
	plain := filepath.Join(dir, "plain")
	if err := os.Mkdir(plain, 0o755); err != nil {
		t.Fatal(err)
	}
	code, _, stderr, _ = execBin([]string{evalNow}, "report", "evaluate", "--in", filepath.Join(saved, "m007.json"), "--quiet",
		"--output", "json="+filepath.Join(plain, "m007.json"))
	ran, _ := readDoc(t, filepath.Join(saved, "m007.json"))
	judged, _ := readDoc(t, filepath.Join(plain, "m007.json"))
	if code != 0 || len(judged.Verdict.Deny) != 0 || len(ran.Verdict.Deny) != 1 || ran.Verdict.Deny[0].Rule != "mine.listed_machine" ||
		slices.ContainsFunc(judged.Verdict.Warn, func(f facts.Finding) bool { return strings.HasPrefix(f.Rule, "mine.") }) {
		t.Errorf("without --policy: exit %d (%s), deny %+v, warn %+v", code, stderr, judged.Verdict.Deny, judged.Verdict.Warn)
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}

func needXmllint(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("xmllint not found (Debian package libxml2-utils); CI must have it")
		}
		t.Skip("xmllint not found (Debian package libxml2-utils)")
	}
	return p
}

// copyReport writes the small saved report of testdata (machine min01) under dir/name,
// changed by edit when given.
func copyReport(t *testing.T, dir, name string, edit func(map[string]any)) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "evaluate-min.json"))
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		if raw, err = json.Marshal(m); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Every bad input of report evaluate is exit 2 with a message naming the file or flag, found
// before anything is judged or written.
func TestEvaluateBadInputsExitTwoNamingTheInput(t *testing.T) {
	dir := t.TempDir()
	good := copyReport(t, dir, "in/good.json", nil)
	other := copyReport(t, dir, "in/other.json", func(m map[string]any) { m["machine"].(map[string]any)["name"] = "min02" })
	older := copyReport(t, dir, "old/older.json", func(m map[string]any) { m["schemaVersion"] = 0 })
	newer := copyReport(t, dir, "new/newer.json", func(m map[string]any) { m["schemaVersion"] = 2 })
	twin := copyReport(t, dir, "twin/good.json", nil)
	badPol := filepath.Join(dir, "bad.rego")
	os.WriteFile(badPol, []byte("package cmpreflight.bad\n\ndeny contains msg if {\n\tmsg := \n}\n"), 0o644)
	cfg := filepath.Join(dir, "cfg.yaml")
	os.WriteFile(cfg, []byte("proxy: http://proxy.lab:8080\nfail-on: deny\nproxi: x\n"), 0o644)
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o755)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"older schema", []string{"--in", older}, []string{older, "schemaVersion 0", "older than this build reads (1)"}},
		{"newer schema", []string{"--in", newer}, []string{newer, "schemaVersion 2", "newer than this build reads (1)"}},
		{"one bad among good", []string{"--in", good, "--in", older, "--output", "json=" + out + "/"}, []string{older, "schemaVersion 0"}},
		{"not a report", []string{"--in", badPol}, []string{badPol, "not JSON"}},
		{"no input", nil, []string{"--in"}},
		{"missing input", []string{"--in", filepath.Join(dir, "absent.json")}, []string{"absent.json"}},
		{"bad fail-on", []string{"--in", good, "--fail-on", "maybe"}, []string{"--fail-on", "maybe"}},
		{"unknown format", []string{"--in", good, "--output", "pdf=" + out + "/r.pdf"}, []string{"--output", "pdf"}},
		{"one-report format for two", []string{"--in", good, "--in", other, "--output", "sarif=" + out + "/all.sarif"}, []string{"--output", "sarif", "folder"}},
		{"output over an input", []string{"--in", good, "--output", "json=" + good}, []string{"would overwrite the input", good}},
		{"same name twice in a folder", []string{"--in", good, "--in", twin, "--output", "html=" + out + "/"}, []string{"good.html", "same file name"}},
		{"missing output folder", []string{"--in", good, "--output", "json=" + filepath.Join(dir, "nowhere", "r.json")}, []string{"nowhere", "does not exist"}},
		{"bad policy", []string{"--in", good, "--policy", badPol}, []string{badPol + ":"}},
		{"unknown config key", []string{"--config", cfg, "--in", good}, []string{cfg + ":3", "proxi"}},
		{"stray argument", []string{good}, []string{"unexpected argument"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr, err := execBin(nil, append([]string{"report", "evaluate"}, tc.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			if code != 2 {
				t.Errorf("exit %d, want 2; stdout %q stderr %q", code, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
			if ents, _ := os.ReadDir(out); len(ents) != 0 {
				t.Errorf("something was written: %v", ents)
			}
		})
	}
}

// --fail-on, exit codes and the terminal: a compliant report with warnings exits 0, and 1
// under --fail-on warn; a run's config file serves report evaluate (its probe keys are
// skipped); a fleet document in the folder of reports is set aside; several reports get one
// verdict line each; every per-report output is named after its report.
func TestEvaluateFailOnConfigAndFolders(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "reports")
	copyReport(t, in, "min01.json", nil)
	copyReport(t, in, "min02.json", func(m map[string]any) { m["machine"].(map[string]any)["name"] = "min02\n::error::x" })
	if err := os.WriteFile(filepath.Join(in, "fleet.json"), []byte(`{"schemaVersion": 1, "kind": "cmpreflight-fleet", "tool": {"name": "cmpreflight", "version": "v1"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr, _ := execBin(nil, "report", "evaluate", "--in", in)
	if code != 0 || !strings.Contains(stderr, "skipped "+filepath.Join(in, "fleet.json")) || strings.Count(stdout, "\n") != 2 ||
		!strings.Contains(stdout, filepath.Join(in, "min01.json")+": min01: COMPLIANT (0 deny, 2 warn, 0 waived)") || strings.Contains(stdout, "\n::") {
		t.Errorf("two compliant reports: exit %d\nstdout %q\nstderr %q", code, stdout, stderr)
	}
	cfg := filepath.Join(dir, "preflight.yaml")
	os.WriteFile(cfg, []byte("proxy: http://proxy.lab:8080\ndns-server: [127.0.0.1:53]\nfail-on: warn\n"), 0o644)
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o755)
	code, _, stderr, _ = execBin(nil, "report", "evaluate", "--config", cfg, "--in", filepath.Join(in, "min*.json"), "--quiet",
		"--output", "markdown="+out+"/", "--output", "github="+filepath.Join(out, "all.github"), "--output", "html="+filepath.Join(out, "fleet.html"))
	if code != 1 {
		t.Errorf("--fail-on warn from the config: exit %d, want 1: %s", code, stderr)
	}
	var names []string
	ents, _ := os.ReadDir(out)
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"all.github", "fleet.html", "min01.md", "min02.md"}) {
		t.Errorf("outputs %v", names)
	}
	gh, _ := os.ReadFile(filepath.Join(out, "all.github"))
	for _, l := range strings.Split(strings.TrimSpace(string(gh)), "\n") {
		if !strings.HasPrefix(l, "::warning title=") {
			t.Errorf("github line %q", l)
		}
	}
	if strings.Count(string(gh), "\n") != 4 || !strings.Contains(string(gh), "min02%0A::error::x") {
		t.Errorf("github annotations:\n%s", gh)
	}
	html, _ := os.ReadFile(filepath.Join(out, "fleet.html"))
	if !strings.Contains(string(html), "min01") || !strings.Contains(string(html), "min02") {
		t.Errorf("fleet page lacks the machines")
	}
}

// A runaway user policy is stopped by SIGTERM or --run-timeout, as in run: exit 2, and the
// judged report is still written, marked interrupted with a verdict that says so.
func TestEvaluateRunawayPolicyIsStopped(t *testing.T) {
	for _, tc := range []struct {
		name   string
		signal os.Signal
		extra  []string
	}{
		{"SIGTERM", syscall.SIGTERM, nil},
		{"run-timeout", nil, []string{"--run-timeout", "2s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := copyReport(t, dir, "min01.json", nil)
			pol := filepath.Join(dir, "p.rego")
			os.WriteFile(pol, []byte(cpuRunaway), 0o644)
			report := filepath.Join(dir, "judged.json")
			cmd := exec.Command(binPath, append([]string{"report", "evaluate", "--in", in, "--policy", pol, "--quiet",
				"--output", "json=" + report, "--output", "github=" + filepath.Join(dir, "judged.github")}, tc.extra...)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			if tc.signal != nil {
				time.Sleep(2 * time.Second)
				cmd.Process.Signal(tc.signal)
			}
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("report evaluate did not end within 30 s; stderr %s", stderr.String())
			}
			doc, raw := readDoc(t, report)
			validateReport(t, raw)
			checkStopped(t, cmd.ProcessState.ExitCode(), stderr.String(), doc)
			if doc.Evaluation == nil || doc.Evaluation.Command != "report evaluate" {
				t.Errorf("evaluation %+v", doc.Evaluation)
			}
			if gh, _ := os.ReadFile(filepath.Join(dir, "judged.github")); !strings.HasPrefix(string(gh), "::error title=cmpreflight%3A ") {
				t.Errorf("github annotations %q", gh)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 4 {
				t.Errorf("files left: %v", ents)
			}
		})
	}
}

// report evaluate's help: on stdout, every flag with its value name, examples, exit codes.
func TestEvaluateHelp(t *testing.T) {
	code, stdout, stderr, err := execBin(nil, "report", "evaluate", "--help")
	if err != nil || code != 0 || stderr != "" {
		t.Fatalf("exit %d, %v, stderr %q", code, err, stderr)
	}
	for _, want := range []string{"usage: cmpreflight report evaluate", "--in PATH", "--policy PATH", "--data FILE", "--waivers FILE",
		"--disable-rule RULE", "--fail-on", "--output FORMAT=PATH", "github, azure-devops", "--config FILE", "--run-timeout DURATION",
		"Examples:", "--output github=-", "Exit codes:"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help lacks %q:\n%s", want, stdout)
		}
	}
	if code, _, stderr, _ := execBin(nil, "report", "evaluate", "--polcy", "x"); code != 2 || !strings.Contains(stderr, "did you mean --policy?") {
		t.Errorf("mistyped flag: exit %d, %q", code, stderr)
	}
}
