package site

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

func TestLoadInventoryShapesAndEncodings(t *testing.T) {
	cases := []struct {
		dir                  string
		sites, res, roleUses int
	}{
		{"standalone", 1, 7, 2},   // OData objects, UTF-8
		{"cas-child", 4, 7, 3},    // bare arrays, UTF-8 with BOM
		{"existing-scp", 1, 4, 3}, // UTF-16 LE with BOM
		{"proxy-creds", 1, 3, 2},  // a single object (PowerShell unwraps one item)
		{"expansion", 2, 4, 3},
		{"offline-role", 1, 3, 2}, // Props as "@{...}" strings
	}
	for _, c := range cases {
		t.Run(c.dir, func(t *testing.T) {
			inv, err := LoadInventory(filepath.Join("testdata", c.dir))
			if err != nil {
				t.Fatal(err)
			}
			if len(inv.Sites) != c.sites || len(inv.Resources) != c.res || len(inv.RoleUses) != c.roleUses {
				t.Errorf("got %d sites, %d resources, %d role uses; want %d, %d, %d",
					len(inv.Sites), len(inv.Resources), len(inv.RoleUses), c.sites, c.res, c.roleUses)
			}
			if inv.Source != "inventory" {
				t.Errorf("source = %q", inv.Source)
			}
			for _, r := range inv.RoleUses {
				if len(r.Props) == 0 || r.Props[0].PropertyName == "" {
					t.Errorf("%s on %s: props not decoded: %+v", r.RoleName, r.Server(), r.Props)
				}
			}
		})
	}
}

func TestOfflineRolePSStringProps(t *testing.T) {
	inv, err := LoadInventory("testdata/offline-role")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range inv.RoleUses {
		if r.RoleName == RoleSCP {
			p, ok := r.Prop("offlinemode")
			if !ok || p.Value != 1 {
				t.Fatalf("OfflineMode = %+v, %v", p, ok)
			}
			return
		}
	}
	t.Fatal("no SCP role use")
}

func utf16le(s string) []byte {
	out := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		out = append(out, byte(u), byte(u>>8))
	}
	return out
}

func TestDecodeClassErrors(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"syntax", []byte("[\n  {\"SiteCode\": \"P01\",\n   \"Type\": 2,,\n  }\n]"), "line 3, column"},
		{"syntax utf16", utf16le("[\r\n {\"SiteCode\": \"P01\"\r\n {]"), "line 3, column 2"},
		{"truncated", []byte("{\"value\": [{\"SiteCode\": \"P01\""), "unexpected end"},
		{"type", []byte("{\"value\": [\n{\"SiteCode\": 5}]}"), "line 2, column"},
		{"type in single object", []byte("{\"SiteCode\": \"P01\",\n \"SiteName\": []}"), "line 2"},
		{"value not array", []byte(`{"@odata.context": "x", "value": 3}`), "not an array"},
		{"trailing", []byte("[]\n[]"), "line 2, column 1: unexpected data"},
		{"scalar", []byte(`"x"`), "want a JSON object or array"},
		{"binary", []byte{0x80, 0x81, 0x82, 0x83}, "not UTF-8"},
		{"bad prop string", []byte(`[{"RoleName": "x", "Props": ["nope"]}]`), "PowerShell"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var sites []Site
			var uses []SysResUse
			var err error
			if strings.Contains(c.name, "prop") {
				err = DecodeClass(c.data, &uses)
			} else {
				err = DecodeClass(c.data, &sites)
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestDecodeClassAcceptsEmptyAndNull(t *testing.T) {
	for _, in := range []string{"", "  \r\n", "null", `{"value": []}`, `{"value": null}`, "[]"} {
		var sites []Site
		if err := DecodeClass([]byte(in), &sites); err != nil || len(sites) != 0 {
			t.Errorf("%q: %v %v", in, sites, err)
		}
	}
	// Numbers as strings (some serializers) and nulls.
	var sites []Site
	if err := DecodeClass([]byte(`[{"SiteCode":"P01","Type":"2","Mode":null,"BuildNumber":9128.0}]`), &sites); err != nil {
		t.Fatal(err)
	}
	if sites[0].Type != 2 || sites[0].BuildNumber != 9128 {
		t.Errorf("%+v", sites[0])
	}
}

func TestLoadInventoryErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadInventory(dir); err == nil || !strings.Contains(err.Error(), "SMS_Site.json") {
		t.Fatalf("missing file: %v", err)
	}
	write := func(name, s string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("SMS_Site.json", `[{"SiteCode":"P01","Type":2,"ServerName":"CM01"}]`)
	write("SMS_SystemResourceList.json", "[\n{\"RoleName\": \"x\",}\n]")
	write("SMS_SCI_SysResUse.json", `[]`)
	_, err := LoadInventory(dir)
	if err == nil || !strings.Contains(err.Error(), "SMS_SystemResourceList.json") || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("syntax error: %v", err)
	}
	write("SMS_SystemResourceList.json", `[{"RoleName":"SMS Site Server","ServerName":"CM01"}]`)
	write("SMS_SCI_SysResUse.json", `[{"RoleName":"SMS Site Server","NetworkOSPath":"\\\\CM01"}]`)
	if _, err := LoadInventory(dir); err != nil {
		t.Fatalf("complete export: %v", err)
	}
	write("SMS_Site.json", `{"value": []}`)
	if _, err := LoadInventory(dir); err == nil || !strings.Contains(err.Error(), "no SMS_Site objects") || !strings.Contains(err.Error(), "SMS_Site.json") {
		t.Fatalf("no site: %v", err)
	}
	write("SMS_Site.json", `[{"SiteCode":"P01","Type":2,"ServerName":"CM01"}]`)
	// An export that holds null, nothing or an empty list proves nothing (it would read as
	// "no service connection point yet"): refused, naming the file.
	for _, body := range []string{"null", "", "  \n", "[]", `{"value": null}`, `{"value": []}`} {
		write("SMS_SystemResourceList.json", body)
		_, err := LoadInventory(dir)
		if err == nil || !strings.Contains(err.Error(), "SMS_SystemResourceList.json") {
			t.Errorf("resources %q: %v; want refused naming the file", body, err)
		}
	}
}

func TestSysResUsePropsShapes(t *testing.T) {
	cases := map[string]string{
		"array":        `[{"RoleName":"r","Props":[{"PropertyName":"UseProxy","Value":1}]}]`,
		"ps5 wrapping": `[{"RoleName":"r","Props":{"value":[{"PropertyName":"UseProxy","Value":1}],"Count":1}}]`,
		"single":       `[{"RoleName":"r","Props":{"PropertyName":"UseProxy","Value":1}}]`,
		"single ps":    `[{"RoleName":"r","Props":"@{PropertyName=UseProxy; Value=1; Value1=; Value2=}"}]`,
	}
	for name, in := range cases {
		var uses []SysResUse
		if err := DecodeClass([]byte(in), &uses); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if p, ok := uses[0].Prop("UseProxy"); !ok || p.Value != 1 || uses[0].RoleName != "r" {
			t.Errorf("%s: %+v", name, uses)
		}
	}
	var uses []SysResUse
	if err := DecodeClass([]byte(`[{"RoleName":"r","Props":null}]`), &uses); err != nil || len(uses[0].Props) != 0 {
		t.Errorf("null props: %v %+v", err, uses)
	}
}

func TestLoadInventoryFileNamesIgnoreCase(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"sms_site.json":               `[{"SiteCode":"P01","Type":2,"ServerName":"CM01"}]`,
		"SMS_SYSTEMRESOURCELIST.JSON": `[{"RoleName":"SMS Site Server","ServerName":"CM01"}]`,
		"SMS_SCI_SysResUse.json":      `[{"RoleName":"SMS Site Server","NetworkOSPath":"\\\\CM01"}]`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if inv, err := LoadInventory(dir); err != nil || len(inv.Sites) != 1 {
		t.Fatalf("%v %+v", err, inv)
	}
}

func TestDecodeClassLocatesItemErrors(t *testing.T) {
	cases := []struct {
		name string
		in   string
		into func([]byte) error
		want string
	}{
		{"type error in a role use (custom decoder)", "[\n{\"RoleName\":\"a\"},\n\n  {\"RoleName\": 5}]",
			func(b []byte) error { var v []SysResUse; return DecodeClass(b, &v) }, "line 4, column 17: RoleName"},
		{"type error in the OData value", "{\"@odata.context\": \"x\",\n \"value\": [\n  {\"SiteCode\": []}]}",
			func(b []byte) error { var v []Site; return DecodeClass(b, &v) }, "line 3, column"},
		{"bad number in a site", "[\n{\"SiteCode\":\"a\"},\n\n  {\"Type\": \"x\"}]",
			func(b []byte) error { var v []Site; return DecodeClass(b, &v) }, "item 2 (line 4, column 3)"},
		{"bad props", "[{\"RoleName\":\"a\",\n \"Props\": [7]}]",
			func(b []byte) error { var v []SysResUse; return DecodeClass(b, &v) }, "item 1 (line 1, column 2): Props"},
	}
	for _, c := range cases {
		if err := c.into([]byte(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

// An export larger than the cap is refused naming the file, not read into memory.
func TestInventoryExportOverTheCapIsRefused(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, ClassSite+".json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxExportBytes + 1); err != nil { // sparse: no real disk use
		t.Fatal(err)
	}
	f.Close()
	_, err = LoadInventory(dir)
	if err == nil || !strings.Contains(err.Error(), big) || !strings.Contains(err.Error(), "larger than 256 MB") {
		t.Fatalf("err = %v", err)
	}
}
