package proxyconf

import (
	"strings"

	"github.com/cmpreflight/cmpreflight/facts"
)

// LocalSystemInternetSettings is the WinINET ("Internet Options") key of the Local System
// account under HKEY_USERS. Services running as SYSTEM that use WinINET rather than WinHTTP
// (the management point's components among them) take their proxy from here, not from the
// interactive user's HKCU.
const LocalSystemInternetSettings = `S-1-5-18\Software\Microsoft\Windows\CurrentVersion\Internet Settings`

// WinINETValues are the raw values of an Internet Settings key. Nil or empty means absent.
type WinINETValues struct {
	ProxyEnable   *uint32 // REG_DWORD; non-zero turns ProxyServer on
	ProxyServer   string  // REG_SZ: host:port or http=a:80;https=b:443
	ProxyOverride string  // REG_SZ: bypass list separated by ';', may hold <local>
	AutoConfigURL string  // REG_SZ: a PAC URL (not evaluated)
}

// WinINETSetting is a decoded WinINET proxy setting.
type WinINETSetting struct {
	// KeyFound is false when the key does not exist: WinINET was never configured for the
	// account (direct access).
	KeyFound bool
	Enabled  bool
	// Server and Override are kept as written, whether or not Enabled is set, so a report can
	// show a proxy that is configured but switched off.
	Server        string
	Override      []string
	AutoConfigURL string
}

// WinINETReader reads an account's WinINET proxy setting. SystemWinINET returns the one that
// reads Local System's key from the registry; tests inject their own.
type WinINETReader interface {
	LocalSystemWinINET() (*WinINETSetting, error)
}

// ParseWinINET decodes the values of an Internet Settings key. keyFound false (the key does
// not exist) gives a disabled setting.
func ParseWinINET(keyFound bool, v WinINETValues) *WinINETSetting {
	s := &WinINETSetting{KeyFound: keyFound}
	if !keyFound {
		return s
	}
	s.Enabled = v.ProxyEnable != nil && *v.ProxyEnable != 0
	s.Server = strings.TrimSpace(v.ProxyServer)
	s.Override = splitList(v.ProxyOverride, ";")
	s.AutoConfigURL = strings.TrimSpace(v.AutoConfigURL)
	return s
}

// AsWinHTTP expresses the setting in the WinHTTP form Resolve already routes by (the proxy
// list and bypass list have the same syntax in both APIs): the proxy only when ProxyEnable is
// on and a server is named, otherwise direct.
func (s *WinINETSetting) AsWinHTTP() *facts.WinHTTPSetting {
	w := &facts.WinHTTPSetting{AutoConfigURL: s.AutoConfigURL}
	if s.Enabled && s.Server != "" {
		w.Proxy = s.Server
		w.Bypass = append([]string(nil), s.Override...)
	}
	w.Direct = w.Proxy == ""
	return w
}
