//go:build windows

package proxyconf

import (
	"encoding/binary"
	"reflect"
	"testing"

	"golang.org/x/sys/windows/registry"

	"github.com/cmpreflight/cmpreflight/internal/wintest"
)

// winHTTPBlob builds a WinHttpSettings value the way `netsh winhttp set proxy` writes it.
func winHTTPBlob(flags uint32, proxy, bypass string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, 0x28)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint32(b, flags)
	for _, s := range []string{proxy, bypass} {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return binary.LittleEndian.AppendUint32(b, 0)
}

func TestReadWinHTTPFromTheRegistry(t *testing.T) {
	t.Run("no value is direct", func(t *testing.T) {
		wintest.DeleteValue(t, registry.LOCAL_MACHINE, winHTTPKey, "WinHttpSettings")
		s, err := ReadWinHTTP()
		if err != nil || !s.Direct || s.Proxy != "" {
			t.Errorf("%+v, %v; want direct", s, err)
		}
	})
	t.Run("proxy and bypass list", func(t *testing.T) {
		blob := winHTTPBlob(flagDirect|flagProxy, "proxy.lab.test:3128", "*.contoso.com;<local>")
		wintest.SetValue(t, registry.LOCAL_MACHINE, winHTTPKey, "WinHttpSettings", func(k registry.Key) error {
			return k.SetBinaryValue("WinHttpSettings", blob)
		})
		s, err := ReadWinHTTP()
		if err != nil || s.Direct || s.Proxy != "proxy.lab.test:3128" || !reflect.DeepEqual(s.Bypass, []string{"*.contoso.com", "<local>"}) {
			t.Errorf("%+v, %v", s, err)
		}
	})
	t.Run("a value of the wrong type is an error", func(t *testing.T) {
		wintest.SetValue(t, registry.LOCAL_MACHINE, winHTTPKey, "WinHttpSettings", func(k registry.Key) error {
			return k.SetStringValue("WinHttpSettings", "proxy.lab.test:3128")
		})
		if s, err := ReadWinHTTP(); err == nil {
			t.Errorf("%+v, want an error naming the value", s)
		}
	})
}
