//go:build windows

package proxyconf

import (
	"reflect"
	"testing"

	"golang.org/x/sys/windows/registry"

	"github.com/cmpreflight/cmpreflight/internal/wintest"
)

func TestLocalSystemWinINETFromTheRegistry(t *testing.T) {
	set := func(t *testing.T, enable uint32, server, override string) {
		wintest.SetValue(t, registry.USERS, LocalSystemInternetSettings, "ProxyEnable", func(k registry.Key) error { return k.SetDWordValue("ProxyEnable", enable) })
		wintest.SetValue(t, registry.USERS, LocalSystemInternetSettings, "ProxyServer", func(k registry.Key) error { return k.SetStringValue("ProxyServer", server) })
		wintest.SetValue(t, registry.USERS, LocalSystemInternetSettings, "ProxyOverride", func(k registry.Key) error { return k.SetStringValue("ProxyOverride", override) })
	}
	t.Run("enabled", func(t *testing.T) {
		set(t, 1, "proxy.lab.test:3128", "*.contoso.com;<local>")
		s, err := SystemWinINET().LocalSystemWinINET()
		if err != nil || !s.KeyFound || !s.Enabled || s.Server != "proxy.lab.test:3128" || !reflect.DeepEqual(s.Override, []string{"*.contoso.com", "<local>"}) {
			t.Fatalf("%+v, %v", s, err)
		}
		if w := s.AsWinHTTP(); w.Direct || w.Proxy != "proxy.lab.test:3128" {
			t.Errorf("as WinHTTP %+v", w)
		}
	})
	t.Run("switched off", func(t *testing.T) {
		set(t, 0, "proxy.lab.test:3128", "")
		s, err := SystemWinINET().LocalSystemWinINET()
		if err != nil || !s.KeyFound || s.Enabled || s.Server != "proxy.lab.test:3128" || !s.AsWinHTTP().Direct {
			t.Errorf("%+v, %v", s, err)
		}
	})
	t.Run("no values", func(t *testing.T) {
		for _, n := range []string{"ProxyEnable", "ProxyServer", "ProxyOverride", "AutoConfigURL"} {
			wintest.DeleteValue(t, registry.USERS, LocalSystemInternetSettings, n)
		}
		s, err := SystemWinINET().LocalSystemWinINET()
		if err != nil || s.Enabled || s.Server != "" || !s.AsWinHTTP().Direct {
			t.Errorf("%+v, %v", s, err)
		}
	})
	t.Run("a value of the wrong type is an error", func(t *testing.T) {
		wintest.SetValue(t, registry.USERS, LocalSystemInternetSettings, "ProxyServer", func(k registry.Key) error { return k.SetDWordValue("ProxyServer", 1) })
		if s, err := SystemWinINET().LocalSystemWinINET(); err == nil {
			t.Errorf("%+v, want an error naming ProxyServer", s)
		}
	})
}
