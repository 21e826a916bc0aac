package config

import (
	"encoding"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/agnivade/levenshtein"
)

// decoder lays a parsed TOML document over a Config one key at a time, by
// toml tag, so that every unknown key and wrong type is reported instead of
// the first one toml.Decode would stop at.
type decoder struct {
	probs Problems
}

// table decodes the TOML table m into the struct rv.
func (d *decoder) table(path toml.Key, m map[string]any, rv reflect.Value) {
	t := rv.Type()
	var names []string
	index := map[string]int{}
	for i := range t.NumField() {
		if name := tomlName(t.Field(i)); name != "" {
			names = append(names, name)
			index[name] = i
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, name := range keys {
		key := append(slices.Clip(path), name)
		i, ok := index[name]
		if !ok {
			d.unknown(key, m[name], names)
			continue
		}
		d.value(key, m[name], rv.Field(i), t.Field(i))
	}
}

// value decodes one TOML value into the field fv.
func (d *decoder) value(key toml.Key, v any, fv reflect.Value, f reflect.StructField) {
	if u, ok := fv.Addr().Interface().(encoding.TextUnmarshaler); ok {
		s, ok := v.(string)
		if !ok {
			d.mismatch(key, v, fv, f)
			return
		}
		if err := u.UnmarshalText([]byte(s)); err != nil {
			d.probs.add(key.String(), "%v", err)
		}
		return
	}
	ok := true
	switch fv.Kind() {
	case reflect.Pointer:
		var m map[string]any
		if m, ok = v.(map[string]any); ok {
			p := reflect.New(fv.Type().Elem())
			if s, isDefaulter := p.Interface().(defaulter); isDefaulter {
				s.setDefaults()
			}
			d.table(key, m, p.Elem())
			fv.Set(p)
		}
	case reflect.Struct:
		var m map[string]any
		if m, ok = v.(map[string]any); ok {
			d.table(key, m, fv)
		}
	case reflect.String:
		var s string
		if s, ok = v.(string); ok {
			fv.SetString(s)
		}
	case reflect.Bool:
		var b bool
		if b, ok = v.(bool); ok {
			fv.SetBool(b)
		}
	case reflect.Int, reflect.Int64:
		var n int64
		if n, ok = v.(int64); ok {
			if fv.OverflowInt(n) {
				d.probs.add(key.String(), "expected %s, got %s (too large)", accepts(key, fv, f), describe(v, false))
				return
			}
			fv.SetInt(n)
		}
	case reflect.Slice:
		if fv.Type().Elem().Kind() != reflect.String {
			panic(fmt.Sprintf("config: field %s has unsupported type %s", key, fv.Type()))
		}
		var list []any
		if list, ok = v.([]any); ok {
			strs := reflect.MakeSlice(fv.Type(), len(list), len(list))
			for i, e := range list {
				s, isString := e.(string)
				if !isString {
					d.probs.add(key.String(), "expected %s, got an array containing %s", accepts(key, fv, f), describe(e, false))
					return
				}
				strs.Index(i).SetString(s)
			}
			fv.Set(strs)
		}
	case reflect.Map:
		// A table whose keys the admin chooses, e.g. [jobs.timeouts] backup = "2h".
		var m map[string]any
		if m, ok = v.(map[string]any); ok {
			out := reflect.MakeMapWithSize(fv.Type(), len(m))
			for _, k := range slices.Sorted(maps.Keys(m)) {
				ev := reflect.New(fv.Type().Elem()).Elem()
				d.value(append(slices.Clip(key), k), m[k], ev, f)
				out.SetMapIndex(reflect.ValueOf(k), ev)
			}
			fv.Set(out)
		}
	default:
		panic(fmt.Sprintf("config: field %s has unsupported type %s", key, fv.Type()))
	}
	if !ok {
		d.mismatch(key, v, fv, f)
	}
}

func (d *decoder) mismatch(key toml.Key, v any, fv reflect.Value, f reflect.StructField) {
	secret := fv.Type() == reflect.TypeFor[Secret]()
	d.probs.add(key.String(), "expected %s, got %s", accepts(key, fv, f), describe(v, secret))
}

// unknown reports a key no field carries, suggesting the nearest name in the
// same table, or the same name in another table when it was misplaced.
func (d *decoder) unknown(key toml.Key, v any, names []string) {
	name := key[len(key)-1]
	what, show := "key", func(k toml.Key) string { return k.String() }
	if _, ok := v.(map[string]any); ok {
		what, show = "section", func(k toml.Key) string { return "[" + k.String() + "]" }
	}
	if s := nearest(name, names); s != "" {
		d.probs.add(key.String(), "unknown %s (did you mean %s?)", what, show(toml.Key{s}))
		return
	}
	for _, k := range allKeys() {
		if k[len(k)-1] == name {
			d.probs.add(key.String(), "unknown %s (did you mean %s?)", what, show(k))
			return
		}
	}
	d.probs.add(key.String(), "unknown %s; expected one of %s", what, strings.Join(names, ", "))
}

// nearest returns the name closest to s if it is close enough to be a typo.
func nearest(s string, names []string) string {
	best, bestDist := "", 0
	for _, n := range names {
		dist := levenshtein.ComputeDistance(s, n)
		if best == "" || dist < bestDist {
			best, bestDist = n, dist
		}
	}
	if best == "" || bestDist > max(2, len(s)/3) || bestDist >= len(s) {
		return ""
	}
	return best
}

// allKeys lists every key of Config, for suggesting where a misplaced key
// belongs and for hiding secrets in syntax errors.
var allKeys = sync.OnceValue(func() []toml.Key {
	var keys []toml.Key
	var walk func(toml.Key, reflect.Type)
	walk = func(path toml.Key, t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			name := tomlName(f)
			if name == "" {
				continue
			}
			key := append(slices.Clip(path), name)
			keys = append(keys, key)
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && ft != reflect.TypeFor[Secret]() {
				walk(key, ft)
			}
		}
	}
	walk(nil, reflect.TypeFor[Config]())
	return keys
})

func tomlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	return name
}

// accepts says what a field takes, for "expected …" messages.
func accepts(key toml.Key, fv reflect.Value, f reflect.StructField) string {
	if a, ok := fv.Interface().(interface{ accepts() string }); ok {
		return a.accepts()
	}
	example := ""
	if e := f.Tag.Get("example"); e != "" {
		example = " such as " + e
	}
	switch fv.Kind() {
	case reflect.Pointer, reflect.Struct:
		return "a table [" + key.String() + "]"
	case reflect.Map:
		return "a table [" + key.String() + "] of names and values" + example
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64:
		return "an integer" + example
	case reflect.Slice:
		return "a list of strings" + example
	default:
		return "a string" + example
	}
}

// describe names the TOML type of v, with short scalar values to help find
// the line, but never a string (it may be long or a misplaced secret) and
// nothing at all for a secret key.
func describe(v any, secret bool) string {
	var typ, val string
	switch v := v.(type) {
	case string:
		typ = "string"
	case int64:
		typ, val = "integer", fmt.Sprint(v)
	case float64:
		typ, val = "float", fmt.Sprint(v)
	case bool:
		typ, val = "boolean", fmt.Sprint(v)
	case time.Time:
		typ = "datetime"
	case []map[string]any:
		typ = "array of tables"
	case []any:
		typ = "array"
	case map[string]any:
		typ = "table"
	default:
		typ = fmt.Sprintf("%T", v)
	}
	if val == "" || secret {
		return typ
	}
	return typ + " " + val
}
