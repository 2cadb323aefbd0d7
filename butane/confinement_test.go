package butane

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fenceDir makes files_dir with an inside file, a directory, and symlinks
// that lead out (to a file and to a directory) next to a secret outside.
func fenceDir(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "files")
	for _, d := range []string{filepath.Join(dir, "sub"), filepath.Join(root, "outside")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for p, s := range map[string]string{
		filepath.Join(dir, "ok.txt"):              "inside",
		filepath.Join(dir, "sub", "a.txt"):        "inside too",
		filepath.Join(root, "outside", "secret"):  "SECRET-OUTSIDE",
		filepath.Join(root, "outside", "secret2"): "SECRET-OUTSIDE",
	} {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{
		"secretlink": filepath.Join(root, "outside", "secret"),
		"outdir":     "../outside",
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestFilesDirFenceSeesResolvedYAML covers the class of references that are
// not written as a plain "local: path" scalar: anchors and aliases (for the
// value, the key, or the whole mapping), merge keys, and every key that
// Butane reads files for. Each must be refused on the resolved real path.
func TestFilesDirFenceSeesResolvedYAML(t *testing.T) {
	dir := fenceDir(t)
	head := "variant: fcos\nversion: 1.5.0\n"
	cases := map[string]struct {
		src  string
		line int
	}{
		"alias value, anchor before": {head + "x-name: &p secretlink\nstorage:\n  files:\n    - path: /a\n" +
			"      contents:\n        local: *p\n", 8},
		"alias value, anchor in used field": {head + "storage:\n  files:\n    - path: /m\n      user: {name: &p secretlink}\n" +
			"    - path: /a\n      contents:\n        local: *p\n", 9},
		"aliased key": {head + "passwd:\n  users:\n    - name: &k local\nstorage:\n  files:\n    - path: /a\n" +
			"      contents:\n        *k : secretlink\n", 10},
		"aliased mapping": {head + "x-c: &c {local: secretlink}\nstorage:\n  files:\n    - path: /a\n" +
			"      contents: *c\n", 3},
		"merge key":           {head + "storage:\n  files:\n    - path: /a\n      <<: {contents: {local: secretlink}}\n", 6},
		"append":              {head + "storage:\n  files:\n    - path: /a\n      append:\n        - local: secretlink\n", 7},
		"unit contents_local": {head + "systemd:\n  units:\n    - name: a.service\n      contents_local: secretlink\n", 6},
		"dropin contents_local": {head + "systemd:\n  units:\n    - name: a.service\n      dropins:\n" +
			"        - name: a.conf\n          contents_local: secretlink\n", 8},
		"ssh keys local":             {head + "passwd:\n  users:\n    - name: core\n      ssh_authorized_keys_local: [ok.txt, secretlink]\n", 6},
		"tree through symlinked dir": {head + "storage:\n  trees:\n    - local: outdir\n      path: /t\n", 5},
		"tree below symlinked dir":   {head + "storage:\n  trees:\n    - local: outdir/../outside\n", 5},
		"tree alias to symlinked dir": {head + "storage:\n  directories:\n    - path: &p outdir\n" +
			"  trees:\n    - local: *p\n      path: /x\n", 7},
		"file below symlinked dir": {head + "storage:\n  files:\n    - path: /a\n      contents:\n" +
			"        local: outdir/secret2\n", 7},
		"ignition config merge": {head + "ignition:\n  config:\n    merge:\n      - local: secretlink\n", 6},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := Translate(Options{Content: []byte(c.src), FilesDir: dir})
			if err == nil {
				t.Fatalf("accepted; rendered %s", res.Rendered)
			}
			var berr *Error
			if !errors.As(err, &berr) || len(berr.Entries) == 0 {
				t.Fatalf("error %v has no located entries", err)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error leaks the outside file: %v", err)
			}
			found := false
			for _, e := range berr.Entries {
				if e.Severity == "error" && e.Line == c.line && (strings.Contains(e.Message, "outside") ||
					strings.Contains(e.Message, "symlink")) {
					found = true
				}
			}
			if !found {
				t.Errorf("no refusal on line %d: %+v", c.line, berr.Entries)
			}
		})
	}
}

// TestFilesDirFenceAllowsInside keeps references that stay inside working,
// and leaves "local" under keys Butane does not use to Butane's unused-key
// warning instead of checking them as file references.
func TestFilesDirFenceAllowsInside(t *testing.T) {
	dir := fenceDir(t)
	src := "variant: fcos\nversion: 1.5.0\nx-unused:\n  local: secretlink\nstorage:\n" +
		"  files:\n    - path: /a\n      contents:\n        local: ok.txt\n" +
		"  trees:\n    - local: sub\n      path: /t\n"
	res := mustTranslate(t, Options{Content: []byte(src), FilesDir: dir})
	if !bytes.Contains(res.Rendered, []byte("inside")) || bytes.Contains(res.Rendered, []byte("SECRET")) {
		t.Errorf("rendered = %s", res.Rendered)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Message, "unused key x-unused") {
		t.Errorf("warnings = %+v, want one unused-key warning", res.Warnings)
	}
}

// TestMissingFilesDirIsOneError: without files_dir, the references give one
// error on files_dir that names the first reference and its line.
func TestMissingFilesDirIsOneError(t *testing.T) {
	src := "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n" +
		"    - path: /a\n      contents:\n        local: a.txt\n" +
		"    - path: /b\n      contents:\n        local: b.txt\n"
	e := mustError(t, Options{Content: []byte(src)})
	if e.Attribute != AttrFilesDir || !errors.Is(e, ErrNoFilesDir) {
		t.Fatalf("error on %s: %v", e.Attribute, e)
	}
	if len(e.Entries) != 1 || e.Entries[0].Line != 7 || !strings.Contains(e.Entries[0].Message, "set files_dir") ||
		strings.Contains(e.Error(), "--files-dir") {
		t.Errorf("entries = %+v, want one on line 7 saying set files_dir", e.Entries)
	}
}
