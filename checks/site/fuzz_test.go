package site

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoadInventoryJSON feeds arbitrary bytes to the decoder of every class: it must return
// an error or instances, never panic, and its errors must locate syntax problems.
func FuzzLoadInventoryJSON(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.json")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"value": [{"SiteCode": "P01", "Type": 2}]}`))
	f.Add([]byte(`[{"RoleName": "SMS Dmp Connector", "Props": ["@{PropertyName=OfflineMode; Value=1; Value1=; Value2=}"]}]`))
	f.Add([]byte{0xFF, 0xFE, '[', 0, ']', 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var sites []Site
		var res []SystemResource
		var uses []SysResUse
		errs := []error{DecodeClass(data, &sites), DecodeClass(data, &res), DecodeClass(data, &uses)}
		for _, err := range errs {
			if err != nil && strings.Contains(err.Error(), "line 0") {
				t.Fatalf("bad location: %v", err)
			}
		}
		if errs[0] == nil && len(sites) > 0 {
			inv := &Inventory{Sites: sites, Resources: res, RoleUses: uses}
			_, cs := Analyze(inv, Options{SCPServer: "cm01.contoso.com"})
			if len(cs) == 0 {
				t.Fatal("no checks")
			}
		}
	})
}
