//go:build windows

package netprobe

import (
	"net"
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// systemDNSServers lists the DNS servers of the adapters that are up, in adapter order.
func systemDNSServers() ([]string, error) {
	size := uint32(15000)
	for i := 0; i < 3; i++ {
		buf := make([]byte, size)
		aa := (*windows.IpAdapterAddresses)(unsafe.Pointer(&buf[0]))
		err := windows.GetAdaptersAddresses(windows.AF_UNSPEC, windows.GAA_FLAG_SKIP_ANYCAST|windows.GAA_FLAG_SKIP_MULTICAST, 0, aa, &size)
		if err == windows.ERROR_BUFFER_OVERFLOW {
			continue
		}
		if err != nil {
			return nil, os.NewSyscallError("GetAdaptersAddresses", err)
		}
		return dnsServersOf(aa), nil
	}
	return nil, os.NewSyscallError("GetAdaptersAddresses", windows.ERROR_BUFFER_OVERFLOW)
}

func dnsServersOf(aa *windows.IpAdapterAddresses) []string {
	seen := map[string]bool{}
	var out []string
	for ; aa != nil; aa = aa.Next {
		if aa.OperStatus != windows.IfOperStatusUp {
			continue
		}
		for ds := aa.FirstDnsServerAddress; ds != nil; ds = ds.Next {
			ip := ds.Address.IP()
			if ip == nil || ip.IsUnspecified() {
				continue
			}
			// fec0:0:0:ffff::/48 are site-local placeholders Windows lists when nothing is set.
			if ip.To4() == nil && ip[0] == 0xfe && ip[1] == 0xc0 {
				continue
			}
			s := net.JoinHostPort(ip.String(), "53")
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}
