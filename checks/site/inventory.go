// Package site gathers the hierarchy facts of a ConfigMgr service connection point (from the
// AdminService or saved exports), the site checks derived from them, and the remote-rights
// checks run from the site server.
package site

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/cmpreflight/cmpreflight/internal/inputfile"
)

// The classes read from the AdminService (and their export file names, Class + ".json").
const (
	ClassSite       = "SMS_Site"
	ClassResources  = "SMS_SystemResourceList"
	ClassSysResUse  = "SMS_SCI_SysResUse"
	RoleSCP         = "SMS Dmp Connector"
	RoleSiteSystem  = "SMS Site System"
	RoleSiteServer  = "SMS Site Server"
	siteTypeCAS     = 4
	siteTypePrimary = 2
	siteTypeSecond  = 1
	siteModeExpand  = 5
)

// Inventory is the hierarchy as the three classes describe it.
type Inventory struct {
	Sites     []Site           `json:"sites"`
	Resources []SystemResource `json:"resources"`
	RoleUses  []SysResUse      `json:"roleUses"`
	// Source is "inventory" (files) or "adminservice".
	Source string `json:"source"`
	// Insecure is set when the AdminService certificate was not verified.
	Insecure bool `json:"insecure,omitempty"`
}

// Site is one SMS_Site instance.
type Site struct {
	SiteCode          string  `json:"SiteCode"`
	SiteName          string  `json:"SiteName"`
	Type              flexInt `json:"Type"`
	ReportingSiteCode string  `json:"ReportingSiteCode"`
	ServerName        string  `json:"ServerName"`
	Mode              flexInt `json:"Mode"`
	Version           string  `json:"Version"`
	BuildNumber       flexInt `json:"BuildNumber"`
}

// SystemResource is one SMS_SystemResourceList instance (a role on a server).
type SystemResource struct {
	RoleName         string `json:"RoleName"`
	ServerName       string `json:"ServerName"`
	ServerRemoteName string `json:"ServerRemoteName"`
	SiteCode         string `json:"SiteCode"`
	NALPath          string `json:"NALPath"`
}

// SysResUse is one SMS_SCI_SysResUse instance (a role's site control entry).
type SysResUse struct {
	RoleName      string     `json:"RoleName"`
	NetworkOSPath string     `json:"NetworkOSPath"`
	NALPath       string     `json:"NALPath"`
	SiteCode      string     `json:"SiteCode"`
	Props         []EmbProp  `json:"Props"`
	PropLists     []EmbPropL `json:"PropLists,omitempty"`
}

// EmbProp is an SMS_EmbeddedProperty: which of Value, Value1, Value2 holds the data depends
// on the property.
type EmbProp struct {
	PropertyName string     `json:"PropertyName"`
	Value        flexInt    `json:"Value"`
	Value1       flexString `json:"Value1"`
	Value2       flexString `json:"Value2"`
}

// EmbPropL is an SMS_EmbeddedPropertyList.
type EmbPropL struct {
	PropertyListName string   `json:"PropertyListName"`
	Values           []string `json:"Values"`
}

// UnmarshalJSON accepts Props as an array, as Windows PowerShell 5's {"value": [...],
// "Count": n} wrapping, as a single object, or null.
func (r *SysResUse) UnmarshalJSON(b []byte) error {
	type plain SysResUse
	var q struct {
		plain
		Props json.RawMessage `json:"Props"`
	}
	if err := json.Unmarshal(b, &q); err != nil {
		return err
	}
	*r = SysResUse(q.plain)
	r.Props = nil
	props := bytes.TrimSpace(q.Props)
	if len(props) == 0 || string(props) == "null" {
		return nil
	}
	if props[0] == '{' {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(props, &obj); err != nil {
			return err
		}
		if v, ok := lookupFold(obj, "value"); ok && !looksLikeInstance(obj) {
			props = bytes.TrimSpace(v)
		} else {
			props = append(append([]byte{'['}, props...), ']')
		}
	}
	if len(props) > 0 && props[0] == '"' {
		props = append(append([]byte{'['}, props...), ']')
	}
	if err := json.Unmarshal(props, &r.Props); err != nil {
		// Offsets inside Props are relative to a rewritten copy: drop them.
		return fmt.Errorf("Props: %s", err.Error())
	}
	return nil
}

// Server returns the server of the entry: NetworkOSPath without its leading backslashes.
func (r SysResUse) Server() string {
	return strings.TrimLeft(r.NetworkOSPath, `\`)
}

// Prop finds an embedded property by name (case-insensitive).
func (r SysResUse) Prop(name string) (EmbProp, bool) {
	for _, p := range r.Props {
		if strings.EqualFold(p.PropertyName, name) {
			return p, true
		}
	}
	return EmbProp{}, false
}

// UnmarshalJSON accepts Props items as objects and, as Windows PowerShell writes them when
// ConvertTo-Json's -Depth is too small, as "@{PropertyName=X; Value=1; Value1=; Value2=y}".
func (p *EmbProp) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		return p.parsePSString(s)
	}
	type plain EmbProp
	var q plain
	if err := json.Unmarshal(b, &q); err != nil {
		return err
	}
	*p = EmbProp(q)
	return nil
}

func (p *EmbProp) parsePSString(s string) error {
	if !strings.HasPrefix(s, "@{") || !strings.HasSuffix(s, "}") {
		return fmt.Errorf("embedded property %q is neither an object nor a PowerShell @{...} string", s)
	}
	for _, kv := range strings.Split(s[2:len(s)-1], ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		switch strings.ToLower(k) {
		case "propertyname":
			p.PropertyName = v
		case "value":
			if v != "" {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return fmt.Errorf("embedded property %q: Value %q is not a number", s, v)
				}
				p.Value = flexInt(n)
			}
		case "value1":
			p.Value1 = flexString(v)
		case "value2":
			p.Value2 = flexString(v)
		}
	}
	return nil
}

// flexInt is a number that may also arrive as a string or null (WMI uint32 through
// different serializers).
type flexInt int64

func (n *flexInt) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if string(b) == "null" {
		*n = 0
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		s = strings.TrimSpace(s)
		if s == "" {
			*n = 0
			return nil
		}
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		*n = flexInt(v)
		return nil
	}
	var v json.Number
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	i, err := v.Int64()
	if err != nil {
		f, ferr := v.Float64()
		if ferr != nil || f != float64(int64(f)) {
			return fmt.Errorf("%s is not an integer", v)
		}
		i = int64(f)
	}
	*n = flexInt(i)
	return nil
}

// flexString is a string that may arrive as null or a number.
type flexString string

func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*s = ""
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
	default:
		var v json.Number
		if err := json.Unmarshal(b, &v); err != nil {
			return fmt.Errorf("want a string, got %s", b)
		}
		*s = flexString(v.String())
	}
	return nil
}

// MaxExportBytes caps one inventory export file, as one AdminService answer is capped: far
// above a large hierarchy's export, and a wrong file named by mistake is refused, not read.
const MaxExportBytes = 256 << 20

// LoadInventory reads SMS_Site.json, SMS_SystemResourceList.json and SMS_SCI_SysResUse.json
// from dir. Each holds the AdminService answer ({"value": [...]}), a bare array, or a single
// object, in UTF-8 (with or without BOM) or UTF-16 with BOM.
func LoadInventory(dir string) (*Inventory, error) {
	inv := &Inventory{Source: "inventory"}
	read := func(class string, into any) error {
		path := findFold(dir, class+".json")
		data, err := inputfile.ReadMax(path, MaxExportBytes)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("inventory: %s is missing (export it with Invoke-RestMethod .../AdminService/wmi/%s)", path, class)
			}
			return fmt.Errorf("inventory: %w", err)
		}
		if err := DecodeClass(data, into); err != nil {
			return fmt.Errorf("inventory %s: %w", path, err)
		}
		return nil
	}
	if err := read(ClassSite, &inv.Sites); err != nil {
		return nil, err
	}
	if err := read(ClassResources, &inv.Resources); err != nil {
		return nil, err
	}
	if err := read(ClassSysResUse, &inv.RoleUses); err != nil {
		return nil, err
	}
	// Every hierarchy has at least one site, the site server's resources and their role
	// uses: an export holding null, nothing or an empty list is a failed export, never
	// "nothing there yet" (that would prove, falsely, that no SCP exists).
	if class := inv.emptyClass(); class != "" {
		return nil, fmt.Errorf("inventory %s: no %s objects (null, empty or an empty list): the export failed; export it again", findFold(dir, class+".json"), class)
	}
	return inv, nil
}

// emptyClass names the first class with no objects. Every hierarchy has at least one site,
// the site servers' resources and their role uses, so an empty class is a failed export or
// a provider that could not read it, never "nothing there yet" (which would prove, falsely,
// that no SCP exists).
func (inv *Inventory) emptyClass() string {
	for _, c := range []struct {
		class string
		n     int
	}{{ClassSite, len(inv.Sites)}, {ClassResources, len(inv.Resources)}, {ClassSysResUse, len(inv.RoleUses)}} {
		if c.n == 0 {
			return c.class
		}
	}
	return ""
}

// findFold finds name in dir ignoring case (exports made on Windows are often renamed).
func findFold(dir, name string) string {
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err == nil {
		return path
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return path
	}
	for _, e := range ents {
		if strings.EqualFold(e.Name(), name) {
			return filepath.Join(dir, e.Name())
		}
	}
	return path
}

// DecodeClass decodes one class's instances into into (a pointer to a slice) from any of the
// shapes LoadInventory accepts. Syntax and type errors carry line:column.
func DecodeClass(data []byte, into any) error {
	text, err := toUTF8(data)
	if err != nil {
		return err
	}
	slice := reflect.ValueOf(into)
	if slice.Kind() != reflect.Pointer || slice.Elem().Kind() != reflect.Slice {
		return fmt.Errorf("DecodeClass: want a pointer to a slice, got %T", into)
	}
	slice = slice.Elem()
	start := int64(len(text) - len(bytes.TrimLeft(text, " \t\r\n")))
	if start == int64(len(text)) {
		return nil // ConvertTo-Json of nothing writes nothing
	}
	var raw json.RawMessage
	if err := strictUnmarshal(text, &raw); err != nil {
		return locate(text, err)
	}
	switch text[start] {
	case '[':
		return decodeItems(text, start, slice)
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return locate(text, shiftErr(err, start))
		}
		if v, ok := lookupFold(obj, "value"); ok && !looksLikeInstance(obj) {
			v = bytes.TrimSpace(v)
			if string(v) == "null" {
				return nil
			}
			if len(v) == 0 || v[0] != '[' {
				return errors.New(`"value" is not an array`)
			}
			at, err := memberOffset(text, start, "value")
			if err != nil {
				return err
			}
			return decodeItems(text, at, slice)
		}
		// A single instance: PowerShell unwraps one-item arrays.
		return decodeItem(text, start, raw, 1, slice)
	case 'n': // null
		return nil
	}
	return errors.New("want a JSON object or array")
}

// decodeItems decodes the array starting at text[at] item by item, so that an error is
// located in the file even when a custom decoder of the item made it.
func decodeItems(text []byte, at int64, slice reflect.Value) error {
	dec := json.NewDecoder(bytes.NewReader(text[at:]))
	if _, err := dec.Token(); err != nil { // [
		return locate(text, shiftErr(err, at))
	}
	for n := 1; dec.More(); n++ {
		off := at + dec.InputOffset()
		off += int64(len(text[off:]) - len(bytes.TrimLeft(text[off:], " \t\r\n,")))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return locate(text, shiftErr(err, at))
		}
		if err := decodeItem(text, off, raw, n, slice); err != nil {
			return err
		}
	}
	return nil
}

func decodeItem(text []byte, off int64, raw json.RawMessage, n int, slice reflect.Value) error {
	elem := reflect.New(slice.Type().Elem())
	if err := json.Unmarshal(raw, elem.Interface()); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		if errors.As(err, &se) || errors.As(err, &te) {
			return locate(text, shiftErr(err, off))
		}
		l, c := lineCol(text, off)
		return fmt.Errorf("item %d (line %d, column %d): %w", n, l, c, err)
	}
	slice.Set(reflect.Append(slice, elem.Elem()))
	return nil
}

// memberOffset finds where the value of the top-level object's member key starts.
func memberOffset(text []byte, at int64, key string) (int64, error) {
	dec := json.NewDecoder(bytes.NewReader(text[at:]))
	if _, err := dec.Token(); err != nil { // {
		return 0, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return 0, err
		}
		if k, _ := tok.(string); strings.EqualFold(k, key) {
			off := at + dec.InputOffset()
			off += int64(len(text[off:]) - len(bytes.TrimLeft(text[off:], " \t\r\n:")))
			return off, nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return 0, err
		}
	}
	return 0, fmt.Errorf("no %q member", key)
}

// looksLikeInstance tells an OData envelope from a single instance that happens to have a
// property called Value (an embedded property serialized alone).
func looksLikeInstance(obj map[string]json.RawMessage) bool {
	for _, k := range []string{"SiteCode", "RoleName", "PropertyName"} {
		if _, ok := lookupFold(obj, k); ok {
			return true
		}
	}
	return false
}

func lookupFold(obj map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if v, ok := obj[key]; ok {
		return v, true
	}
	for k, v := range obj {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	return nil, false
}

// strictUnmarshal checks the whole text is one JSON value (no trailing garbage).
func strictUnmarshal(text []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(text))
	if err := dec.Decode(v); err != nil {
		if se := (*json.SyntaxError)(nil); errors.As(err, &se) {
			return err
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			l, c := lineCol(text, int64(len(text)))
			return fmt.Errorf("line %d, column %d: unexpected end of JSON input", l, c)
		}
		return err
	}
	if off := dec.InputOffset(); len(bytes.TrimSpace(text[off:])) > 0 {
		l, c := lineCol(text, off+int64(len(text[off:])-len(bytes.TrimLeft(text[off:], " \t\r\n"))))
		return fmt.Errorf("line %d, column %d: unexpected data after the JSON value", l, c)
	}
	return nil
}

// toUTF8 strips a UTF-8 BOM or converts UTF-16 (BOM, or the NUL pattern of BOM-less UTF-16
// LE) to UTF-8.
func toUTF8(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return fromUTF16(data[2:], false)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return fromUTF16(data[2:], true)
	case len(data) >= 4 && data[0] != 0 && data[1] == 0 && data[3] == 0:
		return fromUTF16(data, false)
	}
	if !utf8.Valid(data) {
		return nil, errors.New("not UTF-8 or UTF-16 text (save the export with -Encoding utf8)")
	}
	return data, nil
}

func fromUTF16(b []byte, bigEndian bool) ([]byte, error) {
	if len(b)%2 != 0 {
		return nil, errors.New("UTF-16 text with an odd number of bytes")
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		if bigEndian {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		} else {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
	}
	return []byte(string(utf16.Decode(u))), nil
}

// locate turns a JSON error's byte offset in text into line:column.
func locate(text []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		// Offset counts the offending byte itself.
		l, c := lineCol(text, se.Offset-1)
		return fmt.Errorf("line %d, column %d: %s", l, c, se.Error())
	case errors.As(err, &te):
		l, c := lineCol(text, te.Offset)
		// The decoders of SysResUse and EmbProp go through a local type named plain.
		field := strings.ReplaceAll(te.Field, "plain.", "")
		if field == "" {
			field = "value"
		}
		return fmt.Errorf("line %d, column %d: %s: want %s, got JSON %s", l, c, field, te.Type, te.Value)
	}
	return err
}

func shiftErr(err error, by int64) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		c := *se
		c.Offset = max(c.Offset+by, 0)
		return &c
	case errors.As(err, &te):
		c := *te
		c.Offset = max(c.Offset+by, 0)
		return &c
	}
	return err
}

func lineCol(text []byte, off int64) (line, col int) {
	if off > int64(len(text)) {
		off = int64(len(text))
	}
	if off < 0 {
		off = 0
	}
	before := text[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}
