//go:build windows

package machinename

import (
	"os"

	"golang.org/x/sys/windows"
)

type systemSource struct{}

// MachineName is the DNS fully qualified name (host.domain), the name ConfigMgr shows for a
// site system; a workgroup machine has no domain and gets its host name.
func (systemSource) MachineName() (string, error) {
	n := uint32(256)
	for range 3 {
		buf := make([]uint16, n)
		err := windows.GetComputerNameEx(windows.ComputerNameDnsFullyQualified, &buf[0], &n)
		if err == windows.ERROR_MORE_DATA {
			continue
		}
		if err != nil {
			return "", os.NewSyscallError("GetComputerNameEx", err)
		}
		return windows.UTF16ToString(buf[:n]), nil
	}
	return "", os.NewSyscallError("GetComputerNameEx", windows.ERROR_MORE_DATA)
}
