package butane

import (
	"fmt"
	"sort"
	"strings"
)

// Attribute names of the inputs an Error can point at; they match the
// hardnode_butane schema.
const (
	AttrContent         = "content"
	AttrSnippets        = "snippets"
	AttrFilesDir        = "files_dir"
	AttrIgnitionVersion = "ignition_version"
	AttrTarget          = "target"
	AttrCompression     = "compression"
)

// Error is a failed translation. Entries locate each problem in the input
// named by Attribute (and Source, for content and snippets).
type Error struct {
	Attribute string  // one of the Attr* constants
	Source    int     // -1: Content; i >= 0: Snippets[i]
	Summary   string  // the problem in a few words, e.g. "Invalid Butane config"
	Entries   []Entry // located problems, errors first as Butane reported them
	Err       error   // the underlying error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Input())
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString(e.Summary)
	}
	for _, entry := range e.Entries {
		b.WriteString("\n  ")
		b.WriteString(entry.String())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Input names the input at fault, e.g. "content" or "snippets[1]".
func (e *Error) Input() string {
	if e.Attribute == AttrSnippets {
		return fmt.Sprintf("snippets[%d]", e.Source)
	}
	return e.Attribute
}

// String formats the entry like Butane's report, with the position.
func (e Entry) String() string {
	var b strings.Builder
	b.WriteString(e.Severity)
	if e.Path != "" {
		b.WriteString(" at " + e.Path)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ", line %d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, " col %d", e.Column)
		}
	}
	b.WriteString(": " + e.Message)
	return b.String()
}

func attributeOf(source int) string {
	if source < 0 {
		return AttrContent
	}
	return AttrSnippets
}

// sortEntries orders entries by input (content first, then snippets in
// order), line, column, path, message and severity, and drops exact
// duplicates (the same problem found before and after a merge), so that
// the same inputs always give the same list.
func sortEntries(entries []Entry) []Entry {
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		switch {
		case a.Source != b.Source:
			return a.Source < b.Source
		case a.Line != b.Line:
			return a.Line < b.Line
		case a.Column != b.Column:
			return a.Column < b.Column
		case a.Path != b.Path:
			return a.Path < b.Path
		case a.Message != b.Message:
			return a.Message < b.Message
		}
		return a.Severity < b.Severity
	})
	out := entries[:0]
	for _, e := range entries {
		if len(out) > 0 && e == out[len(out)-1] {
			continue
		}
		out = append(out, e)
	}
	return out
}
