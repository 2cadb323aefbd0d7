package butane

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v3_3 "github.com/coreos/ignition/v2/config/v3_3"
	v3_4 "github.com/coreos/ignition/v2/config/v3_4"
	v3_5 "github.com/coreos/ignition/v2/config/v3_5"
)

const flatcar11 = `variant: flatcar
version: 1.1.0
passwd:
  users:
    - name: core
      ssh_authorized_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ7 test"]
storage:
  files:
    - path: /etc/hostname
      mode: 0644
      contents:
        inline: node-1
`

func mustTranslate(t *testing.T, opts Options) *Result {
	t.Helper()
	res, err := Translate(opts)
	if err != nil {
		t.Fatalf("Translate: %v", err)
	}
	return res
}

func mustError(t *testing.T, opts Options) *Error {
	t.Helper()
	_, err := Translate(opts)
	var berr *Error
	if !errors.As(err, &berr) {
		t.Fatalf("Translate error = %v (%T), want *butane.Error", err, err)
	}
	return berr
}

func TestTargetSpec(t *testing.T) {
	cases := []struct{ target, want string }{
		{"flatcar-3185.0.0", "3.3.0"},
		{"flatcar-3510.2.0", "3.3.0"},
		{"flatcar-3602.2.3", "3.4.0"},
		{"flatcar-4081.2.0", "3.4.0"},
		{"flatcar-4152.2.0", "3.5.0"},
		{"flatcar-4593", "3.5.0"},
		{"flatcar-9999.0.0", "3.5.0"},
		{"microos", "3.6.0"},
		{"ignition-2.14", "3.3.0"},
		{"ignition-2.15.0", "3.4.0"},
		{"ignition-2.19", "3.4.0"},
		{"ignition-2.20", "3.5.0"},
		{"ignition-2.26", "3.6.0"},
	}
	for _, c := range cases {
		got, err := TargetSpec(c.target)
		if err != nil || got != c.want {
			t.Errorf("TargetSpec(%q) = %q, %v; want %q", c.target, got, err, c.want)
		}
	}
	for _, bad := range []string{"flatcar-2905.2.0", "flatcar-x", "ignition-3.0", "ubuntu", "ignition-2"} {
		if got, err := TargetSpec(bad); err == nil {
			t.Errorf("TargetSpec(%q) = %q, want an error", bad, got)
		}
	}
}

func TestOutputSpecSelection(t *testing.T) {
	cases := []struct {
		name, version, target, want string
		parse                       func([]byte) error
	}{
		{"variant's own", "", "", "3.4.0", func(b []byte) error { _, _, err := v3_4.Parse(b); return err }},
		{"downgrade by version", "3.3.0", "", "3.3.0", func(b []byte) error { _, _, err := v3_3.Parse(b); return err }},
		{"downgrade by target", "", "flatcar-3510.2.0", "3.3.0", func(b []byte) error { _, _, err := v3_3.Parse(b); return err }},
		{"ignition release", "", "ignition-2.14", "3.3.0", func(b []byte) error { _, _, err := v3_3.Parse(b); return err }},
		{"upward", "3.5.0", "", "3.5.0", func(b []byte) error { _, _, err := v3_5.Parse(b); return err }},
		{"version within target", "3.3.0", "flatcar-4152.2.0", "3.3.0", func(b []byte) error { _, _, err := v3_3.Parse(b); return err }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := mustTranslate(t, Options{Content: []byte(flatcar11), IgnitionVersion: c.version, Target: c.target})
			if res.IgnitionVersion != c.want {
				t.Errorf("IgnitionVersion = %s, want %s", res.IgnitionVersion, c.want)
			}
			if !bytes.Contains(res.Rendered, []byte(`"version":"`+c.want+`"`)) {
				t.Errorf("rendered does not declare %s: %s", c.want, res.Rendered)
			}
			if err := c.parse(res.Rendered); err != nil {
				t.Errorf("Ignition %s parser rejects the output: %v", c.want, err)
			}
		})
	}
}

func TestOutputSpecErrors(t *testing.T) {
	e := mustError(t, Options{Content: []byte(flatcar11), IgnitionVersion: "3.5.0", Target: "flatcar-3510.2.0"})
	if e.Attribute != AttrIgnitionVersion || !strings.Contains(e.Error(), "at most 3.3.0") {
		t.Errorf("newer than target: got %v on %s", e, e.Attribute)
	}
	e = mustError(t, Options{Content: []byte(flatcar11), IgnitionVersion: "3.9.0"})
	if e.Attribute != AttrIgnitionVersion {
		t.Errorf("unknown spec on %s: %v", e.Attribute, e)
	}
	e = mustError(t, Options{Content: []byte(flatcar11), Target: "windows"})
	if e.Attribute != AttrTarget {
		t.Errorf("unknown target on %s: %v", e.Attribute, e)
	}
}

func TestDowngradeRefusesFieldWithoutPlace(t *testing.T) {
	src := `variant: fcos
version: 1.6.0
kernel_arguments:
  should_exist: [mitigations=auto]
`
	e := mustError(t, Options{Content: []byte(src), IgnitionVersion: "3.2.0"})
	var derr *DowngradeError
	if !errors.As(e, &derr) {
		t.Fatalf("error %v does not wrap a *DowngradeError", e)
	}
	if derr.Field != "$.kernelArguments" || derr.MinSpec != "3.3.0" {
		t.Errorf("DowngradeError = %+v, want field $.kernelArguments, min spec 3.3.0", derr)
	}
	// Spec 3.3.0 has kernel arguments: the same config goes down that far.
	res := mustTranslate(t, Options{Content: []byte(src), IgnitionVersion: "3.3.0"})
	if _, _, err := v3_3.Parse(res.Rendered); err != nil {
		t.Errorf("3.3.0 output rejected: %v", err)
	}
}

func TestSnippetsMerge(t *testing.T) {
	snippet := `variant: flatcar
version: 1.0.0
passwd:
  users:
    - name: ops
storage:
  files:
    - path: /etc/hostname
      mode: 0644
      overwrite: true
      contents:
        inline: node-2
`
	res := mustTranslate(t, Options{Content: []byte(flatcar11), Snippets: [][]byte{[]byte(snippet)}})
	if res.IgnitionVersion != "3.4.0" {
		t.Errorf("merged spec = %s, want 3.4.0 (the newest of the documents)", res.IgnitionVersion)
	}
	cfg, _, err := v3_4.Parse(res.Rendered)
	if err != nil {
		t.Fatalf("merged config invalid: %v", err)
	}
	if len(cfg.Passwd.Users) != 2 || cfg.Passwd.Users[0].Name != "core" || cfg.Passwd.Users[1].Name != "ops" {
		t.Errorf("users = %+v, want core then ops (lists append)", cfg.Passwd.Users)
	}
	if len(cfg.Storage.Files) != 1 || cfg.Storage.Files[0].Contents.Source == nil ||
		!strings.Contains(*cfg.Storage.Files[0].Contents.Source, "node-2") {
		t.Errorf("files = %+v, want one /etc/hostname with the snippet's contents (later wins)", cfg.Storage.Files)
	}
}

func TestSnippetErrorsNameTheSnippet(t *testing.T) {
	fcos := "variant: fcos\nversion: 1.5.0\n"
	e := mustError(t, Options{Content: []byte(flatcar11), Snippets: [][]byte{[]byte(flatcar11), []byte(fcos)}})
	if e.Attribute != AttrSnippets || e.Source != 1 || e.Input() != "snippets[1]" {
		t.Errorf("variant mismatch on %s source %d: %v", e.Attribute, e.Source, e)
	}
	bad := "variant: flatcar\nversion: 1.1.0\nstorage:\n  files:\n    - path: /x\n      mode: abc\n"
	e = mustError(t, Options{Content: []byte(flatcar11), Snippets: [][]byte{[]byte(bad)}})
	if e.Source != 0 || len(e.Entries) == 0 || e.Entries[0].Line != 6 {
		t.Errorf("bad snippet: source %d entries %+v, want snippet 0 line 6", e.Source, e.Entries)
	}
}

func TestHeaderErrorsAreLocated(t *testing.T) {
	cases := []struct {
		name, src, message string
		line, column       int
	}{
		{"missing variant", "# c\nversion: 1.1.0\n", "variant", 2, 1},
		{"unknown variant", "version: 1.1.0\nvariant: plan9\n", "No translator exists for variant plan9", 2, 10},
		{"unknown variant case", "variant: FCOS\nversion: 1.4.0\n", "variant FCOS", 1, 10},
		{"variant list", "variant: [fcos]\nversion: 1.4.0\n", "variant must be a string", 1, 10},
		{"not a mapping", "- variant: fcos\n", "must be a YAML mapping", 1, 1},
		{"bad version", "variant: flatcar\n\nversion: one\n", "valid semver", 3, 10},
		{"missing version", "variant: flatcar\n", "valid semver", 1, 1},
		{"unknown version", "variant: flatcar\nversion: 1.2.0\n", "No translator exists", 2, 10},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := mustError(t, Options{Content: []byte(c.src)})
			if len(e.Entries) != 1 {
				t.Fatalf("entries = %+v, want one", e.Entries)
			}
			got := e.Entries[0]
			if got.Line != c.line || got.Column != c.column || !strings.Contains(got.Message, c.message) {
				t.Errorf("entry = %+v, want line %d col %d containing %q", got, c.line, c.column, c.message)
			}
		})
	}
}

func TestYAMLErrorsAreLocated(t *testing.T) {
	typeErr := "variant: flatcar\nversion: 1.1.0\nstorage:\n  files:\n    - path: /x\n      mode: abc\n"
	e := mustError(t, Options{Content: []byte(typeErr)})
	if len(e.Entries) != 1 || e.Entries[0].Line != 6 || e.Entries[0].Column != 13 {
		t.Errorf("type error entries = %+v, want line 6 col 13", e.Entries)
	}
	syntaxErr := "variant: flatcar\nversion: 1.1.0\nstorage: [\n"
	e = mustError(t, Options{Content: []byte(syntaxErr)})
	if len(e.Entries) != 1 || e.Entries[0].Line == 0 {
		t.Errorf("syntax error entries = %+v, want a line", e.Entries)
	}
}

func TestStrictFailsOnWarnings(t *testing.T) {
	src := strings.Replace(flatcar11, "      contents:", "      contnts:", 1)
	res := mustTranslate(t, Options{Content: []byte(src)})
	if len(res.Warnings) != 1 || res.Warnings[0].Line != 11 {
		t.Fatalf("warnings = %+v, want one unused-key warning on line 11", res.Warnings)
	}
	e := mustError(t, Options{Content: []byte(src), Strict: true})
	if e.Attribute != AttrContent || len(e.Entries) != 1 || e.Entries[0].Line != 11 {
		t.Errorf("strict error = %+v", e)
	}
	mustTranslate(t, Options{Content: []byte(flatcar11), Strict: true})
}

func TestDecimalModeWarningSaysWhichOctal(t *testing.T) {
	src := strings.Replace(flatcar11, "mode: 0644", "mode: 644", 1)
	res := mustTranslate(t, Options{Content: []byte(src)})
	found := false
	for _, w := range res.Warnings {
		if w.Line == 10 && strings.Contains(w.Message, "0644") && strings.Contains(w.Message, "0o1204") {
			found = true
		}
	}
	if !found {
		t.Errorf("warnings = %+v, want one on line 10 naming 0644 and the octal value 0o1204", res.Warnings)
	}
	if ok := mustTranslate(t, Options{Content: []byte(flatcar11)}); len(ok.Warnings) != 0 {
		t.Errorf("mode 0644 warned: %+v", ok.Warnings)
	}
}

func TestPrettyPrintAndDeterminism(t *testing.T) {
	opts := Options{Content: []byte(flatcar11), Snippets: [][]byte{[]byte(flatcar11)}, PrettyPrint: true}
	a := mustTranslate(t, opts)
	b := mustTranslate(t, opts)
	if !bytes.Equal(a.Rendered, b.Rendered) {
		t.Error("the same inputs gave different output")
	}
	if !bytes.Contains(a.Rendered, []byte("\n  \"ignition\": {")) {
		t.Errorf("pretty output not indented: %s", a.Rendered)
	}
	compact := mustTranslate(t, Options{Content: []byte(flatcar11)})
	if bytes.Contains(compact.Rendered, []byte("\n")) {
		t.Errorf("compact output has newlines: %s", compact.Rendered)
	}
}

func TestCompressionNone(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(corpusDir, "08-flatcar-files-dir-assets.bu"))
	if err != nil {
		t.Fatal(err)
	}
	filesDir := filepath.Join(corpusDir, "files")
	auto := mustTranslate(t, Options{Content: src, FilesDir: filesDir})
	none := mustTranslate(t, Options{Content: src, FilesDir: filesDir, Compression: CompressionNone})
	if !bytes.Contains(auto.Rendered, []byte(`"compression":"gzip"`)) {
		t.Fatal("corpus 08 has no gzip-compressed file with automatic compression: test input changed?")
	}
	if bytes.Contains(none.Rendered, []byte(`"gzip"`)) {
		t.Error("compression none still gzipped a file")
	}
	if normalizeIgnition(t, auto.Rendered) != normalizeIgnition(t, none.Rendered) {
		t.Error("auto and none differ in content")
	}
	if _, err := Translate(Options{Content: src, Compression: "zstd"}); err == nil {
		t.Error("unknown compression accepted")
	}
}

func TestFilesDirConfinement(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "files")
	for _, d := range []string{dir, filepath.Join(dir, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "ok.txt"), "inside")
	write(filepath.Join(root, "secret"), "outside")
	if err := os.Symlink(filepath.Join(root, "secret"), filepath.Join(dir, "leak")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("ok.txt", filepath.Join(dir, "sub", "inner")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../ok.txt", filepath.Join(dir, "sub", "up")); err != nil {
		t.Fatal(err)
	}
	cfg := func(local string) []byte {
		return []byte("variant: flatcar\nversion: 1.1.0\nstorage:\n  files:\n    - path: /etc/x\n" +
			"      contents:\n        local: " + local + "\n")
	}

	res := mustTranslate(t, Options{Content: cfg("ok.txt"), FilesDir: dir})
	if !bytes.Contains(res.Rendered, []byte("inside")) {
		t.Errorf("ok.txt not embedded: %s", res.Rendered)
	}
	mustTranslate(t, Options{Content: cfg("sub/up"), FilesDir: dir}) // a symlink that stays inside

	cases := []struct{ local, message string }{
		{"../secret", "traverses outside the files directory"},
		{"/etc/passwd", "is absolute"},
		{"leak", "symlink"},
		{"missing.txt", `"missing.txt" does not exist`},
	}
	for _, c := range cases {
		e := mustError(t, Options{Content: cfg(c.local), FilesDir: dir})
		if len(e.Entries) != 1 {
			t.Fatalf("%s: entries %+v", c.local, e.Entries)
		}
		got := e.Entries[0]
		if got.Line != 7 || got.Column != 16 || got.Path != "$.storage.files.0.contents.local" ||
			!strings.Contains(got.Message, c.message) {
			t.Errorf("%s: entry %+v, want line 7 col 16 containing %q", c.local, got, c.message)
		}
	}
}
