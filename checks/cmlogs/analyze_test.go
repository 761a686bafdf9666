package cmlogs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cmpreflight/cmpreflight/facts"
)

var fixtureNow = time.Date(2023, 7, 15, 18, 0, 0, 0, time.UTC)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAnalyzeFixtures(t *testing.T) {
	res, err := Analyze([]string{"testdata/logs"}, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	dl := filepath.Join("testdata", "logs", "Dmpdownloader.log")
	up := filepath.Join("testdata", "logs", "Dmpuploader.log")
	ec := filepath.Join("testdata", "logs", "EndpointConnectivityCheckWorker.log")
	sb := filepath.Join("testdata", "logs", "SrvBoot.log")
	type want struct {
		sig, sev, file string
		count          int
		first, last    string
		example        string // substring
		remediation    string // substring
		reference      string
		sources        int
	}
	wants := []want{
		{"endpoint.check_error", "error", ec, 1, "2023-07-15T18:00:02Z", "2023-07-15T18:00:02Z", "Unexpected state in the worker queue", "logged an error", "", 1},
		{"endpoint.check_failed", "error", ec, 1, "2023-07-15T18:00:01Z", "2023-07-15T18:00:01Z", "configmgrbits.azureedge.net: (407)", "408, 426, 451", "", 1},
		{"proxy.auth", "error", dl, 1, "2023-07-15T14:30:00.25Z", "2023-07-15T14:30:00.25Z", "(407) Proxy Authentication Required. at System.Net.HttpWebRequest.GetResponse()", "site system proxy server account", "proxy-server-support", 1},
		{"proxy.auth", "error", ec, 1, "2023-07-15T18:00:01Z", "2023-07-15T18:00:01Z", "(407)", "computer account", "", 1},
		{"tls.chain", "error", sb, 1, "2023-07-15T10:00:02Z", "2023-07-15T10:00:02Z", "Fail to build chain", "DigiCert Global Root G2", "G2", 1},
		{"tls.send", "error", up, 1, "2023-07-31T23:30:00Z", "2023-07-31T23:30:00Z", "An unexpected error occurred on a send.", "SchUseStrongCrypto=1", "KB4561945", 1},
		{"tls.trust", "error", dl, 4, "2023-07-14T02:30:00Z", "2023-07-15T15:12:46.001Z", "Could not establish trust relationship for the SSL/TLS secure channel", "DigiCert Global Root G2", "KB3187516", 2},
		{"upload.failed", "error", up, 1, "2023-07-31T23:21:09.96Z", "2023-07-31T23:21:09.96Z", "STATMSG: ID=9605 SEV=E", "*.manage.microsoft.com", "", 1},
		{"sync.stale", "warning", dl, 1, "2023-07-14T12:00:05.12Z", "2023-07-14T12:00:05.12Z", "Successfully downloaded ConfigMgr.Update.Manifest.cab", "every 24 hours", "", 0},
	}
	if len(res.Findings) != len(wants) {
		for _, f := range res.Findings {
			t.Logf("got %s %s %s %d", f.Signature, f.Severity, f.File, f.Count)
		}
		t.Fatalf("got %d findings, want %d", len(res.Findings), len(wants))
	}
	for i, w := range wants {
		f := res.Findings[i]
		if f.Signature != w.sig || f.Severity != w.sev || f.File != w.file || f.Count != w.count {
			t.Errorf("finding %d = %s/%s/%s/%d, want %s/%s/%s/%d", i, f.Signature, f.Severity, f.File, f.Count, w.sig, w.sev, w.file, w.count)
			continue
		}
		if !f.FirstSeen.Equal(utc(w.first)) || !f.LastSeen.Equal(utc(w.last)) {
			t.Errorf("%s: first/last = %s/%s, want %s/%s", w.sig, f.FirstSeen, f.LastSeen, w.first, w.last)
		}
		if f.FirstSeen.Location() != time.UTC {
			t.Errorf("%s: first seen not in UTC", w.sig)
		}
		if !strings.Contains(f.Example, w.example) {
			t.Errorf("%s: example %q lacks %q", w.sig, f.Example, w.example)
		}
		if strings.ContainsAny(f.Example, "\r\n") {
			t.Errorf("%s: example spans lines: %q", w.sig, f.Example)
		}
		if !strings.Contains(f.Remediation, w.remediation) || f.Title == "" {
			t.Errorf("%s: remediation %q lacks %q", w.sig, f.Remediation, w.remediation)
		}
		if !strings.Contains(f.Reference, w.reference) {
			t.Errorf("%s: reference %q lacks %q", w.sig, f.Reference, w.reference)
		}
		if len(f.Sources) != w.sources {
			t.Errorf("%s: sources %v, want %d", w.sig, f.Sources, w.sources)
		}
	}
	if res.LastSync == nil || !res.LastSync.Equal(utc("2023-07-14T12:00:05.12Z")) {
		t.Errorf("LastSync = %v", res.LastSync)
	}
	if !HasErrors(res.Findings) {
		t.Error("HasErrors = false")
	}

	wantFiles := []FileStat{
		{Path: filepath.Join("testdata", "logs", "Dmpdownloader.lo_"), Log: "dmpdownloader.log", Encoding: "utf-8", Records: 2},
		{Path: dl, Log: "dmpdownloader.log", Encoding: "utf-8", Records: 8},
		{Path: up, Log: "dmpuploader.log", Encoding: "utf-16le", Records: 4},
		{Path: ec, Log: "endpointconnectivitycheckworker.log", Encoding: "utf-8", Records: 3},
		{Path: sb, Log: "srvboot.log", Encoding: "utf-8", Records: 2, Corrupt: 4},
	}
	if len(res.Files) != len(wantFiles) {
		t.Fatalf("files = %+v", res.Files)
	}
	for i, w := range wantFiles {
		if res.Files[i] != w {
			t.Errorf("file %d = %+v, want %+v", i, res.Files[i], w)
		}
	}
}

func TestAnalyzeDeterministic(t *testing.T) {
	a, err := Analyze([]string{"testdata/logs"}, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	// The same files named in another order and twice give the same result.
	entries, _ := os.ReadDir("testdata/logs")
	var paths []string
	for i := len(entries) - 1; i >= 0; i-- {
		paths = append(paths, filepath.Join("testdata/logs", entries[i].Name()))
	}
	paths = append(paths, "testdata/logs")
	b, err := Analyze(paths, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("results differ:\n%s\n%s", ja, jb)
	}
}

func writeLog(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSyncAge(t *testing.T) {
	ok := "Successfully downloaded ConfigMgr.Update.Manifest.cab~~  $$<SMS_DMP_DOWNLOADER><07-15-2023 09:00:00.000+240><thread=1 (0x1)>\n"
	failed := "Failed to download manifest: not downloaded successfully~~  $$<SMS_DMP_DOWNLOADER><07-15-2023 10:00:00.000+240><thread=1 (0x1)>\n"
	other := "Checking for updates~~  $$<SMS_DMP_DOWNLOADER><07-15-2023 09:00:00.000+240><thread=1 (0x1)>\n"
	sync := utc("2023-07-15T13:00:00Z")
	tests := []struct {
		name    string
		content string
		now     time.Time
		want    string // signature of the sync finding, "" for none
	}{
		{"fresh", ok + failed, sync.Add(23 * time.Hour), ""},
		{"exactly 24h", ok, sync.Add(24 * time.Hour), ""},
		{"stale", ok + failed, sync.Add(24*time.Hour + time.Second), "sync.stale"},
		{"never", other + failed, sync, "sync.never"},
		{"empty", "", sync, "sync.never"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeLog(t, dir, "DMPDOWNLOADER.LOG", tc.content)
			res, err := Analyze([]string{dir}, tc.now)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, f := range res.Findings {
				if strings.HasPrefix(f.Signature, "sync.") {
					got = f.Signature
					if f.Severity != SeverityWarning {
						t.Errorf("severity %s", f.Severity)
					}
				}
			}
			if got != tc.want {
				t.Errorf("sync finding %q, want %q", got, tc.want)
			}
			if strings.Contains(tc.content, "Successfully") != (res.LastSync != nil) {
				t.Errorf("LastSync = %v", res.LastSync)
			}
			if res.LastSync != nil && !res.LastSync.Equal(sync) {
				t.Errorf("LastSync = %v, want %v", res.LastSync, sync)
			}
		})
	}
}

func TestAnalyzeNoDownloaderNoSyncFinding(t *testing.T) {
	dir := t.TempDir()
	writeLog(t, dir, "SrvBoot.log", "")
	writeLog(t, dir, "notes.txt", "The remote name could not be resolved~~  $$<X><07-15-2023 09:00:00.000+240><thread=1 (0x1)>\n")
	res, err := Analyze([]string{dir}, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 || len(res.Files) != 1 || HasErrors(res.Findings) {
		t.Errorf("findings %+v files %+v", res.Findings, res.Files)
	}
	// A file named explicitly is read whatever its name.
	res, err = Analyze([]string{filepath.Join(dir, "notes.txt")}, fixtureNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Signature != "dns.resolve" {
		t.Errorf("findings %+v", res.Findings)
	}
}

func TestAnalyzeMissingPath(t *testing.T) {
	if _, err := Analyze([]string{filepath.Join(t.TempDir(), "nope")}, fixtureNow); err == nil {
		t.Error("no error for a missing path")
	}
}

func TestRotatedNames(t *testing.T) {
	tests := map[string]string{
		"Dmpdownloader.log":                   "dmpdownloader.log",
		"DMPDOWNLOADER.LO_":                   "dmpdownloader.log",
		"dmpuploader-20230715-091245.log":     "dmpuploader.log",
		"EndpointConnectivityCheckWorker.lo_": "endpointconnectivitycheckworker.log",
		"srvboot.log":                         "srvboot.log",
		"other.lo_":                           "other.log",
	}
	for in, want := range tests {
		if got := logName(in); got != want {
			t.Errorf("logName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSignaturesValid(t *testing.T) {
	sigs := Signatures()
	if len(sigs) < 12 {
		t.Fatalf("only %d signatures", len(sigs))
	}
	for _, s := range sigs {
		if s.Reference == "" {
			t.Errorf("%s: no reference", s.ID)
		}
	}
	bad := []string{
		"signatures: [{id: a, severity: fatal, contains: x, title: t, remediation: r}]",
		"signatures: [{id: a, severity: error, title: t, remediation: r}]",
		"signatures: [{id: a, severity: error, contains: x, regexp: y, title: t, remediation: r}]",
		"signatures: [{id: a, severity: error, regexp: '(', title: t, remediation: r}]",
		"signatures: [{id: a, severity: error, contains: x, title: t, remediation: r}, {id: a, severity: error, contains: x, title: t, remediation: r}]",
		"signatures: [{id: sync.stale, severity: error, contains: x, title: t, remediation: r}]",
		"signatures: [{id: a, severity: error, contains: x, title: t}]",
	}
	for _, b := range bad {
		if _, err := loadSignatures([]byte(b)); err == nil {
			t.Errorf("no error for %s", b)
		}
	}
}

func TestHasErrors(t *testing.T) {
	if HasErrors(nil) || HasErrors([]facts.LogFinding{{Severity: "warning"}, {Severity: "info"}}) {
		t.Error("HasErrors true without errors")
	}
	if !HasErrors([]facts.LogFinding{{Severity: "warning"}, {Severity: "error"}}) {
		t.Error("HasErrors false with an error")
	}
}
