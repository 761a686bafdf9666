package site

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	smb2 "github.com/hirochachacha/go-smb2"
)

// fakeHost answers the Windows-only questions with injected facts.
type fakeHost struct {
	statErr   error
	members   []string
	groupErr  error
	statCalls int
}

func (f *fakeHost) StatAdminShare(_ context.Context, host string) error {
	f.statCalls++
	return f.statErr
}

func (f *fakeHost) LocalAdministrators() ([]string, error) { return f.members, f.groupErr }

type fakeWin32 uint32

func (e fakeWin32) Error() string     { return fmt.Sprintf("win32 error %d", uint32(e)) }
func (e fakeWin32) Win32Code() uint32 { return uint32(e) }

func TestCheckRightsLocalRoleIsSkipped(t *testing.T) {
	fh := &fakeHost{}
	for _, o := range []RightsOptions{
		{Host: "CM01.contoso.com", SiteServer: "cm01", Account: "x", Password: "p", host: fh},
		{Host: "scp01", Local: true, host: fh},
	} {
		r := CheckRights(context.Background(), o)
		if r.Port445 != Skipped || r.Port135 != Skipped || r.AdminShare != Skipped || !strings.Contains(r.SkipReason, "local to the site server") {
			t.Errorf("%+v", r)
		}
		for _, c := range RightsChecks(r) {
			if c.Status != "skip" || c.Message == "" {
				t.Errorf("check %+v, want skip with the reason", c)
			}
		}
	}
	if fh.statCalls != 0 {
		t.Error("a skipped check opened the share")
	}
}

// openPort returns a listening loopback port for the port checks.
func openPort(t *testing.T) int {
	t.Helper()
	return rpcStandIn(t)
}

func TestCheckRightsCurrentIdentity(t *testing.T) {
	port := openPort(t)
	cases := []struct {
		name    string
		statErr error
		want    string
	}{
		{"admin", nil, ShareOK},
		{"not an admin", fakeWin32(5), ShareAccessDenied},
		{"refused identity", fakeWin32(1326), ShareLogonFailure},
		{"no network logon right", fakeWin32(1385), ShareLogonFailure},
		{"no such share", fakeWin32(67), ShareUnreachable},
		{"bad net path", fakeWin32(53), ShareUnreachable},
		{"other", fakeWin32(31), ShareError},
		{"timeout", context.DeadlineExceeded, ShareUnreachable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The OS path only opens shares on 445; the port checks run on the given ports,
			// so use an open port for RPC and let SMB be 445 (its probe result is not asserted).
			fh := &fakeHost{statErr: c.statErr}
			r := CheckRights(context.Background(), RightsOptions{Host: "127.0.0.1", RPCPort: port, Timeout: time.Second, host: fh})
			if r.AdminShare != c.want || r.Method != "os" || fh.statCalls != 1 {
				t.Errorf("share=%s method=%s calls=%d detail=%q; want %s", r.AdminShare, r.Method, fh.statCalls, r.Detail, c.want)
			}
			if r.Port135 != PortOpen {
				t.Errorf("135 = %s", r.Port135)
			}
		})
	}
}

func TestCheckRightsCurrentIdentityNeedsWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("on Windows the operating system answers")
	}
	r := CheckRights(context.Background(), RightsOptions{Host: "127.0.0.1", SMBPort: openPort(t), RPCPort: openPort(t), Timeout: time.Second})
	if r.AdminShare != Skipped || r.SkipReason == "" {
		t.Errorf("%+v", r)
	}
	r = CheckRights(context.Background(), RightsOptions{Host: "127.0.0.1", RPCPort: openPort(t), Timeout: time.Second})
	if r.AdminShare != Skipped || !strings.Contains(r.SkipReason, "needs Windows") {
		t.Errorf("%+v", r)
	}
}

func TestCheckRightsLocalAdministrators(t *testing.T) {
	cases := []struct {
		name    string
		members []string
		err     error
		want    string
		status  string
	}{
		{"member", []string{`SCPHOST\Administrator`, `CONTOSO\Domain Admins`, `CONTOSO\CM01$`}, nil, AdminMember, "pass"},
		{"not member", []string{`SCPHOST\Administrator`, `CONTOSO\Domain Admins`}, nil, AdminNotMember, "fail"},
		{"error", nil, errors.New("access denied"), AdminError, "fail"},
		{"not windows", nil, errNotWindows, Skipped, "skip"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := CheckRights(context.Background(), RightsOptions{SiteServerAccount: `contoso.com\CM01$`,
				host: &fakeHost{members: c.members, groupErr: c.err}})
			if r.LocalAdmins != c.want || r.SiteServerAccount != `contoso.com\CM01$` {
				t.Errorf("localAdmins=%q, want %q", r.LocalAdmins, c.want)
			}
			cs := RightsChecks(r)
			if len(cs) != 1 || cs[0].ID != "site/local-admin" || cs[0].Status != c.status {
				t.Errorf("checks = %+v", cs)
			}
		})
	}
}

func TestCheckRightsRedactsThePassword(t *testing.T) {
	const pw = "hunter2-very-secret"
	fh := &fakeHost{groupErr: errors.New("bad password " + pw)}
	r := CheckRights(context.Background(), RightsOptions{SiteServerAccount: `C\X$`, Password: pw, host: fh})
	assertNoSecret(t, r, pw)
	if !strings.Contains(r.Detail, "[redacted]") {
		t.Errorf("detail = %q", r.Detail)
	}
}

func TestIsMemberOf(t *testing.T) {
	members := []string{`SCPHOST\Administrator`, `CONTOSO\CM01$`, `CONTOSO\svc-cminstall`}
	cases := []struct {
		account string
		want    bool
	}{
		{`CONTOSO\CM01$`, true},
		{`contoso\cm01$`, true},
		{`contoso.com\CM01$`, true},
		{`CM01$@contoso.com`, true},
		{`CM01$`, true},
		{`FABRIKAM\CM01$`, false},
		{`CONTOSO\CM01`, false}, // a user named CM01 is not the computer account
		{`CONTOSO\CM02$`, false},
		{``, false},
		{`svc-cminstall@contoso.com`, true},
	}
	for _, c := range cases {
		if got := IsMemberOf(members, c.account); got != c.want {
			t.Errorf("IsMemberOf(%q) = %v, want %v", c.account, got, c.want)
		}
	}
}

func TestShareOutcomeMapping(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{nil, ShareOK},
		{&smb2.ResponseError{Code: 0xC000006D}, ShareLogonFailure},
		{fmt.Errorf("session: %w", &smb2.ResponseError{Code: 0xC0000072}), ShareLogonFailure},
		{&smb2.ResponseError{Code: 0xC000015B}, ShareLogonFailure},
		{&smb2.ResponseError{Code: 0xC0000022}, ShareAccessDenied},
		{os.ErrPermission, ShareAccessDenied},
		{&smb2.ResponseError{Code: 0xC00000CC}, ShareUnreachable},
		{&smb2.ResponseError{Code: 0xC0000001}, ShareError},
		{&smb2.TransportError{Err: errors.New("EOF")}, ShareUnreachable},
		{&net.OpError{Op: "dial", Err: errors.New("refused")}, ShareUnreachable},
		{&smb2.InvalidResponseError{Message: "x"}, ShareError},
		{fakeWin32(1909), ShareLogonFailure},
	}
	for _, c := range cases {
		if got, _ := shareOutcome(c.err); got != c.want {
			t.Errorf("shareOutcome(%v) = %s, want %s", c.err, got, c.want)
		}
	}
}

func TestPortOutcome(t *testing.T) {
	closed := freePort(t)
	if got, _ := probePort(context.Background(), "127.0.0.1", closed, time.Second); got != PortClosed {
		t.Errorf("closed port: %s", got)
	}
	if got, _ := probePort(context.Background(), "127.0.0.1", openPort(t), time.Second); got != PortOpen {
		t.Errorf("open port: %s", got)
	}
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	if got, _ := probePort(expired, "127.0.0.1", closed, time.Second); got != PortTimeout {
		t.Errorf("expired deadline: %s", got)
	}
	if got := portOutcome(&net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}); got != PortDNS {
		t.Errorf("dns error: %s", got)
	}
}

func TestSplitAccount(t *testing.T) {
	for in, want := range map[string][2]string{
		`CONTOSO\svc`:     {"CONTOSO", "svc"},
		`svc@contoso.com`: {"", "svc@contoso.com"},
		`svc`:             {"", "svc"},
	} {
		if d, u := SplitAccount(in); d != want[0] || u != want[1] {
			t.Errorf("SplitAccount(%q) = %q, %q", in, d, u)
		}
	}
}
