package cmlogs

import (
	"path/filepath"
	"testing"
	"time"
)

// The other roles' logs: an ADR download failure in ruleengine.log (12007 named, another code
// caught by the general signature), MISE12034 in the MP's CCM_STS_ManagedBase.log and the
// client's 0x87d00231, each found when the folder is given and tagged with its profiles.
func TestRoleSignatures(t *testing.T) {
	res, err := Analyze([]string{filepath.Join("testdata", "roles")}, time.Date(2026, 11, 11, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, f := range res.Findings {
		got[f.Signature] = f.Count
	}
	want := map[string]int{"adr.download.dns": 1, "adr.download": 1, "mp.mise": 1, "client.mp_token": 1}
	for id, n := range want {
		if got[id] != n {
			t.Errorf("%s: count %d, want %d (findings %v)", id, got[id], n, got)
		}
	}
	if got["log.error"] != 0 {
		t.Errorf("records counted twice under log.error: %v", got)
	}
	for _, s := range Signatures() {
		if want[s.ID] > 0 && (len(s.Profiles) == 0 || s.Reference == "") {
			t.Errorf("%s: profiles %v, reference %q", s.ID, s.Profiles, s.Reference)
		}
	}
}
