package policies

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/util"
)

// toValue converts a Go value to the OPA value its JSON encoding decodes to, without the
// JSON text in between: encoding/json's rules (field names and omitempty from json tags,
// nil as null, time.Time as RFC 3339) are applied by reflection, and types with their own
// MarshalJSON or MarshalText fall back to the real encoder. Marshalling a 20,000-check document
// to JSON and decoding it again costs several times the whole policy evaluation; this keeps
// the input exactly the JSON report at a fraction of that cost (TestToValueMatchesJSON).
func toValue(v any) (ast.Value, error) {
	if v == nil {
		return ast.Null{}, nil
	}
	rv := reflect.ValueOf(v)
	return encoderFor(rv.Type())(rv)
}

type encodeFunc func(reflect.Value) (ast.Value, error)

var encoders sync.Map // reflect.Type -> encodeFunc

var (
	timeType          = reflect.TypeFor[time.Time]()
	jsonMarshalerType = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	jsonNumberType    = reflect.TypeFor[json.Number]()
)

func encoderFor(t reflect.Type) encodeFunc {
	if f, ok := encoders.Load(t); ok {
		return f.(encodeFunc)
	}
	// A forwarding placeholder lets recursive types refer to themselves while being built.
	var (
		wg sync.WaitGroup
		f  encodeFunc
	)
	wg.Add(1)
	fi, loaded := encoders.LoadOrStore(t, encodeFunc(func(v reflect.Value) (ast.Value, error) {
		wg.Wait()
		return f(v)
	}))
	if loaded {
		return fi.(encodeFunc)
	}
	f = newEncoder(t)
	wg.Done()
	encoders.Store(t, f)
	return f
}

func newEncoder(t reflect.Type) encodeFunc {
	switch {
	case t == timeType:
		return func(v reflect.Value) (ast.Value, error) {
			tm := v.Interface().(time.Time)
			if y := tm.Year(); y < 0 || y > 9999 {
				return viaJSON(v)
			}
			return ast.String(tm.Format(time.RFC3339Nano)), nil
		}
	case t == jsonNumberType:
		return func(v reflect.Value) (ast.Value, error) {
			s := v.String()
			if s == "" {
				s = "0"
			}
			return ast.Number(s), nil
		}
	case t.Kind() != reflect.Pointer && (t.Implements(jsonMarshalerType) || t.Implements(textMarshalerType)):
		return viaJSON
	case t.Kind() != reflect.Pointer && (reflect.PointerTo(t).Implements(jsonMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType)):
		return viaJSON
	}
	switch t.Kind() {
	case reflect.Bool:
		return func(v reflect.Value) (ast.Value, error) { return ast.InternedValue(v.Bool()), nil }
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(v reflect.Value) (ast.Value, error) { return ast.InternedValueOr(v.Int(), intNumber), nil }
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(v reflect.Value) (ast.Value, error) { return ast.Number(strconv.FormatUint(v.Uint(), 10)), nil }
	case reflect.Float32, reflect.Float64:
		return viaJSON // rare in the model; let encoding/json pick the float format
	case reflect.String:
		return func(v reflect.Value) (ast.Value, error) { return ast.InternedValueOr(v.String(), stringValue), nil }
	case reflect.Interface:
		return func(v reflect.Value) (ast.Value, error) {
			if v.IsNil() {
				return ast.Null{}, nil
			}
			e := v.Elem()
			return encoderFor(e.Type())(e)
		}
	case reflect.Pointer:
		elem := t.Elem()
		return func(v reflect.Value) (ast.Value, error) {
			if v.IsNil() {
				return ast.Null{}, nil
			}
			return encoderFor(elem)(v.Elem())
		}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return viaJSON // []byte is base64 in JSON
		}
		return sliceEncoder(t, true)
	case reflect.Array:
		return sliceEncoder(t, false)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return viaJSON
		}
		return mapEncoder(t)
	case reflect.Struct:
		return structEncoder(t)
	}
	return viaJSON
}

func sliceEncoder(t reflect.Type, nilable bool) encodeFunc {
	elem := t.Elem()
	return func(v reflect.Value) (ast.Value, error) {
		if nilable && v.IsNil() {
			return ast.Null{}, nil
		}
		enc := encoderFor(elem)
		terms := util.NewPtrSlice[ast.Term](v.Len())
		for i, t := range terms {
			x, err := enc(v.Index(i))
			if err != nil {
				return nil, err
			}
			t.Value = x
		}
		return ast.NewArray(terms...), nil
	}
}

func mapEncoder(t reflect.Type) encodeFunc {
	elem := t.Elem()
	return func(v reflect.Value) (ast.Value, error) {
		if v.IsNil() {
			return ast.Null{}, nil
		}
		enc := encoderFor(elem)
		items := make([][2]*ast.Term, 0, v.Len())
		it := v.MapRange()
		for it.Next() {
			x, err := enc(it.Value())
			if err != nil {
				return nil, err
			}
			items = append(items, ast.Item(ast.StringTerm(it.Key().String()), ast.NewTerm(x)))
		}
		return ast.NewObject(items...), nil
	}
}

type fieldPlan struct {
	index     []int
	name      *ast.Term
	omitEmpty bool
	omitZero  bool
	typ       reflect.Type
}

func structEncoder(t reflect.Type) encodeFunc {
	plans := structFields(t, nil)
	return func(v reflect.Value) (ast.Value, error) {
		// Values are gathered first (on the stack for ordinary structs) so the terms are
		// allocated once, sized to the fields actually present; NewObject copies the pairs.
		var valBuf [32]ast.Value
		var idxBuf [32]int
		vals, idx := valBuf[:0], idxBuf[:0]
		for i, p := range plans {
			fv, ok := fieldByIndex(v, p.index)
			if !ok {
				continue // behind a nil embedded pointer
			}
			if p.omitEmpty && isEmpty(fv) || p.omitZero && fv.IsZero() {
				continue
			}
			x, err := encoderFor(p.typ)(fv)
			if err != nil {
				return nil, err
			}
			vals = append(vals, x)
			idx = append(idx, i)
		}
		terms := make([]ast.Term, len(vals))
		var itemBuf [32][2]*ast.Term
		items := itemBuf[:0]
		for j, x := range vals {
			terms[j].Value = x
			items = append(items, ast.Item(plans[idx[j]].name, &terms[j]))
		}
		return ast.NewObject(items...), nil
	}
}

func intNumber(i int64) ast.Value { return ast.Number(strconv.FormatInt(i, 10)) }

func stringValue(s string) ast.Value { return ast.String(s) }

// structFields lists the JSON fields of t (embedded structs without a tag are inlined; a
// field name given twice keeps the shallower one, as encoding/json does for the simple case).
func structFields(t reflect.Type, prefix []int) []fieldPlan {
	var out []fieldPlan
	seen := map[string]bool{}
	var nested []fieldPlan
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		index := append(append([]int(nil), prefix...), i)
		if sf.Anonymous && name == "" {
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				nested = append(nested, structFields(ft, index)...)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		seen[name] = true
		out = append(out, fieldPlan{
			index:     index,
			name:      ast.StringTerm(name),
			omitEmpty: hasOpt(opts, "omitempty"),
			omitZero:  hasOpt(opts, "omitzero"),
			typ:       sf.Type,
		})
	}
	for _, p := range nested {
		if n := string(p.name.Value.(ast.String)); !seen[n] {
			seen[n] = true
			out = append(out, p)
		}
	}
	return out
}

func hasOpt(opts, want string) bool {
	for o := range strings.SplitSeq(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	return false
}

// viaJSON is the slow, exact path for values with their own JSON form.
func viaJSON(v reflect.Value) (ast.Value, error) {
	if (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && v.IsNil() {
		return ast.Null{}, nil
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return nil, fmt.Errorf("policies: encoding %s: %w", v.Type(), err)
	}
	return ast.ValueFromReader(bytes.NewReader(b))
}
