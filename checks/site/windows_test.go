//go:build windows

package site

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The current-identity transport under Wine: a server that does not ask is answered as is;
// one that asks for NTLM or Negotiate gets SSPI, which without winbindd ends in an SSPI error
// (never a silent pass with the 401).
func TestCurrentIdentityTransport(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/open":
			w.WriteHeader(200)
		case r.Header.Get("Authorization") == "":
			w.Header().Set("WWW-Authenticate", strings.TrimPrefix(r.URL.Path, "/"))
			w.WriteHeader(401)
		case strings.HasPrefix(r.Header.Get("Authorization"), "NTLM TlRMTVNTUAABAAAA"):
			// An NTLM negotiate message: answer with a challenge so the context runs its
			// second leg (which needs the password: winbindd under Wine).
			w.Header().Set("WWW-Authenticate", "NTLM "+base64.StdEncoding.EncodeToString(ntlmChallenge()))
			w.WriteHeader(401)
		default:
			w.WriteHeader(401) // refuse whatever token came
		}
	}))
	defer srv.Close()
	rt, err := currentIdentityTransport(http.DefaultTransport)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/open", "/NTLM", "/Negotiate"} {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		resp, err := rt.RoundTrip(req)
		switch {
		case path == "/open" && (err != nil || resp.StatusCode != 200):
			t.Errorf("%s: %v", path, err)
		case path != "/open" && err == nil && resp.StatusCode != 401:
			t.Errorf("%s: %d, want the refusal or an SSPI error", path, resp.StatusCode)
		case err != nil && !strings.Contains(err.Error(), "SSPI"):
			t.Errorf("%s: error %v does not say SSPI", path, err)
		default:
			t.Logf("%s: %v", path, err)
		}
		if resp != nil {
			resp.Body.Close()
		}
	}
	req, _ := http.NewRequest("POST", srv.URL+"/NTLM", strings.NewReader("x"))
	if _, err := rt.RoundTrip(req); err == nil {
		t.Error("a request with a body was sent through SSPI")
	}
}

// Native rights under Wine: ADMIN$ of a host with no SMB server fails with a Win32 code, and
// the Administrators group can be listed.
func TestNativeRights(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := nativeRights{}.StatAdminShare(ctx, "127.0.0.1")
	if err == nil {
		t.Fatal(`\\127.0.0.1\ADMIN$ opened with no SMB server`)
	}
	var w interface{ Win32Code() uint32 }
	if errors.As(err, &w) {
		if w.Win32Code() == 0 || err.Error() == "" || errors.Unwrap(err) == nil {
			t.Errorf("Win32 error %v with code %d", err, w.Win32Code())
		}
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Logf("ADMIN$: %v (no Win32 code)", err)
	}
	members, err := nativeRights{}.LocalAdministrators()
	t.Logf("Administrators: %v, %v", members, err)
	if err == nil && len(members) == 0 {
		t.Log("the Administrators group has no members under Wine")
	}
}

// ntlmChallenge is a minimal NTLM CHALLENGE message: Unicode, NTLM, a fixed server challenge,
// empty target name and target info.
func ntlmChallenge() []byte {
	b := append([]byte("NTLMSSP\x00"), 2, 0, 0, 0)
	b = binary.LittleEndian.AppendUint64(b, 48<<32) // target name: empty, at offset 48
	b = binary.LittleEndian.AppendUint32(b, 0x00008205)
	b = append(b, 1, 2, 3, 4, 5, 6, 7, 8) // server challenge
	b = append(b, make([]byte, 8)...)
	b = binary.LittleEndian.AppendUint64(b, 48<<32) // target info: empty, at offset 48
	return b
}
