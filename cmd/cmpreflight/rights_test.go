//go:build linux

package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cmpreflight/cmpreflight/internal/lab"
)

// The site issue's rights acceptance through the binary: against real smbd, the installation
// account with its password from the environment opens ADMIN$, a non-admin is access-denied, a
// wrong password is a logon failure, and the password is in no output.
func TestRemoteRightsThroughTheBinary(t *testing.T) {
	smb := lab.StartSamba(t)
	inv := filepath.Join("..", "..", "checks", "site", "testdata", "standalone")
	cases := []struct {
		account, password, want, rule string
	}{
		{smb.Workgroup + `\` + smb.Admin, smb.Password, "ok", ""},
		{smb.Other, smb.Password, "access-denied", "scp.remote_rights"},
		{smb.Admin, smb.Password + "x", "logon-failure", "scp.remote_rights"},
	}
	for _, c := range cases {
		r := runBin(t, []string{"CMPREFLIGHT_INSTALL_PASSWORD=" + c.password},
			"run", "--checks", "site", "--inventory", inv, "--scp-server", "127.0.0.1", "--site-server", "CM01.contoso.com",
			"--install-account", c.account, "--smb-port", strconv.Itoa(smb.Port),
			// smbd stands in for the endpoint mapper too: the 135 check is a TCP connect.
			"--rpc-port", strconv.Itoa(smb.Port), "--timeout", "5s", "--quiet")
		if r.doc == nil || r.doc.Site == nil || r.doc.Site.Rights == nil {
			t.Fatalf("%s: no rights facts: exit %d %s", c.account, r.code, r.stderr)
		}
		if got := r.doc.Site.Rights.AdminShare; got != c.want {
			t.Errorf("%s: admin share %q (%s), want %q", c.account, got, r.doc.Site.Rights.Detail, c.want)
		}
		denied := false
		for _, d := range r.doc.Verdict.Deny {
			denied = denied || d.Rule == c.rule
		}
		if c.rule != "" && !denied {
			t.Errorf("%s: no %s deny: %+v", c.account, c.rule, r.doc.Verdict.Deny)
		}
		if strings.Contains(r.stdout+r.stderr+string(r.raw), c.password) {
			t.Errorf("%s: the installation account's password appears in the output", c.account)
		}
	}
}
