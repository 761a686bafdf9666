//go:build !windows

package machinename

import "os"

type systemSource struct{}

// MachineName is the kernel's host name (as `hostname` prints it).
func (systemSource) MachineName() (string, error) { return os.Hostname() }
