package lab

import "testing"

var (
	ntlmAuthBin = "/usr/bin/ntlm_auth"
	winbinddBin = "/usr/sbin/winbindd"
)

type winbindLab struct{}

func newWinbindLab(t testing.TB, dir string, users map[string]string) *winbindLab {
	t.Skip("real NTLM not implemented yet")
	return nil
}

func (w *winbindLab) script(exec string) string { return "" }
func (w *winbindLab) helperCommand() string     { return "" }
func (w *winbindLab) logs() string              { return "" }
