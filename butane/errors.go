package butane

import (
	"fmt"
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
