//go:build !linux

package lab

import (
	"errors"
	"os/exec"
	"testing"
)

// Netns is a Linux network namespace; elsewhere tests that need one skip.
type Netns struct{ Name string }

// NewNetns skips (or fails under CI=true): network namespaces are Linux-only.
func NewNetns(t testing.TB, prefix string) *Netns {
	skipOrFail(t, "network namespaces are Linux-only")
	return nil
}

// Do is never reached off Linux.
func (n *Netns) Do(fn func() error) error { return errors.New("network namespaces are Linux-only") }

// Command is never reached off Linux.
func (n *Netns) Command(name string, args ...string) *exec.Cmd { return exec.Command(name, args...) }
