package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/cmpreflight/cmpreflight/catalog"
	"github.com/cmpreflight/cmpreflight/checks/origin"
	"github.com/cmpreflight/cmpreflight/facts"
	"github.com/cmpreflight/cmpreflight/internal/lab"
)

// binPath is the product binary the integration tests run: CMPREFLIGHT_BIN (built once by
// `make test`) or one built here once per test process.
var binPath string

func TestMain(m *testing.M) {
	binPath = os.Getenv("CMPREFLIGHT_BIN")
	var tmp string
	if binPath == "" {
		var err error
		tmp, err = os.MkdirTemp("", "cmpreflight-bin")
		if err != nil {
			panic(err)
		}
		binPath = filepath.Join(tmp, "cmpreflight")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building the binary: %v\n%s", err, out)
			os.Exit(2)
		}
	}
	code := m.Run()
	if tmp != "" {
		os.RemoveAll(tmp)
	}
	os.Exit(code)
}

// needRoot skips lab tests that bind ports 443/80 when not root, except in CI.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("the lab binds ports 443 and 80 on loopback and needs root in CI")
		}
		t.Skip("not root: the lab cannot bind 443/80")
	}
}

// startLabDNS runs a lab DNS server for the test and stops it in Cleanup.
func startLabDNS(t *testing.T) *lab.DNS {
	t.Helper()
	d, err := lab.StartDNS("127.0.0.1", 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

// catalogLab serves every catalog name of the SCP profile on one loopback address.
type catalogLab struct {
	dns    *lab.DNS
	web    *lab.Web
	ca     *lab.CA
	caFile string
	dir    string
}

func startCatalogLab(t *testing.T) *catalogLab {
	t.Helper()
	needRoot(t)
	ca, err := lab.NewCA("cmpreflight lab root")
	if err != nil {
		t.Fatal(err)
	}
	ip, err := lab.AllocIP(443, 80)
	if err != nil {
		t.Fatal(err)
	}
	web, err := lab.StartWeb(ip, 443, 80, ca, lab.ConnServe)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(web.Close)
	d := startLabDNS(t)
	cat, err := catalog.LoadProfile("scp")
	if err != nil {
		t.Fatal(err)
	}
	for _, cloud := range []string{"public", "usgov"} {
		targets, _ := catalog.Plan(cat.Entries, catalog.PlanOptions{Edition: catalog.EditionAll, Cloud: cloud})
		for _, tg := range targets {
			d.A(tg.Host, ip)
		}
	}
	// download.windowsupdate.com is served through Akamai: a CNAME chain ending under
	// *.akamaiedge.net, as in the field.
	d.CNAME("download.windowsupdate.com", "download.windowsupdate.com.edgesuite.net")
	d.CNAME("download.windowsupdate.com.edgesuite.net", "a767.dscg3.akamaiedge.net")
	d.A("a767.dscg3.akamaiedge.net", ip)
	// The origins behave as real ones do: each its own content, the same over HTTP and HTTPS,
	// and some moving plain HTTP to HTTPS.
	for _, tg := range catalogHosts(t) {
		web.Handle(tg, lab.Route{Status: 200, Headers: map[string]string{"Content-Type": "text/html"},
			Body: "<html><head><title>" + reversed(tg) + "</title></head><body>" + reversed(tg) + " serves its own page</body></html>"})
	}
	for _, h := range []string{"sccm.manage.microsoft.com", "blob.core.windows.net", "login.microsoftonline.com", "bspmts.mp.microsoft.com"} {
		web.Handle(h, lab.Route{UpgradePlain: true})
	}
	dir := t.TempDir()
	caFile, _, err := ca.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	return &catalogLab{dns: d, web: web, ca: ca, caFile: caFile, dir: dir}
}

func (l *catalogLab) args(extra ...string) []string {
	return append([]string{"run", "--dns-server", l.dns.Addr, "--ca-file", l.caFile, "--expected-roots", l.caFile, "--quiet"}, extra...)
}

type result struct {
	code           int
	stdout, stderr string
	doc            *facts.Document
	raw            []byte
}

// runBin runs the product with a bounded deadline and reads the JSON report it wrote.
func runBin(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runBinIn(t, "", env, args...)
}

// runBinIn is runBin inside the network namespace netns ("" for this one).
func runBinIn(t *testing.T, netns string, env []string, args ...string) result {
	t.Helper()
	dir := t.TempDir()
	report := filepath.Join(dir, "report.json")
	hasJSON := false
	for _, a := range args {
		if strings.HasPrefix(a, "json=") {
			hasJSON = true
		}
	}
	if len(args) > 0 && args[0] == "run" && !hasJSON {
		args = append(args, "--output", "json="+report)
	}
	cmd := exec.Command(binPath, args...)
	if netns != "" {
		cmd = exec.Command("ip", append([]string{"netns", "exec", netns, binPath}, args...)...)
	}
	cmd.Env = append(append(os.Environ(), "HTTPS_PROXY=", "HTTP_PROXY=", "https_proxy=", "http_proxy=", "NO_PROXY="), env...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		<-done
		t.Fatalf("cmpreflight %v did not finish in 3 minutes", args)
	}
	r := result{code: cmd.ProcessState.ExitCode(), stdout: so.String(), stderr: se.String()}
	if data, err := os.ReadFile(report); err == nil {
		r.raw = data
		var doc facts.Document
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatalf("report is not JSON: %v", err)
		}
		r.doc = &doc
		validateReport(t, data)
	}
	return r
}

var reportSchema *jsonschema.Schema

func validateReport(t *testing.T, data []byte) {
	t.Helper()
	if reportSchema == nil {
		_, file, _, _ := runtime.Caller(0)
		path := filepath.Join(filepath.Dir(file), "..", "..", "facts", "schema", "report.schema.json")
		c := jsonschema.NewCompiler()
		c.AssertFormat()
		s, err := c.Compile(path)
		if err != nil {
			t.Fatalf("compile report schema: %v", err)
		}
		reportSchema = s
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := reportSchema.Validate(inst); err != nil {
		t.Fatalf("report does not match facts/schema/report.schema.json: %#v", err)
	}
}

func byID(doc *facts.Document) map[string]facts.Check {
	m := map[string]facts.Check{}
	for _, c := range doc.Checks {
		m[c.ID] = c
	}
	return m
}

func TestRunEveryCatalogEndpointPassesAgainstTheLab(t *testing.T) {
	l := startCatalogLab(t)
	// fwlink redirects as in the field; the hop is followed and recorded.
	l.web.Handle("go.microsoft.com", lab.Route{Status: 302, Location: "https://download.microsoft.com/download/ConfigMgr.Update.Manifest.cab"})
	r := runBin(t, nil, l.args("--edition", "all", "--output", "text="+filepath.Join(l.dir, "out.txt"))...)
	if r.doc == nil {
		t.Fatalf("no report; exit %d, stderr:\n%s", r.code, r.stderr)
	}
	checksByID := byID(r.doc)
	cat, _ := catalog.LoadProfile("scp")
	targets, _ := catalog.Plan(cat.Entries, catalog.PlanOptions{Edition: catalog.EditionAll, Cloud: "public"})
	if len(targets) < 45 {
		t.Fatalf("the plan has %d checks; the catalog should give at least 45", len(targets))
	}
	proofs := map[string]int{}
	for _, tg := range targets {
		c, ok := checksByID[tg.ID]
		if !ok {
			t.Errorf("%s missing from the report", tg.ID)
			continue
		}
		if c.Status != facts.StatusPass {
			t.Errorf("%s: %s at %s (%s): %s", c.ID, c.Status, c.Stage, c.Reason, c.Message)
		}
		if c.Kind == "http" {
			// Every plain-HTTP pass names its proof, anchored in what TLS verified.
			if c.Evidence.Origin == nil || !origin.Proven(c.Evidence.Origin.By) {
				t.Errorf("%s passed without a proof: %+v", c.ID, c.Evidence.Origin)
			} else {
				proofs[c.Evidence.Origin.By]++
				t.Logf("%s proven by %s: %s", c.ID, c.Evidence.Origin.By, c.Evidence.Origin.Detail)
			}
		}
		if c.Route != facts.RouteDirect || c.Timings.Total < c.Timings.DNS {
			t.Errorf("%s: route %s timings %+v", c.ID, c.Route, c.Timings)
		}
		if c.Port == 443 && (c.Evidence.TLS == nil || len(c.Evidence.TLS.Chain) != 2 || !c.Evidence.TLS.Verified || c.Evidence.TLS.Version != "TLS 1.3") {
			t.Errorf("%s: TLS evidence %+v", c.ID, c.Evidence.TLS)
		}
	}
	// The lab's origins answer as real ones do, so every proof shows up.
	for _, by := range []string{origin.ByHTTPSMatch, origin.ByHTTPSUpgrade, origin.BySignedCRL, origin.BySignedOCSP} {
		if proofs[by] == 0 {
			t.Errorf("no port-80 check proven by %s (%v)", by, proofs)
		}
	}
	wu := checksByID["download.windowsupdate.com:443"]
	if got := strings.Join(wu.Evidence.DNS.CNAMEs, " "); got != "download.windowsupdate.com.edgesuite.net a767.dscg3.akamaiedge.net" {
		t.Errorf("CNAME chain = %q", got)
	}
	fw := checksByID["go.microsoft.com:443"]
	if fw.Evidence.HTTP == nil || len(fw.Evidence.HTTP.Redirects) != 2 || fw.Evidence.HTTP.Redirects[1].Host != "download.microsoft.com" {
		t.Errorf("fwlink redirect chain = %+v", fw.Evidence.HTTP)
	}
	if r.code != 0 || !r.doc.Verdict.Compliant {
		t.Errorf("exit %d, verdict %+v; stderr %s", r.code, r.doc.Verdict, r.stderr)
	}
}

func TestRunReportsTheStageOfMisbehavingEndpoints(t *testing.T) {
	needRoot(t)
	ca, _ := lab.NewCA("lab root")
	d := startLabDNS(t)
	type bad struct {
		name, conn   string
		route        *lab.Route
		stage, reson string
	}
	cases := []bad{
		{name: "hang.lab.test", conn: lab.ConnHang, stage: facts.StageTLS, reson: "timeout"},
		{name: "stall.lab.test", conn: lab.ConnStallTLS, stage: facts.StageTLS, reson: "timeout"},
		{name: "reset.lab.test", conn: lab.ConnReset, stage: facts.StageTLS, reson: "reset"},
		{name: "oldtls.lab.test", conn: lab.ConnOldTLS, stage: facts.StageTLS, reson: "tls-version"},
		{name: "status502.lab.test", route: &lab.Route{Status: 502}, stage: facts.StageHTTP, reson: "status-502"},
		{name: "headers.lab.test", route: &lab.Route{EndlessHeaders: true}, stage: facts.StageHTTP, reson: "too-large"},
		{name: "slow.lab.test", route: &lab.Route{Delay: time.Hour}, stage: facts.StageHTTP, reson: "timeout"},
	}
	var yaml strings.Builder
	yaml.WriteString("entries:\n")
	for _, c := range cases {
		ip, err := lab.AllocIP(443)
		if err != nil {
			t.Fatal(err)
		}
		w, err := lab.StartWeb(ip, 443, -1, ca, c.conn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Close)
		if c.route != nil {
			w.Handle("", *c.route)
		}
		d.A(c.name, ip)
		fmt.Fprintf(&yaml, "  - {name: %s, ports: [443]}\n", c.name)
	}
	refusedIP, _ := lab.AllocIP(443)
	d.A("refused.lab.test", refusedIP)
	d.Behave("nodns.lab.test", lab.DNSNoAnswer)
	yaml.WriteString("  - {name: refused.lab.test, ports: [443]}\n  - {name: nxdomain.lab.test, ports: [443]}\n  - {name: nodns.lab.test, ports: [443]}\n")
	dir := t.TempDir()
	epFile := filepath.Join(dir, "endpoints.yaml")
	os.WriteFile(epFile, []byte(yaml.String()), 0o644)
	caFile, _, _ := ca.WriteFiles(dir)

	start := time.Now()
	r := runBin(t, nil, "run", "--endpoints-only", "--endpoints", epFile, "--dns-server", d.Addr, "--ca-file", caFile,
		"--expected-roots", caFile, "--timeout", "2s", "--quiet")
	elapsed := time.Since(start)
	if r.doc == nil {
		t.Fatalf("no report: exit %d %s", r.code, r.stderr)
	}
	got := byID(r.doc)
	for _, c := range cases {
		ch := got[c.name+":443"]
		if ch.Status != facts.StatusFail || ch.Stage != c.stage || (c.reson != "" && ch.Reason != c.reson) {
			t.Errorf("%s: %s at %s (%s) %q; want fail at %s (%s)", c.name, ch.Status, ch.Stage, ch.Reason, ch.Message, c.stage, c.reson)
		}
		if ch.Timings.Total > 2600 {
			t.Errorf("%s took %d ms, beyond its 2 s deadline plus slack", c.name, ch.Timings.Total)
		}
	}
	want := map[string][2]string{
		"refused.lab.test:443":  {facts.StageConnect, "refused"},
		"nxdomain.lab.test:443": {facts.StageDNS, "nxdomain"},
		"nodns.lab.test:443":    {facts.StageDNS, "timeout"},
	}
	for id, w := range want {
		if ch := got[id]; ch.Stage != w[0] || ch.Reason != w[1] {
			t.Errorf("%s: stage %s reason %s (%s); want %s/%s", id, ch.Stage, ch.Reason, ch.Message, w[0], w[1])
		}
	}
	if r.code != 1 {
		t.Errorf("exit %d, want 1 (not compliant)", r.code)
	}
	if elapsed > 10*time.Second {
		t.Errorf("the run took %v; checks run concurrently and each has a 2 s deadline", elapsed)
	}
}

func TestBadInputsExitTwoNamingTheInput(t *testing.T) {
	dir := t.TempDir()
	badCat := filepath.Join(dir, "eps.yaml")
	os.WriteFile(badCat, []byte("entries:\n  - {name: ok.example.com}\n  - {name: \"no spaces.example.com\"}\n"), 0o644)
	badCfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(badCfg, []byte("timeout: 3s\nbogus: 1\n"), 0o644)
	badPolicy := filepath.Join(dir, "pol")
	os.Mkdir(badPolicy, 0o755)
	os.WriteFile(filepath.Join(badPolicy, "p.rego"), []byte("package cmpreflight.mine\n\ndeny contains msg if {\n  msg := \n}\n"), 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--bogus"}, "--bogus"},
		{[]string{"run", "--timeout", "soon"}, "--timeout"},
		{[]string{"run", "--edition", "2019"}, "--edition"},
		{[]string{"run", "--endpoints", badCat}, "eps.yaml:3"},
		{[]string{"run", "--config", badCfg}, "c.yaml:2"},
		{[]string{"run", "--policy", badPolicy, "--dns-server", "127.0.0.1:1"}, "p.rego:"},
		{[]string{"run", "--proxy", "http://u:secretpw@proxy.lab:3128"}, "--proxy"},
		{[]string{"run", "--output", "pdf=x.pdf"}, "pdf"},
		{[]string{"run", "--output", "json=" + filepath.Join(dir, "missing", "r.json")}, "does not exist"},
		{[]string{"frobnicate"}, "frobnicate"},
	}
	for _, c := range cases {
		r := runBin(t, nil, c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d stderr %q; want exit 2 naming %q", c.args, r.code, r.stderr, c.want)
		}
		if strings.Contains(r.stderr+r.stdout, "secretpw") {
			t.Errorf("%v: the password leaked: %s", c.args, r.stderr)
		}
	}
}

// One run writes every format, and the CMTrace log has a line per check and per decision.
func TestRunWritesEveryFormatAndACMTraceLog(t *testing.T) {
	l := startCatalogLab(t)
	eps := writeEndpoints(t, l.dir, "go.microsoft.com", "http://crl3.digicert.com/", "nxdomain.lab.test")
	dir := t.TempDir()
	args := l.args("--endpoints-only", "--endpoints", eps, "--log-file", filepath.Join(dir, "cmpreflight.log"))
	for _, f := range []string{"html", "junit", "sarif", "markdown", "text"} {
		args = append(args, "--output", f+"="+filepath.Join(dir, "r."+f))
	}
	r := runBin(t, nil, args...)
	if r.code != 1 {
		t.Fatalf("exit %d (want 1: nxdomain is a required failure): %s", r.code, r.stderr)
	}
	for _, f := range []string{"html", "junit", "sarif", "markdown", "text"} {
		b, err := os.ReadFile(filepath.Join(dir, "r."+f))
		if err != nil || len(b) == 0 || !strings.Contains(string(b), "nxdomain.lab.test") {
			t.Errorf("%s report: %v, %d bytes", f, err, len(b))
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || strings.Contains(e.Name(), "tmp") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "cmpreflight.log"))
	lines := strings.Split(strings.TrimSpace(string(log)), "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[0], "<![LOG[") || !strings.Contains(string(log), `type="3"`) || !strings.Contains(string(log), "verdict: compliant=false") {
		t.Errorf("CMTrace log:\n%s", log)
	}
}

// A transparent filter answering port 80 with its own block page as a 200 is not a pass.
func TestDirectBlockPageOnPort80Fails(t *testing.T) {
	l := startCatalogLab(t)
	l.web.Handle("crl4.digicert.com", lab.Route{Status: 200, Headers: map[string]string{"Content-Type": "text/html"},
		Body: "<html><head><title>Access Denied - Web Filter</title></head><body>blocked</body></html>"})
	eps := writeEndpoints(t, l.dir, "http://crl4.digicert.com/", "http://crl3.digicert.com/")
	r := runBin(t, nil, l.args("--endpoints-only", "--endpoints", eps)...)
	got := byID(r.doc)
	if c := got["crl4.digicert.com:80"]; c.Status != facts.StatusFail || c.Stage != facts.StageHTTP || c.Reason != "block-page" || !strings.Contains(c.Message, "Access Denied") {
		t.Errorf("block page: %s at %s (%s): %s", c.Status, c.Stage, c.Reason, c.Message)
	}
	if c := got["crl3.digicert.com:80"]; c.Status != facts.StatusPass {
		t.Errorf("genuine answer: %s at %s: %s", c.Status, c.Stage, c.Message)
	}
}

// catalogHosts are the hosts of the SCP catalog, both editions and clouds.
func catalogHosts(t *testing.T) []string {
	t.Helper()
	cat, err := catalog.LoadProfile("scp")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	var out []string
	for _, cloud := range []string{"public", "usgov"} {
		targets, _ := catalog.Plan(cat.Entries, catalog.PlanOptions{Edition: catalog.EditionAll, Cloud: cloud})
		for _, tg := range targets {
			if !seen[tg.Host] {
				seen[tg.Host] = true
				out = append(out, tg.Host)
			}
		}
	}
	return out
}

// reversed spells a host backwards: content of its own that no other host's page shares once
// the host's name is taken out.
func reversed(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}
