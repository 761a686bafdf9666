//go:build windows

package proxyconf

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"

	"github.com/cmpreflight/cmpreflight/facts"
)

const winHTTPKey = `Software\Microsoft\Windows\CurrentVersion\Internet Settings\Connections`

// ReadWinHTTP reads the machine's WinHTTP proxy setting, what services running as SYSTEM
// (the service connection point among them) use. A missing value means WinHTTP was never
// configured: direct access, as `netsh winhttp show proxy` reports it.
func ReadWinHTTP() (*facts.WinHTTPSetting, error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, winHTTPKey, registry.QUERY_VALUE|registry.WOW64_64KEY)
	if errors.Is(err, registry.ErrNotExist) {
		return &facts.WinHTTPSetting{Direct: true}, nil
	}
	if err != nil {
		return nil, fmt.Errorf(`WinHTTP proxy setting: open HKLM\%s: %w`, winHTTPKey, err)
	}
	defer k.Close()
	b, _, err := k.GetBinaryValue("WinHttpSettings")
	if errors.Is(err, registry.ErrNotExist) {
		return &facts.WinHTTPSetting{Direct: true}, nil
	}
	if err != nil {
		return nil, fmt.Errorf(`WinHTTP proxy setting: read HKLM\%s\WinHttpSettings: %w`, winHTTPKey, err)
	}
	return ParseWinHTTPSettings(b)
}
