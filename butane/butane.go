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
	"github.com/coreos/vcontext/path"
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

// Translate renders opts to Ignition. Failures are *Error values; they
// carry every entry gathered before the failure, warnings included.
func Translate(opts Options) (*Result, error) {
	want, err := outputSpec(opts)
	if err != nil {
		return nil, err
	}
	if err := CheckCompression(opts.Compression); err != nil {
		return nil, &Error{Attribute: AttrCompression, Summary: "Unknown compression", Err: err}
	}
	compress := opts.Compression != CompressionNone
	topts := common.TranslateOptions{FilesDir: opts.FilesDir, NoResourceAutoCompression: true}

	var gathered []Entry
	fail := func(err error) error {
		var berr *Error
		if errors.As(err, &berr) {
			berr.Entries = sortEntries(append(berr.Entries, gathered...))
		}
		return err
	}
	docs := make([]*translated, 0, 1+len(opts.Snippets))
	for i := -1; i < len(opts.Snippets); i++ {
		src := opts.Content
		if i >= 0 {
			src = opts.Snippets[i]
		}
		doc, notes, err := parseDocument(src, i)
		gathered = append(gathered, notes...)
		if err != nil {
			return nil, fail(err)
		}
		if i >= 0 && doc.variant.variant != docs[0].doc.variant.variant {
			e := doc.entryAt(path.New("yaml", "variant"), "error", fmt.Sprintf(
				"snippet has variant %s but content has %s: snippets must use the same variant",
				doc.variant.variant, docs[0].doc.variant.variant))
			return nil, fail(&Error{Attribute: AttrSnippets, Source: i, Summary: "Snippet variant differs",
				Entries: []Entry{e}, Err: errors.New(e.Message)})
		}
		tr, err := doc.translate(topts, compress)
		if err != nil {
			return nil, fail(err)
		}
		gathered = append(gathered, doc.entries(tr.report, true)...)
		docs = append(docs, tr)
	}

	m, err := combine(docs, want, opts)
	if err != nil {
		return nil, fail(err)
	}
	if m.changed {
		r := validateConfig(m.config)
		located := m.locate(r)
		if r.IsFatal() {
			return nil, fail(&Error{Attribute: AttrContent, Source: -1, Summary: "Rendered config is invalid",
				Entries: located, Err: fmt.Errorf("the config in spec %s fails Ignition's validation",
					specs[m.spec].version)})
		}
		gathered = append(gathered, located...)
	}
	gathered = append(gathered, m.staleVerifications()...)
	gathered = sortEntries(gathered)
	if opts.Strict {
		if err := strictError(gathered); err != nil {
			return nil, err
		}
	}

	rendered, err := marshalConfig(m.config, opts.PrettyPrint)
	if err != nil {
		return nil, fmt.Errorf("marshal ignition config: %w", err)
	}
	return &Result{Rendered: rendered, IgnitionVersion: specs[m.spec].version, Warnings: gathered}, nil
}

// outputSpec returns the index of the asked output spec, or -1 for the
// variant's own.
func outputSpec(opts Options) (int, error) {
	want := -1
	if opts.IgnitionVersion != "" {
		if err := CheckIgnitionVersion(opts.IgnitionVersion); err != nil {
			return 0, &Error{Attribute: AttrIgnitionVersion, Summary: "Unknown Ignition spec version", Err: err}
		}
		want = specIndex(opts.IgnitionVersion)
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

// StrictSummary is the summary of the Error that strict mode gives; all its
// entries fail the translation.
const StrictSummary = "Butane warnings in strict mode"

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
		Summary: StrictSummary, Entries: warnings,
		Err: errors.New("strict is set and Butane reported warnings")}
}
