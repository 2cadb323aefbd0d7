// Package butane translates Butane YAML to Ignition JSON. It is the only
// package of hardnode that imports Butane, and it never imports Terraform.
package butane

import (
	"fmt"

	"github.com/coreos/butane/config"
	"github.com/coreos/butane/config/common"
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

// Translate renders opts to Ignition.
//
// TODO(#2): snippets, output spec selection, targets and full report
// surfacing are being completed under issue 2.
func Translate(opts Options) (*Result, error) {
	out, rpt, err := config.TranslateBytes(opts.Content, common.TranslateBytesOptions{
		TranslateOptions: common.TranslateOptions{FilesDir: opts.FilesDir},
		Pretty:           opts.PrettyPrint,
	})
	if err != nil {
		return nil, fmt.Errorf("translate butane: %w: %s", err, rpt.String())
	}
	res := &Result{Rendered: out}
	for _, e := range rpt.Entries {
		res.Warnings = append(res.Warnings, Entry{Severity: e.Kind.String(), Source: -1,
			Line: int(e.Marker.StartP.Line), Column: int(e.Marker.StartP.Column), Path: e.Context.String(), Message: e.Message})
	}
	return res, nil
}
