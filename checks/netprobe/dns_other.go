//go:build !windows

package netprobe

import (
	"net"
	"strconv"

	"github.com/miekg/dns"
)

// systemDNSServers reads /etc/resolv.conf.
func systemDNSServers() ([]string, error) {
	cfg, err := dns.ClientConfigFromFile("/etc/resolv.conf")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range cfg.Servers {
		out = append(out, net.JoinHostPort(s, strconv.Itoa(53)))
	}
	return out, nil
}
