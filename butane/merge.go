package butane

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	cutil "github.com/coreos/butane/config/util"
	"github.com/coreos/ignition/v2/config/merge"
	"github.com/coreos/vcontext/path"
	"github.com/coreos/vcontext/report"
)

// origin is where a value of the merged config came from: docs[doc] at
// the Ignition JSON path at of that document's own translation.
type origin struct {
	doc int
	at  []any
}

// merged is the combined config with what is needed to locate its values
// in the documents that contributed them.
type merged struct {
	docs    []*translated
	config  any
	spec    int
	changed bool              // differs from the validated translation of docs[0]
	from    map[string]origin // merged JSON path → latest contributor; nil: all from docs[0]
}

// combine merges the translated documents the way Ignition merges configs
// (Ignition's own merge: same key later wins field by field, lists append)
// and converts the result to the wanted spec.
func combine(docs []*translated, want int, opts Options) (*merged, error) {
	m := &merged{docs: docs, config: docs[0].config, spec: docs[0].spec}
	if len(docs) > 1 {
		for _, d := range docs[1:] {
			m.spec = max(m.spec, d.spec)
		}
		var err error
		if m.config, err = convert(m.config, docs[0].spec, m.spec); err != nil {
			return nil, err
		}
		for k, d := range docs[1:] {
			child, err := convert(d.config, d.spec, m.spec)
			if err != nil {
				return nil, err
			}
			result, transcript := merge.MergeStructTranscribe(m.config, child)
			m.config = result
			m.record(k+1, transcript)
		}
		m.changed = true
	}
	if want >= 0 && want != m.spec {
		converted, err := convert(m.config, m.spec, want)
		if err != nil {
			attr := AttrIgnitionVersion
			if opts.IgnitionVersion == "" {
				attr = AttrTarget
			}
			e := &Error{Attribute: attr, Summary: "Config needs a newer Ignition spec", Err: err}
			var derr *DowngradeError
			if errors.As(err, &derr) {
				if entry, ok := m.locateField(derr.Field, "error", err.Error()); ok {
					e.Source = entry.Source
					e.Entries = []Entry{entry}
				}
			}
			return nil, e
		}
		m.config, m.spec, m.changed = converted, want, true
	}
	return m, nil
}

// record updates the provenance map after docs[child] was merged in.
func (m *merged) record(child int, t merge.Transcript) {
	next := make(map[string]origin, len(t.Mappings))
	for _, mp := range t.Mappings {
		to := mp.To.String()
		if mp.From.Tag == merge.TAG_CHILD {
			next[to] = origin{doc: child, at: mp.From.Path}
			continue
		}
		if _, ok := next[to]; !ok {
			next[to] = m.origin(mp.From.Path)
		}
	}
	m.from = next
}

// origin finds the latest contributor of the merged JSON path at: the
// longest recorded prefix, with the rest of the path appended.
func (m *merged) origin(at []any) origin {
	if m.from == nil {
		return origin{doc: 0, at: at}
	}
	for n := len(at); n >= 0; n-- {
		if o, ok := m.from[path.New("", at[:n]...).String()]; ok {
			return origin{doc: o.doc, at: append(append([]any{}, o.at...), at[n:]...)}
		}
	}
	return origin{doc: 0, at: at}
}

// locate turns entries of a report on the merged config into entries of
// the documents that contributed the values, with line and column.
func (m *merged) locate(r report.Report) []Entry {
	var out []Entry
	for _, e := range r.Entries {
		o := m.origin(e.Context.Path)
		d := m.docs[o.doc]
		var one report.Report
		one.Entries = []report.Entry{{Kind: e.Kind, Message: e.Message, Context: path.New("json", o.at...)}}
		one = cutil.TranslateReportPaths(one, d.ts)
		one.Correlate(d.ctx)
		out = append(out, d.doc.entries(one, false)...)
	}
	return out
}

// locateField locates a field given as a JSON path string ("$.a.0.b").
func (m *merged) locateField(field, severity, msg string) (Entry, bool) {
	parts := strings.Split(strings.TrimPrefix(strings.TrimPrefix(field, "$"), "."), ".")
	var at []any
	for _, p := range parts {
		if p == "" {
			continue
		}
		if i, err := strconv.Atoi(p); err == nil {
			at = append(at, i)
		} else {
			at = append(at, p)
		}
	}
	kind := report.Error
	if severity == "warning" {
		kind = report.Warn
	}
	var r report.Report
	r.Entries = []report.Entry{{Kind: kind, Message: msg, Context: path.New("json", at...)}}
	entries := m.locate(r)
	if len(entries) != 1 {
		return Entry{}, false
	}
	return entries[0], true
}

// staleVerifications warns about merged resources (files' contents and
// appends, merged or replaced configs, CA certificates) whose verification
// hash comes from an earlier document than their source: Ignition merges
// field by field, so a snippet that replaces only the source keeps the old
// hash, and a hash that does not match fails the boot.
func (m *merged) staleVerifications() []Entry {
	if m.from == nil {
		return nil
	}
	var out []Entry
	walkResources(reflect.ValueOf(m.config), nil, func(at []any) {
		src := m.origin(append(append([]any{}, at...), "source"))
		hash := m.origin(append(append([]any{}, at...), "verification", "hash"))
		if src.doc <= hash.doc {
			return
		}
		hashAt := m.locateOrigin(hash)
		msg := fmt.Sprintf("this source replaces an earlier one, but the verification hash from %s%s is kept "+
			"(Ignition merges field by field): a hash that does not match the new contents fails the boot; "+
			"set verification.hash next to this source", inputName(hashAt.Source), lineSuffix(hashAt))
		e := m.locateOrigin(src)
		e.Severity, e.Message = "warning", msg
		out = append(out, e)
	})
	return out
}

// locateOrigin gives an entry placed at o (its message left empty).
func (m *merged) locateOrigin(o origin) Entry {
	d := m.docs[o.doc]
	var r report.Report
	r.Entries = []report.Entry{{Kind: report.Warn, Context: path.New("json", o.at...)}}
	r = cutil.TranslateReportPaths(r, d.ts)
	r.Correlate(d.ctx)
	e := d.doc.entries(r, false)[0]
	e.Message = ""
	return e
}

func inputName(source int) string {
	if source < 0 {
		return "content"
	}
	return fmt.Sprintf("snippets[%d]", source)
}

func lineSuffix(e Entry) string {
	if e.Line == 0 {
		return ""
	}
	return fmt.Sprintf(" (line %d)", e.Line)
}

// walkResources calls fn with the JSON path of every struct in v that has
// a set Source and a set Verification.Hash.
func walkResources(v reflect.Value, at []any, fn func([]any)) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		if hasSourceAndHash(v) {
			fn(at)
		}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			if f.Anonymous && name == "" {
				walkResources(v.Field(i), at, fn)
				continue
			}
			if name == "" || name == "-" {
				continue
			}
			walkResources(v.Field(i), append(append([]any{}, at...), name), fn)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walkResources(v.Index(i), append(append([]any{}, at...), i), fn)
		}
	}
}

func hasSourceAndHash(v reflect.Value) bool {
	src := v.FieldByName("Source")
	ver := v.FieldByName("Verification")
	if !src.IsValid() || src.Kind() != reflect.Pointer || src.IsNil() || !ver.IsValid() ||
		ver.Kind() != reflect.Struct {
		return false
	}
	hash := ver.FieldByName("Hash")
	return hash.IsValid() && hash.Kind() == reflect.Pointer && !hash.IsNil()
}
