package butane

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzTranslate feeds arbitrary documents (as content and as a snippet) to
// Translate: it must return a result or an error, never panic, and every
// failure must be a *Error or wrap the cause.
func FuzzTranslate(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(corpusDir, "*.bu"))
	bench, _ := filepath.Glob("testdata/bench/small.bu")
	for _, p := range append(seeds, bench...) {
		if src, err := os.ReadFile(p); err == nil {
			f.Add(src, "")
		}
	}
	f.Add([]byte("variant: flatcar\nversion: 1.0.0\n"), "3.2.0")
	f.Add([]byte("variant: fcos\nversion: 1.6.0\nkernel_arguments: {should_exist: [a]}\n"), "3.0.0")
	f.Add([]byte("{"), "")
	f.Add([]byte("variant: [x]\nversion: {}\n"), "3.3.0")
	filesDir := filepath.Join(corpusDir, "files")

	f.Fuzz(func(t *testing.T, src []byte, spec string) {
		res, err := Translate(Options{Content: src, FilesDir: filesDir, IgnitionVersion: spec})
		if err == nil && res == nil {
			t.Fatal("nil result without error")
		}
		var berr *Error
		if err != nil && !errors.As(err, &berr) && errors.Unwrap(err) == nil {
			t.Fatalf("unwrapped, untyped error: %v", err)
		}
		_, _ = Translate(Options{Content: []byte("variant: flatcar\nversion: 1.1.0\n"), Snippets: [][]byte{src}})
	})
}
