package proxyconf

import (
	"reflect"
	"runtime"
	"testing"

	"github.com/cmpreflight/cmpreflight/facts"
)

func TestParseWinINET(t *testing.T) {
	one, zero := uint32(1), uint32(0)
	tests := []struct {
		name       string
		found      bool
		v          WinINETValues
		enabled    bool
		override   []string
		wantProxy  string
		wantBypass []string
	}{
		{name: "no key", found: false},
		{name: "key without values", found: true},
		{name: "server but ProxyEnable off", found: true, v: WinINETValues{ProxyEnable: &zero, ProxyServer: "proxy.contoso.com:8080", ProxyOverride: "<local>"},
			override: []string{"<local>"}},
		{name: "server without ProxyEnable", found: true, v: WinINETValues{ProxyServer: "proxy.contoso.com:8080"}},
		{name: "enabled", found: true, v: WinINETValues{ProxyEnable: &one, ProxyServer: " proxy.contoso.com:8080 ", ProxyOverride: "*.contoso.com; <local>;;10.*"},
			enabled: true, override: []string{"*.contoso.com", "<local>", "10.*"}, wantProxy: "proxy.contoso.com:8080", wantBypass: []string{"*.contoso.com", "<local>", "10.*"}},
		{name: "enabled without a server", found: true, v: WinINETValues{ProxyEnable: &one}, enabled: true},
		{name: "per scheme", found: true, v: WinINETValues{ProxyEnable: &one, ProxyServer: "http=a:80;https=b:443"},
			enabled: true, wantProxy: "http=a:80;https=b:443"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := ParseWinINET(tc.found, tc.v)
			if s.KeyFound != tc.found || s.Enabled != tc.enabled || !reflect.DeepEqual(s.Override, tc.override) {
				t.Errorf("parsed %+v", s)
			}
			w := s.AsWinHTTP()
			if w.Proxy != tc.wantProxy || w.Direct != (tc.wantProxy == "") || !reflect.DeepEqual(w.Bypass, tc.wantBypass) {
				t.Errorf("as WinHTTP %+v, want proxy %q bypass %v", w, tc.wantProxy, tc.wantBypass)
			}
		})
	}
}

// The WinHTTP form of an enabled setting routes through Resolve like WinHTTP's own.
func TestWinINETRoutesLikeWinHTTP(t *testing.T) {
	one := uint32(1)
	w := ParseWinINET(true, WinINETValues{ProxyEnable: &one, ProxyServer: "proxy.contoso.com:8080", ProxyOverride: "*.contoso.com"}).AsWinHTTP()
	s, err := Resolve(Options{WinHTTP: func() (*facts.WinHTTPSetting, error) { return w, nil }})
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := s.For("go.microsoft.com", 443, ""); p == nil || p.Host != "proxy.contoso.com:8080" {
		t.Errorf("go.microsoft.com via %v", p)
	}
	if p, by := s.For("cm.contoso.com", 443, ""); p != nil || by != "winhttp:*.contoso.com" {
		t.Errorf("cm.contoso.com via %v (%s)", p, by)
	}
}

func TestSystemWinINETOffWindows(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the Windows reader is tested in wininet_windows_test.go")
	}
	if _, err := SystemWinINET().LocalSystemWinINET(); err != ErrNotWindows {
		t.Errorf("err %v, want ErrNotWindows", err)
	}
}
