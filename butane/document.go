package butane

import (
	"fmt"
	"reflect"
	"regexp"
	"strconv"

	"github.com/coreos/butane/config/common"
	cutil "github.com/coreos/butane/config/util"
	"github.com/coreos/butane/translate"
	"github.com/coreos/go-semver/semver"
	ignvalidate "github.com/coreos/ignition/v2/config/validate"
	"github.com/coreos/vcontext/path"
	"github.com/coreos/vcontext/report"
	"github.com/coreos/vcontext/tree"
	"github.com/coreos/vcontext/validate"
	"gopkg.in/yaml.v3"
)

// document is one Butane document (the main content or a snippet), parsed
// once: the same YAML node tree feeds the header check, the decoding into
// Butane's types and the line/column lookup of report entries.
type document struct {
	source  int // -1: content; i >= 0: snippets[i]
	src     []byte
	root    *yaml.Node // the top-level node (a mapping for a valid config)
	variant variantSpec
}

// translated is a document rendered to a typed Ignition config.
type translated struct {
	config any // a types.Config value of spec specs[spec]
	spec   int
	report report.Report
}

var yamlLineRe = regexp.MustCompile(`line (\d+): (.*)`)

// parseDocument parses src and checks its header (variant and version),
// locating header errors on the line of the header key.
func parseDocument(src []byte, source int) (*document, error) {
	var top yaml.Node
	if err := yaml.Unmarshal(src, &top); err != nil {
		return nil, yamlError(src, source, nil, err)
	}
	doc := &document{source: source, src: src, root: &top}
	if top.Kind == yaml.DocumentNode && len(top.Content) > 0 {
		doc.root = top.Content[0]
	}

	variantKey, variantVal := mappingEntry(doc.root, "variant")
	versionKey, versionVal := mappingEntry(doc.root, "version")
	at := func(key, val *yaml.Node, p string) Entry {
		e := Entry{Severity: "error", Source: source, Path: p, Line: 1, Column: 1}
		switch {
		case val != nil:
			e.Line, e.Column = val.Line, val.Column
		case key != nil:
			e.Line, e.Column = key.Line, key.Column
		case doc.root.Line > 0:
			e.Line, e.Column = doc.root.Line, doc.root.Column
		}
		return e
	}

	if variantVal == nil || variantVal.Kind != yaml.ScalarNode || variantVal.Value == "" {
		e := at(variantKey, variantVal, "$.variant")
		e.Message = common.ErrNoVariant.Error() + ` (add e.g. "variant: flatcar" at the top)`
		return nil, &Error{Attribute: attributeOf(source), Source: source,
			Summary: "Missing Butane variant", Entries: []Entry{e}, Err: common.ErrNoVariant}
	}
	var version *semver.Version
	if versionVal != nil && versionVal.Kind == yaml.ScalarNode {
		version, _ = semver.NewVersion(versionVal.Value)
	}
	if version == nil {
		e := at(versionKey, versionVal, "$.version")
		e.Message = common.ErrInvalidVersion.Error() + ` (e.g. "version: 1.1.0")`
		return nil, &Error{Attribute: attributeOf(source), Source: source,
			Summary: "Invalid Butane version", Entries: []Entry{e}, Err: common.ErrInvalidVersion}
	}
	v, err := lookupVariant(variantVal.Value, version.String())
	if err != nil {
		e := at(versionKey, versionVal, "$.version")
		e.Message = err.Error()
		return nil, &Error{Attribute: attributeOf(source), Source: source,
			Summary: "Unsupported Butane variant or version", Entries: []Entry{e}, Err: err}
	}
	doc.variant = v
	return doc, nil
}

// mappingEntry returns the key and value nodes of key in mapping m.
func mappingEntry(m *yaml.Node, key string) (*yaml.Node, *yaml.Node) {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

// yamlError turns a YAML syntax or type error into located entries. YAML
// reports lines only; for type errors the column of the offending value is
// looked up in the parsed tree.
func yamlError(src []byte, source int, root *yaml.Node, err error) *Error {
	var msgs []string
	if te, ok := err.(*yaml.TypeError); ok {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	var entries []Entry
	for _, msg := range msgs {
		e := Entry{Severity: "error", Source: source, Message: msg}
		if m := yamlLineRe.FindStringSubmatch(msg); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Message = m[2]
			e.Column = lastColumnOnLine(root, e.Line)
		}
		entries = append(entries, e)
	}
	return &Error{Attribute: attributeOf(source), Source: source, Summary: "Invalid YAML",
		Entries: entries, Err: common.ErrUnmarshal{Detail: err.Error()}}
}

// lastColumnOnLine finds the right-most node that starts on line: for
// "key: value" that is the value.
func lastColumnOnLine(n *yaml.Node, line int) int {
	if n == nil {
		return 0
	}
	col := 0
	if n.Line == line {
		col = n.Column
	}
	for _, c := range n.Content {
		if cc := lastColumnOnLine(c, line); cc > col {
			col = cc
		}
	}
	return col
}

// contextTree converts the YAML tree into vcontext's tree, which Butane and
// Ignition use to attach line and column to report entries.
func contextTree(n *yaml.Node) tree.Node {
	if n == nil {
		return nil
	}
	marker := tree.Marker{StartP: &tree.Pos{Line: int64(n.Line), Column: int64(n.Column)}}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return contextTree(n.Content[0])
	case yaml.MappingNode:
		m := tree.MapNode{
			Marker:   marker,
			Children: make(map[string]tree.Node, len(n.Content)/2),
			Keys:     make(map[string]tree.Leaf, len(n.Content)/2),
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			m.Keys[k.Value] = tree.Leaf{Marker: tree.Marker{
				StartP: &tree.Pos{Line: int64(k.Line), Column: int64(k.Column)}}}
			m.Children[k.Value] = contextTree(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		s := tree.SliceNode{Marker: marker, Children: make([]tree.Node, 0, len(n.Content))}
		for _, c := range n.Content {
			s.Children = append(s.Children, contextTree(c))
		}
		return s
	case 0:
		return nil
	}
	return tree.Leaf{Marker: marker}
}

// translate renders the document with Butane's per-version translation,
// running the same checks, in the same order, as Butane's TranslateBytes:
// unused keys, source validation, translation, field filters, duplicate
// entries and Ignition's validation of the result. Unlike TranslateBytes it
// parses the YAML once, and it keeps the translation set so that the
// compression of Butane-made data URLs can be decided afterwards.
func (d *document) translate(opts common.TranslateOptions, compress bool) (*translated, error) {
	cfgPtr := d.variant.newConfig()
	if err := d.root.Decode(cfgPtr); err != nil {
		return nil, yamlError(d.src, d.source, d.root, err)
	}
	ctx := contextTree(d.root)
	if ctx == nil {
		ctx = tree.MapNode{Marker: tree.Marker{StartP: &tree.Pos{Line: 1, Column: 1}}}
	}
	cfg := reflect.ValueOf(cfgPtr).Elem().Interface()

	unused := func(v reflect.Value, c path.ContextPath) report.Report {
		return ignvalidate.ValidateUnusedKeys(v, c, ctx)
	}
	r := validate.ValidateCustom(cfg, "yaml", unused)
	r.Correlate(ctx)
	if r.IsFatal() {
		return nil, d.reportError(r, common.ErrInvalidSourceConfig)
	}

	final, _, tr, err := d.translateValidated(cfg, opts, compress)
	tr.Correlate(ctx)
	r.Merge(tr)
	if err != nil {
		return nil, d.reportError(r, err)
	}
	return &translated{config: final, spec: specIndex(d.variant.spec), report: r}, nil
}

// translateValidated is the part of the pipeline that follows decoding.
func (d *document) translateValidated(cfg any, opts common.TranslateOptions, compress bool) (
	any, translate.TranslationSet, report.Report, error) {
	r := validate.Validate(cfg, "yaml")
	if r.IsFatal() {
		return nil, translate.TranslationSet{}, r, common.ErrInvalidSourceConfig
	}

	out := reflect.ValueOf(cfg).MethodByName(d.variant.method()).Call([]reflect.Value{reflect.ValueOf(opts)})
	final := out[0].Interface()
	ts := out[1].Interface().(translate.TranslationSet)
	r.Merge(cutil.TranslateReportPaths(out[2].Interface().(report.Report), ts))
	if r.IsFatal() {
		return nil, ts, r, common.ErrInvalidSourceConfig
	}

	if filters := cfg.(cutil.Config).FieldFilters(); filters != nil {
		r.Merge(cutil.TranslateReportPaths(filters.Verify(final), ts))
		if r.IsFatal() {
			return nil, ts, r, common.ErrInvalidSourceConfig
		}
	}

	if compress {
		var err error
		if final, err = compressDataURLs(final, ts); err != nil {
			return nil, ts, r, fmt.Errorf("compress embedded contents: %w", err)
		}
	}

	r.Merge(cutil.TranslateReportPaths(validate.ValidateCustom(final, "json", ignvalidate.ValidateDups), ts))
	r.Merge(cutil.TranslateReportPaths(validate.Validate(final, "json"), ts))
	if r.IsFatal() {
		return nil, ts, r, common.ErrInvalidGeneratedConfig
	}
	return final, ts, r, nil
}

// reportError wraps a failed translation with all its report entries.
func (d *document) reportError(r report.Report, err error) *Error {
	return &Error{Attribute: attributeOf(d.source), Source: d.source, Summary: "Invalid Butane config",
		Entries: d.entries(r, false), Err: err}
}

// entries converts report entries; with warningsOnly, errors are left out.
func (d *document) entries(r report.Report, warningsOnly bool) []Entry {
	var out []Entry
	for _, e := range r.Entries {
		if warningsOnly && e.Kind.IsFatal() {
			continue
		}
		entry := Entry{Severity: e.Kind.String(), Source: d.source, Path: e.Context.String(), Message: e.Message}
		if e.Marker.StartP != nil {
			entry.Line, entry.Column = int(e.Marker.StartP.Line), int(e.Marker.StartP.Column)
		}
		if e.Message == common.ErrDecimalMode.Error() {
			entry.Message = decimalModeMessage(d.root, entry.Line, entry.Column)
		}
		out = append(out, entry)
	}
	return out
}
