//go:build windows

package proxyconf

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

// SystemWinINET returns the reader of this machine's registry.
func SystemWinINET() WinINETReader { return registryWinINET{} }

type registryWinINET struct{}

// LocalSystemWinINET reads HKU\S-1-5-18\...\Internet Settings: ProxyEnable, ProxyServer,
// ProxyOverride and AutoConfigURL. A missing key or value is "not set", not an error.
func (registryWinINET) LocalSystemWinINET() (*WinINETSetting, error) {
	k, err := registry.OpenKey(registry.USERS, LocalSystemInternetSettings, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return ParseWinINET(false, WinINETValues{}), nil
	}
	if err != nil {
		return nil, fmt.Errorf(`WinINET proxy setting: open HKU\%s: %w`, LocalSystemInternetSettings, err)
	}
	defer k.Close()
	var v WinINETValues
	if n, typ, err := k.GetIntegerValue("ProxyEnable"); err == nil && typ == registry.DWORD {
		u := uint32(n)
		v.ProxyEnable = &u
	} else if err != nil && !errors.Is(err, registry.ErrNotExist) {
		return nil, fmt.Errorf(`WinINET proxy setting: read HKU\%s\ProxyEnable: %w`, LocalSystemInternetSettings, err)
	}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"ProxyServer", &v.ProxyServer}, {"ProxyOverride", &v.ProxyOverride}, {"AutoConfigURL", &v.AutoConfigURL}} {
		s, _, err := k.GetStringValue(f.name)
		if err != nil && !errors.Is(err, registry.ErrNotExist) {
			return nil, fmt.Errorf(`WinINET proxy setting: read HKU\%s\%s: %w`, LocalSystemInternetSettings, f.name, err)
		}
		*f.dst = s
	}
	return ParseWinINET(true, v), nil
}
