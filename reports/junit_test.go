package reports

import (
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// needTool finds an external validator; without it the test skips locally and fails in CI.
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found (Debian package %s); CI must have it", name, pkg)
		}
		t.Skipf("%s not found (Debian package %s)", name, pkg)
	}
	return p
}

func TestJUnitWellFormedForXmllint(t *testing.T) {
	xmllint := needTool(t, "xmllint", "libxml2-utils")
	dir := t.TempDir()
	for _, fx := range fixtures {
		path := filepath.Join(dir, fx+".xml")
		if err := WriteFile(path, "junit", loadFixture(t, fx)); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(xmllint, "--noout", path).CombinedOutput(); err != nil {
			t.Errorf("%s: xmllint: %v\n%s", fx, err, out)
		}
	}
}

// TestJUnitStructure checks what Jenkins and Azure DevOps read: counts that agree with the
// test cases, one case per check and per finding, and the right child elements.
func TestJUnitStructure(t *testing.T) {
	var got junitSuites
	if err := xml.Unmarshal(render(t, "junit", loadFixture(t, "proxy-denied")), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Suites) != 2 || got.Suites[0].Name != "checks" || got.Suites[1].Name != "policy" {
		t.Fatalf("suites = %+v", got.Suites)
	}
	checksSuite, policy := got.Suites[0], got.Suites[1]
	if checksSuite.Tests != 7 || checksSuite.Failures != 2 || checksSuite.Errors != 1 || checksSuite.Skipped != 1 {
		t.Errorf("checks suite counts: %+v", checksSuite)
	}
	if policy.Tests != 5 || policy.Failures != 2 || policy.Skipped != 1 {
		t.Errorf("policy suite counts: tests %d failures %d skipped %d", policy.Tests, policy.Failures, policy.Skipped)
	}
	if got.Tests != 12 || got.Failures != 4 || got.Errors != 1 || got.Skipped != 2 {
		t.Errorf("testsuites counts: %+v", got)
	}
	byName := map[string]junitCase{}
	for _, c := range checksSuite.Cases {
		byName[c.Name] = c
	}
	denied := byName["download.microsoft.com:443"]
	if denied.Classname != "updates and servicing" || denied.Failure == nil || denied.Failure.Type != "proxy-denied" ||
		denied.Failure.Message != "proxy-denied/status-403: the proxy refused CONNECT to download.microsoft.com:443" {
		t.Errorf("denied check case: %+v %+v", denied, denied.Failure)
	}
	if c := byName["configmgrbits.azureedge.net:443"]; c.Error == nil || c.Error.Type != "tls" {
		t.Errorf("error check case: %+v", c)
	}
	if c := byName["sccmconnected-a01.cloudapp.net:80"]; c.Skipped == nil {
		t.Errorf("skipped check case: %+v", c)
	}
	if c := byName["site/rights"]; c.Classname != "site" || c.Failure != nil || c.Time != "0.812" {
		t.Errorf("site check case: %+v", c)
	}
	var classes []string
	for _, c := range policy.Cases {
		classes = append(classes, c.Classname)
	}
	want := []string{"policy.deny", "policy.deny", "policy.warn", "policy.warn", "policy.waived"}
	for i := range want {
		if i >= len(classes) || classes[i] != want[i] {
			t.Fatalf("policy classnames %v, want %v", classes, want)
		}
	}
	if w := policy.Cases[2]; w.Failure != nil || w.SystemOut == "" {
		t.Errorf("warn case: %+v", w)
	}
	if w := policy.Cases[4]; w.Skipped == nil || !bytes.Contains([]byte(w.Skipped.Message), []byte("CHG-1234")) {
		t.Errorf("waived case: %+v", w)
	}
}
