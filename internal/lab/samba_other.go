//go:build !linux

package lab

import "testing"

// Samba is the smbd lab; it runs only on Linux.
type Samba struct {
	Port                      int
	Admin, Other              string
	Password, Workgroup, Conf string
}

// StartSamba skips (or fails under CI=true): the Samba lab needs Linux.
func StartSamba(t testing.TB) *Samba {
	t.Helper()
	skipOrFail(t, "the Samba lab runs only on Linux")
	return nil
}
