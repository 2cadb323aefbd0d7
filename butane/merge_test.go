package butane

import (
	"reflect"
	"strings"
	"testing"
)

const suidFile = "storage:\n  files:\n    - path: /usr/local/bin/x\n      mode: 04755\n" +
	"      contents:\n        inline: hi\n"

// TestDowngradeRefusesDroppedModeBits: special mode bits that the variant's
// spec applies but the asked spec would drop fail with the field and the
// spec that applies them; where they were already not applied, the
// validator's warning is surfaced (and fails strict).
func TestDowngradeRefusesDroppedModeBits(t *testing.T) {
	e := mustError(t, Options{Content: []byte("variant: fcos\nversion: 1.7.0\n" + suidFile), IgnitionVersion: "3.3.0"})
	if e.Attribute != AttrIgnitionVersion || len(e.Entries) != 1 || e.Entries[0].Line != 6 ||
		!strings.Contains(e.Entries[0].Message, "$.storage.files.0.mode") ||
		!strings.Contains(e.Entries[0].Message, "needs spec 3.6.0") {
		t.Errorf("error = %v", e)
	}
	for _, target := range []string{"flatcar-3510.2.0", "ignition-2.14"} {
		e = mustError(t, Options{Content: []byte("variant: fcos\nversion: 1.7.0\n" + suidFile), Target: target})
		if e.Attribute != AttrTarget || len(e.Entries) != 1 {
			t.Errorf("target %s: error = %v", target, e)
		}
	}

	old := []byte("variant: fcos\nversion: 1.5.0\n" + suidFile)
	res := mustTranslate(t, Options{Content: old, IgnitionVersion: "3.3.0"})
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Message, "setuid") || res.Warnings[0].Line != 6 {
		t.Errorf("warnings = %+v, want one setuid warning on line 6", res.Warnings)
	}
	e = mustError(t, Options{Content: old, IgnitionVersion: "3.3.0", Strict: true})
	if e.Summary != StrictSummary {
		t.Errorf("strict: %v", e)
	}
}

// TestMergedValidatorWarningsSurface: a warning that only the merged
// config has is reported, located in the snippet, and fails strict.
func TestMergedValidatorWarningsSurface(t *testing.T) {
	main := "variant: fcos\nversion: 1.4.0\n"
	snippet := "variant: fcos\nversion: 1.5.0\n" + suidFile
	res := mustTranslate(t, Options{Content: []byte(main), Snippets: [][]byte{[]byte(snippet)}, IgnitionVersion: "3.3.0"})
	found := false
	for _, w := range res.Warnings {
		if w.Source == 0 && w.Line == 6 && strings.Contains(w.Message, "setuid") {
			found = true
		}
	}
	if !found {
		t.Errorf("warnings = %+v, want the setuid warning on snippets[0] line 6", res.Warnings)
	}
	mustError(t, Options{Content: []byte(main), Snippets: [][]byte{[]byte(snippet)}, IgnitionVersion: "3.3.0", Strict: true})
}

// TestMergeErrorsAreLocatedInContributor: errors that only the merged
// config has point at the document and line that contributed the value.
func TestMergeErrorsAreLocatedInContributor(t *testing.T) {
	main := "variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /etc/x\n"
	link := "variant: fcos\nversion: 1.4.0\nstorage:\n  links:\n    - path: /etc/a\n      target: /tmp\n"
	dir := "variant: fcos\nversion: 1.4.0\n# a comment\nstorage:\n  directories:\n    - path: /etc/a/b\n"
	e := mustError(t, Options{Content: []byte(main), Snippets: [][]byte{[]byte(link), []byte(dir)}})
	if len(e.Entries) != 1 || e.Entries[0].Source != 1 || e.Entries[0].Line != 6 || e.Entries[0].Column != 7 {
		t.Errorf("entries = %+v, want snippets[1] line 6 col 7", e.Entries)
	}
}

// TestStaleVerificationWarns: a snippet that replaces a file's source but
// not its hash gets a warning on its source naming where the hash is from.
func TestStaleVerificationWarns(t *testing.T) {
	main := "variant: flatcar\nversion: 1.1.0\nstorage:\n  files:\n    - path: /etc/app.conf\n" +
		"      contents:\n        source: https://example.com/app.conf\n        verification:\n" +
		"          hash: sha512-" + strings.Repeat("ab", 64) + "\n"
	replaced := "variant: flatcar\nversion: 1.1.0\nstorage:\n  files:\n    - path: /etc/app.conf\n" +
		"      contents:\n        inline: new\n"
	res := mustTranslate(t, Options{Content: []byte(main), Snippets: [][]byte{[]byte(replaced)}})
	if len(res.Warnings) != 1 || res.Warnings[0].Source != 0 || res.Warnings[0].Line != 7 ||
		!strings.Contains(res.Warnings[0].Message, "content (line 9)") {
		t.Errorf("warnings = %+v, want one on snippets[0] line 7 naming content line 9", res.Warnings)
	}
	// The same snippet with its own hash, or one that changes only the mode: no warning.
	withHash := replaced + "        verification:\n          hash: sha512-" + strings.Repeat("cd", 64) + "\n"
	modeOnly := "variant: flatcar\nversion: 1.1.0\nstorage:\n  files:\n    - path: /etc/app.conf\n      mode: 0600\n"
	for _, s := range []string{withHash, modeOnly} {
		if res := mustTranslate(t, Options{Content: []byte(main), Snippets: [][]byte{[]byte(s)}}); len(res.Warnings) != 0 {
			t.Errorf("unexpected warnings %+v", res.Warnings)
		}
	}
}

// TestEntriesAreSorted: the same input gives the same entry order, sorted
// by input, line, column, path and message, in results and in errors.
func TestEntriesAreSorted(t *testing.T) {
	src := "variant: fcos\nversion: 1.4.0\na1: 1\na2: 2\na3: 3\na4: 4\na5: 5\nstorage:\n  b1: 1\n  b2: 2\n" +
		"  b3: 3\n  files:\n    - path: /x\n      c1: 1\n      c2: 2\n      mode: 644\n"
	first := mustTranslate(t, Options{Content: []byte(src)}).Warnings
	if len(first) < 10 {
		t.Fatalf("warnings = %+v", first)
	}
	for i := 1; i < len(first); i++ {
		a, b := first[i-1], first[i]
		if a.Line > b.Line || (a.Line == b.Line && a.Column > b.Column) {
			t.Errorf("not sorted: %+v before %+v", a, b)
		}
	}
	for range 20 {
		if got := mustTranslate(t, Options{Content: []byte(src)}).Warnings; !reflect.DeepEqual(got, first) {
			t.Fatalf("order changed:\n%+v\n%+v", got, first)
		}
		e := mustError(t, Options{Content: []byte(src), Strict: true})
		if !reflect.DeepEqual(e.Entries, first) {
			t.Fatalf("strict entries differ:\n%+v\n%+v", e.Entries, first)
		}
	}
}

// TestWarningsKeptOnLaterFailure: entries gathered before a failure come
// with the error; spec errors point at the contributing document's line.
func TestWarningsKeptOnLaterFailure(t *testing.T) {
	main := "variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: /x\n      contnts: {inline: x}\n"
	kargs := "variant: fcos\nversion: 1.6.0\n\nkernel_arguments:\n  should_exist: [quiet]\n"
	e := mustError(t, Options{Content: []byte(main), Snippets: [][]byte{[]byte(kargs)}, IgnitionVersion: "3.2.0"})
	var warned, located bool
	for _, en := range e.Entries {
		if en.Severity == "warning" && en.Source == -1 && en.Line == 6 {
			warned = true
		}
		if en.Severity == "error" && en.Source == 0 && en.Line == 5 && strings.Contains(en.Message, "kernelArguments") {
			located = true
		}
	}
	if !warned || !located {
		t.Errorf("entries = %+v, want content's warning on line 6 and the spec error on snippets[0] line 5", e.Entries)
	}
	bad := "variant: fcos\nversion: 1.4.0\nstorage:\n  files:\n    - path: rel\n"
	e = mustError(t, Options{Content: []byte(main), Snippets: [][]byte{[]byte(bad)}})
	if e.Source != 0 || len(e.Entries) != 2 || e.Entries[0].Source != -1 || e.Entries[0].Severity != "warning" {
		t.Errorf("entries = %+v, want content's warning then the snippet's error", e.Entries)
	}
}
