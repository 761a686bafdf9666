package sspierr

import (
	"fmt"
	"syscall"
	"testing"
)

func TestName(t *testing.T) {
	if got := Name(TargetUnknown); got != "SEC_E_TARGET_UNKNOWN" {
		t.Errorf("Name(TargetUnknown) = %q", got)
	}
	if got := Name(0x80091234); got != "SSPI status 0x80091234" {
		t.Errorf("unknown status: %q", got)
	}
	if got := Describe(fmt.Errorf("wrapped: %w", syscall.Errno(NoCredentials))); got != "SEC_E_NO_CREDENTIALS" {
		t.Errorf("Describe = %q", got)
	}
	if got := Describe(fmt.Errorf("plain")); got != "plain" {
		t.Errorf("Describe(plain) = %q", got)
	}
}
