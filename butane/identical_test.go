package butane

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/coreos/butane/config"
	"github.com/coreos/butane/config/common"
)

// TestByteIdenticalToButane asserts that, with automatic compression, our
// rendered output is byte for byte what Butane's TranslateBytes gives, for
// every corpus and bench config that Butane translates, compact and pretty.
func TestByteIdenticalToButane(t *testing.T) {
	configs, _ := filepath.Glob(filepath.Join(corpusDir, "*.bu"))
	bench, _ := filepath.Glob("testdata/bench/*.bu")
	configs = append(configs, bench...)
	if len(configs) < 4 {
		t.Fatalf("found only %d configs: run make testdata", len(configs))
	}
	compared := 0
	for _, path := range configs {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, pretty := range []bool{false, true} {
			filesDir := filepath.Join(corpusDir, "files")
			want, _, werr := config.TranslateBytes(src, common.TranslateBytesOptions{
				TranslateOptions: common.TranslateOptions{FilesDir: filesDir}, Pretty: pretty})
			res, err := Translate(Options{Content: src, FilesDir: filesDir, PrettyPrint: pretty})
			if werr != nil {
				if err == nil {
					t.Errorf("%s: Butane fails (%v) but Translate succeeded", path, werr)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if !bytes.Equal(res.Rendered, want) {
				t.Errorf("%s (pretty=%v): output differs from TranslateBytes\n got: %.300s\nwant: %.300s",
					path, pretty, res.Rendered, want)
			}
			compared++
		}
	}
	t.Logf("compared %d renders", compared)
}
