// Package butane translates Butane YAML to Ignition JSON: one main document
// plus snippets merged the Ignition way, local files confined to a files
// directory, any Ignition 3.x output spec (translated up with Ignition's own
// translators, or down by re-expressing the config in the older spec's types),
// located report entries, and Butane's compression choice made with pooled
// gzip writers. It is the only package of hardnode that imports Butane, and
// it never imports Terraform.
package butane

import (
	"errors"
	"fmt"

	"github.com/coreos/butane/config/common"
)

// Compression choices for Options.Compression.
const (
	CompressionAuto = "auto" // gzip embedded contents where that is smaller, as Butane does
	CompressionNone = "none" // never gzip: larger output, less work
)

// Options says what to translate and how.
type Options struct {
	Content         []byte   // the main Butane document
	Snippets        [][]byte // Butane documents merged into the main one, in order
	FilesDir        string   // directory for local: sources and tree: entries
	Strict          bool     // any warning fails the translation
	PrettyPrint     bool     // indent the rendered JSON
	IgnitionVersion string   // output spec such as "3.3.0"; empty: from Target or the variant
	Target          string   // "flatcar-3510.2.0", "microos", "ignition-2.14"; empty: none
	Compression     string   // CompressionAuto (default when empty) or CompressionNone
}

// Entry is one entry of Butane's report.
type Entry struct {
	Severity string // "error", "warning" or "info"
	Source   int    // -1: Content; i >= 0: Snippets[i]
	Line     int    // 1-based; 0 when unknown
	Column   int    // 1-based; 0 when unknown
	Path     string // JSON path of the offending node, e.g. "$.storage.files.0"
	Message  string
}

// Result is a successful translation.
type Result struct {
	Rendered        []byte
	IgnitionVersion string
	Warnings        []Entry
}

// Translate renders opts to Ignition. Failures are *Error values.
func Translate(opts Options) (*Result, error) {
	want, err := outputSpec(opts)
	if err != nil {
		return nil, err
	}
	if opts.Compression != "" && opts.Compression != CompressionAuto && opts.Compression != CompressionNone {
		return nil, &Error{Attribute: "compression", Summary: "Unknown compression",
			Err: fmt.Errorf("compression %q: want %q or %q", opts.Compression, CompressionAuto, CompressionNone)}
	}
	compress := opts.Compression != CompressionNone
	topts := common.TranslateOptions{FilesDir: opts.FilesDir, NoResourceAutoCompression: true}

	docs := make([]*translated, 0, 1+len(opts.Snippets))
	var warnings []Entry
	var mainVariant string
	for i := -1; i < len(opts.Snippets); i++ {
		src := opts.Content
		if i >= 0 {
			src = opts.Snippets[i]
		}
		doc, err := parseDocument(src, i)
		if err != nil {
			return nil, err
		}
		if i < 0 {
			mainVariant = doc.variant.variant
		} else if doc.variant.variant != mainVariant {
			return nil, &Error{Attribute: AttrSnippets, Source: i, Summary: "Snippet variant differs",
				Err: fmt.Errorf("snippet has variant %s but content has %s: snippets must use the same variant",
					doc.variant.variant, mainVariant)}
		}
		if entries := checkLocalPaths(doc.root, opts.FilesDir, i); len(entries) > 0 {
			return nil, &Error{Attribute: attributeOf(i), Source: i, Summary: "Local file refused",
				Entries: entries, Err: errors.New("a local file reference is outside files_dir or missing")}
		}
		tr, err := doc.translate(topts, compress)
		if err != nil {
			return nil, err
		}
		warnings = append(warnings, doc.entries(tr.report, true)...)
		docs = append(docs, tr)
	}
	if opts.Strict {
		if err := strictError(warnings); err != nil {
			return nil, err
		}
	}

	cfg, spec, changed, err := combine(docs, want, opts)
	if err != nil {
		return nil, err
	}
	if changed {
		if r := validateConfig(cfg); r.IsFatal() {
			e := &Error{Attribute: AttrContent, Source: -1, Summary: "Rendered config is invalid",
				Err: fmt.Errorf("the config in spec %s fails Ignition's validation", specs[spec].version)}
			for _, entry := range r.Entries {
				e.Entries = append(e.Entries, Entry{Severity: entry.Kind.String(), Source: -1,
					Path: entry.Context.String(), Message: entry.Message})
			}
			return nil, e
		}
	}

	rendered, err := marshalConfig(cfg, opts.PrettyPrint)
	if err != nil {
		return nil, fmt.Errorf("marshal ignition config: %w", err)
	}
	return &Result{Rendered: rendered, IgnitionVersion: specs[spec].version, Warnings: warnings}, nil
}

// outputSpec returns the index of the asked output spec, or -1 for the
// variant's own.
func outputSpec(opts Options) (int, error) {
	want := -1
	if opts.IgnitionVersion != "" {
		want = specIndex(opts.IgnitionVersion)
		if want < 0 {
			return 0, &Error{Attribute: AttrIgnitionVersion, Summary: "Unknown Ignition spec version",
				Err: fmt.Errorf("ignition_version %q: want one of %s", opts.IgnitionVersion, stableSpecs())}
		}
	}
	if opts.Target == "" {
		return want, nil
	}
	maxSpec, err := TargetSpec(opts.Target)
	if err != nil {
		return 0, &Error{Attribute: AttrTarget, Summary: "Unknown target", Err: err}
	}
	if want < 0 {
		return specIndex(maxSpec), nil
	}
	if want > specIndex(maxSpec) {
		return 0, &Error{Attribute: AttrIgnitionVersion, Summary: "Spec too new for target",
			Err: fmt.Errorf("ignition_version %s is newer than %s accepts (at most %s)",
				opts.IgnitionVersion, opts.Target, maxSpec)}
	}
	return want, nil
}

// combine merges the translated documents and converts the result to the
// wanted spec. changed reports whether the config differs from what the
// validated translation of the main document gave.
func combine(docs []*translated, want int, opts Options) (any, int, bool, error) {
	cfg, spec, changed := docs[0].config, docs[0].spec, false
	if len(docs) > 1 {
		for _, d := range docs[1:] {
			spec = max(spec, d.spec)
		}
		var err error
		if cfg, err = convert(cfg, docs[0].spec, spec); err != nil {
			return nil, 0, false, err
		}
		for _, d := range docs[1:] {
			child, err := convert(d.config, d.spec, spec)
			if err != nil {
				return nil, 0, false, err
			}
			cfg = mergeConfigs(cfg, child)
		}
		changed = true
	}
	if want >= 0 && want != spec {
		converted, err := convert(cfg, spec, want)
		if err != nil {
			attr := AttrIgnitionVersion
			if opts.IgnitionVersion == "" {
				attr = AttrTarget
			}
			return nil, 0, false, &Error{Attribute: attr, Summary: "Config needs a newer Ignition spec", Err: err}
		}
		cfg, spec, changed = converted, want, true
	}
	return cfg, spec, changed, nil
}

// strictError fails on any warning: strict is hardnode's rule, not Butane's.
func strictError(warnings []Entry) error {
	var found []Entry
	for _, w := range warnings {
		if w.Severity == "warning" {
			found = append(found, w)
		}
	}
	if len(found) == 0 {
		return nil
	}
	return &Error{Attribute: attributeOf(found[0].Source), Source: found[0].Source,
		Summary: "Butane warnings in strict mode", Entries: found,
		Err: errors.New("strict is set and Butane reported warnings")}
}
