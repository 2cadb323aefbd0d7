package butane

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	cjson "github.com/clarketm/json"
	t3_0 "github.com/coreos/ignition/v2/config/v3_0/types"
	tr3_1 "github.com/coreos/ignition/v2/config/v3_1/translate"
	t3_1 "github.com/coreos/ignition/v2/config/v3_1/types"
	tr3_2 "github.com/coreos/ignition/v2/config/v3_2/translate"
	t3_2 "github.com/coreos/ignition/v2/config/v3_2/types"
	tr3_3 "github.com/coreos/ignition/v2/config/v3_3/translate"
	t3_3 "github.com/coreos/ignition/v2/config/v3_3/types"
	tr3_4 "github.com/coreos/ignition/v2/config/v3_4/translate"
	t3_4 "github.com/coreos/ignition/v2/config/v3_4/types"
	tr3_5 "github.com/coreos/ignition/v2/config/v3_5/translate"
	t3_5 "github.com/coreos/ignition/v2/config/v3_5/types"
	tr3_6 "github.com/coreos/ignition/v2/config/v3_6/translate"
	t3_6 "github.com/coreos/ignition/v2/config/v3_6/types"
	tr3_7 "github.com/coreos/ignition/v2/config/v3_7_experimental/translate"
	t3_7 "github.com/coreos/ignition/v2/config/v3_7_experimental/types"
	ignvalidate "github.com/coreos/ignition/v2/config/validate"
	"github.com/coreos/vcontext/report"
)

// ignitionSpec is one Ignition config spec version, oldest first in specs.
type ignitionSpec struct {
	version string
	typ     reflect.Type  // its types.Config
	up      func(any) any // translation from the previous spec; nil for the first
}

var specs = []ignitionSpec{
	{"3.0.0", reflect.TypeFor[t3_0.Config](), nil},
	{"3.1.0", reflect.TypeFor[t3_1.Config](), func(c any) any { return tr3_1.Translate(c.(t3_0.Config)) }},
	{"3.2.0", reflect.TypeFor[t3_2.Config](), func(c any) any { return tr3_2.Translate(c.(t3_1.Config)) }},
	{"3.3.0", reflect.TypeFor[t3_3.Config](), func(c any) any { return tr3_3.Translate(c.(t3_2.Config)) }},
	{"3.4.0", reflect.TypeFor[t3_4.Config](), func(c any) any { return tr3_4.Translate(c.(t3_3.Config)) }},
	{"3.5.0", reflect.TypeFor[t3_5.Config](), func(c any) any { return tr3_5.Translate(c.(t3_4.Config)) }},
	{"3.6.0", reflect.TypeFor[t3_6.Config](), func(c any) any { return tr3_6.Translate(c.(t3_5.Config)) }},
	{"3.7.0-experimental", reflect.TypeFor[t3_7.Config](), func(c any) any { return tr3_7.Translate(c.(t3_6.Config)) }},
}

// specIndex returns the position of version in specs, or -1.
func specIndex(version string) int {
	for i, s := range specs {
		if s.version == version {
			return i
		}
	}
	return -1
}

// acceptedSpecs lists the spec versions a user may ask for, for messages.
func acceptedSpecs() string {
	var stable, experimental []string
	for _, s := range specs {
		if strings.Contains(s.version, "-") {
			experimental = append(experimental, s.version)
		} else {
			stable = append(stable, s.version)
		}
	}
	out := strings.Join(stable, ", ")
	if len(experimental) > 0 {
		out += " (stable), or " + strings.Join(experimental, ", ") + " (experimental)"
	}
	return out
}

// convert re-expresses cfg (of spec from) in spec to: upward with Ignition's
// translators, downward with downgrade.
func convert(cfg any, from, to int) (any, error) {
	for i := from + 1; i <= to; i++ {
		cfg = specs[i].up(cfg)
	}
	if to < from {
		return downgrade(cfg, from, to)
	}
	return cfg, nil
}

// DowngradeError says that a field set in the config has no place in the
// requested older spec.
type DowngradeError struct {
	Field      string // JSON path, e.g. "$.kernelArguments"
	MinSpec    string // the oldest spec that has the field (or applies the value)
	TargetSpec string
	Value      string // set when the field exists in TargetSpec but its value would be dropped
}

func (e *DowngradeError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("%s is %s, but Ignition spec %s does not apply it (needs spec %s or newer): "+
			"the older spec would silently drop it", e.Field, e.Value, e.TargetSpec, e.MinSpec)
	}
	return fmt.Sprintf("%s is set but Ignition spec %s has no such field (needs spec %s or newer)",
		e.Field, e.TargetSpec, e.MinSpec)
}

// specialBitsSpec is the index of the oldest spec whose Ignition applies
// setuid, setgid and sticky mode bits: the oldest whose validator does not
// warn about them.
var specialBitsSpec = sync.OnceValue(func() int {
	for i, s := range specs {
		raw := fmt.Sprintf(`{"ignition":{"version":%q},"storage":{"files":[{"path":"/x","mode":%d}]}}`,
			s.version, 0o4755)
		cfg := reflect.New(s.typ)
		if err := json.Unmarshal([]byte(raw), cfg.Interface()); err != nil {
			continue
		}
		warned := false
		for _, e := range validateConfig(cfg.Elem().Interface()).Entries {
			if strings.Contains(e.Message, "setuid") {
				warned = true
			}
		}
		if !warned {
			return i
		}
	}
	return len(specs)
})

// specialModes finds file and directory modes with setuid, setgid or
// sticky bits in a generic JSON config.
func specialModes(generic any) []DowngradeError {
	root, _ := generic.(map[string]any)
	storage, _ := root["storage"].(map[string]any)
	var out []DowngradeError
	for _, kind := range []string{"directories", "files"} {
		nodes, _ := storage[kind].([]any)
		for i, n := range nodes {
			node, _ := n.(map[string]any)
			mode, ok := node["mode"].(float64)
			if ok && int(mode)&0o7000 != 0 {
				out = append(out, DowngradeError{Field: fmt.Sprintf("$.storage.%s.%d.mode", kind, i),
					Value: fmt.Sprintf("%#o with setuid/setgid/sticky bits", int(mode))})
			}
		}
	}
	return out
}

// downgrade expresses cfg (spec from) in the older spec to: it marshals cfg
// to JSON and decodes that into the older types, refusing any value that the
// older types have no field for.
func downgrade(cfg any, from, to int) (any, error) {
	raw, err := cjson.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("marshal spec %s config: %w", specs[from].version, err)
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, fmt.Errorf("decode spec %s config: %w", specs[from].version, err)
	}

	if unknown := unknownFields(generic, specs[to].typ, "$"); len(unknown) > 0 {
		field := unknown[0]
		minSpec := specs[from].version
		for i := to + 1; i <= from; i++ {
			if !hasField(field, unknownFields(generic, specs[i].typ, "$")) {
				minSpec = specs[i].version
				break
			}
		}
		return nil, &DowngradeError{Field: field, MinSpec: minSpec, TargetSpec: specs[to].version}
	}

	if bits := specialBitsSpec(); from >= bits && to < bits {
		if found := specialModes(generic); len(found) > 0 {
			e := found[0]
			e.MinSpec, e.TargetSpec = specs[bits].version, specs[to].version
			return nil, &e
		}
	}

	out := reflect.New(specs[to].typ)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out.Interface()); err != nil {
		return nil, fmt.Errorf("express config in spec %s: %w", specs[to].version, err)
	}
	out.Elem().FieldByName("Ignition").FieldByName("Version").SetString(specs[to].version)
	return out.Elem().Interface(), nil
}

func hasField(field string, fields []string) bool {
	for _, f := range fields {
		if f == field {
			return true
		}
	}
	return false
}

// unknownFields lists, sorted, the JSON paths in v that type t has no field for.
func unknownFields(v any, t reflect.Type, at string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	switch val := v.(type) {
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return nil
		}
		fields := jsonFields(t)
		for key, child := range val {
			ft, ok := fields[key]
			if !ok {
				out = append(out, at+"."+key)
				continue
			}
			out = append(out, unknownFields(child, ft, at+"."+key)...)
		}
	case []any:
		if t.Kind() != reflect.Slice {
			return nil
		}
		for i, child := range val {
			out = append(out, unknownFields(child, t.Elem(), fmt.Sprintf("%s.%d", at, i))...)
		}
	}
	sort.Strings(out)
	return out
}

// jsonFields maps the JSON names of a struct's fields, embedded ones
// flattened the way encoding/json does, to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		if f.Anonymous && name == "" {
			for k, v := range jsonFields(f.Type) {
				fields[k] = v
			}
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}

// validateConfig runs Ignition's validator for the config's own spec.
func validateConfig(cfg any) report.Report {
	return ignvalidate.ValidateWithContext(cfg, nil)
}

// marshalConfig renders cfg the way Butane does (empty structs omitted).
func marshalConfig(cfg any, pretty bool) ([]byte, error) {
	if pretty {
		return cjson.MarshalIndent(cfg, "", "  ")
	}
	return cjson.Marshal(cfg)
}
