package butane

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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
	doc    *document
	config any // a types.Config value of spec specs[spec]
	spec   int
	report report.Report
	ts     translate.TranslationSet // Ignition JSON paths to the YAML paths they came from
	ctx    tree.Node                // YAML positions
}

var yamlLineRe = regexp.MustCompile(`line (\d+): (.*)`)

// parseDocument parses src and checks its header (variant and version) the
// way Butane reads it (aliases and merge keys resolved), locating header
// errors on the line of the header key. A second YAML document, which
// Butane ignores, is reported as a warning in the returned entries.
func parseDocument(src []byte, source int) (*document, []Entry, error) {
	var top yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(src))
	if err := dec.Decode(&top); err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, yamlError(src, source, nil, err)
	}
	doc := &document{source: source, src: src, root: &top}
	if top.Kind == yaml.DocumentNode && len(top.Content) > 0 {
		doc.root = top.Content[0]
	}
	var notes []Entry
	if bytes.Contains(src, []byte("---")) || bytes.Contains(src, []byte("...")) {
		var next yaml.Node
		if err := dec.Decode(&next); err == nil {
			line := next.Line
			if len(next.Content) > 0 {
				line = next.Content[0].Line
			}
			notes = append(notes, Entry{Severity: "warning", Source: source, Line: line, Column: 1,
				Message: "a second YAML document starts here; Butane reads only the first document " +
					"and ignores the rest: put each document into its own snippet"})
		}
	}

	variantVal := lookupNode(doc.root, []any{"variant"})
	versionVal := lookupNode(doc.root, []any{"version"})
	at := func(n *yaml.Node, p, msg string) Entry {
		e := Entry{Severity: "error", Source: source, Path: p, Line: 1, Column: 1, Message: msg}
		switch {
		case n != nil:
			e.Line, e.Column = n.Line, n.Column
		case doc.root.Line > 0:
			e.Line, e.Column = doc.root.Line, doc.root.Column
		}
		return e
	}
	headerError := func(n *yaml.Node, p, summary, msg string, err error) error {
		return &Error{Attribute: attributeOf(source), Source: source, Summary: summary,
			Entries: append([]Entry{at(n, p, msg)}, notes...), Err: err}
	}

	if v := deref(variantVal); v != nil && v.Kind != yaml.ScalarNode {
		return nil, nil, headerError(variantVal, "$.variant", "Invalid Butane variant",
			`variant must be a string such as "flatcar" or "fcos"`, common.ErrNoVariant)
	}
	if v := deref(versionVal); v != nil && v.Kind != yaml.ScalarNode {
		return nil, nil, headerError(versionVal, "$.version", "Invalid Butane version",
			`version must be a string such as "1.1.0"`, common.ErrInvalidVersion)
	}
	if r := deref(doc.root); r != nil && r.Kind != 0 && r.Kind != yaml.MappingNode {
		return nil, nil, headerError(r, "$", "Invalid Butane config",
			"a Butane config must be a YAML mapping that starts with variant and version", common.ErrNoVariant)
	}
	var hdr struct {
		Variant string `yaml:"variant"`
		Version string `yaml:"version"`
	}
	if r := deref(doc.root); r != nil && r.Kind == yaml.MappingNode {
		if err := doc.root.Decode(&hdr); err != nil {
			return nil, nil, yamlError(src, source, doc.root, err)
		}
	}
	if hdr.Variant == "" {
		return nil, nil, headerError(variantVal, "$.variant", "Missing Butane variant",
			common.ErrNoVariant.Error()+` (add e.g. "variant: flatcar" at the top)`, common.ErrNoVariant)
	}
	version, _ := semver.NewVersion(hdr.Version)
	if version == nil {
		return nil, nil, headerError(versionVal, "$.version", "Invalid Butane version",
			common.ErrInvalidVersion.Error()+` (e.g. "version: 1.1.0")`, common.ErrInvalidVersion)
	}
	v, err := lookupVariant(hdr.Variant, version.String())
	if err != nil {
		if !knownVariant(hdr.Variant) {
			return nil, nil, headerError(variantVal, "$.variant", "Unsupported Butane variant", err.Error(), err)
		}
		return nil, nil, headerError(versionVal, "$.version", "Unsupported Butane variant or version",
			err.Error(), err)
	}
	doc.variant = v
	return doc, notes, nil
}

// entryAt makes an entry located at the YAML path at (or, when the path is
// not written as such, at its nearest written ancestor).
func (d *document) entryAt(at path.ContextPath, severity, msg string) Entry {
	e := Entry{Severity: severity, Source: d.source, Path: at.String(), Message: msg}
	for n := len(at.Path); n >= 0; n-- {
		if node := lookupNode(d.root, at.Path[:n]); node != nil {
			e.Line, e.Column = node.Line, node.Column
			break
		}
	}
	return e
}

// yamlError turns a YAML syntax or type error into located entries. YAML
// reports lines only; for type errors the column of the offending value is
// looked up in the parsed tree.
func yamlError(src []byte, source int, root *yaml.Node, err error) *Error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
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
	if err := d.checkLocalRefs(localRefs(reflect.ValueOf(cfgPtr)), opts.FilesDir); err != nil {
		return nil, err
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

	final, ts, tr, err := d.translateValidated(cfg, opts, compress)
	tr.Correlate(ctx)
	r.Merge(tr)
	if err != nil {
		return nil, d.reportError(r, err)
	}
	return &translated{doc: d, config: final, spec: specIndex(d.variant.spec), report: r, ts: ts, ctx: ctx}, nil
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
		switch e.Message {
		case common.ErrDecimalMode.Error():
			entry.Message = decimalModeMessage(d.root, entry.Line, entry.Column)
		case common.ErrNoFilesDir.Error():
			entry.Message = "local file paths are relative to a files directory: set files_dir"
		}
		out = append(out, entry)
	}
	return out
}
