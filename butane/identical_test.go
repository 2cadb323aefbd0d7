package butane

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// TestByteIdenticalSmallContents covers the contents lengths around the
// point where gzip starts to win, where hardnode skips compressing.
func TestByteIdenticalSmallContents(t *testing.T) {
	gzipped, plain := 0, 0
	for n := 0; n <= 120; n++ {
		for _, fill := range []string{"a", "ab", "x=1\n", "Qz7#"} {
			body := strings.Repeat(fill, n/len(fill)+1)[:n]
			src := []byte("variant: flatcar\nversion: 1.1.0\nstorage:\n  files:\n    - path: /f\n" +
				"      contents:\n        inline: " + strconv.Quote(body) + "\n")
			want, _, err := config.TranslateBytes(src, common.TranslateBytesOptions{})
			if err != nil {
				t.Fatalf("n=%d fill=%q: Butane: %v", n, fill, err)
			}
			res, err := Translate(Options{Content: src})
			if err != nil {
				t.Fatalf("n=%d fill=%q: %v", n, fill, err)
			}
			if !bytes.Equal(res.Rendered, want) {
				t.Errorf("n=%d fill=%q: got %s, want %s", n, fill, res.Rendered, want)
			}
			if bytes.Contains(want, []byte(`"gzip"`)) {
				gzipped++
			} else {
				plain++
			}
		}
	}
	if gzipped == 0 || plain == 0 {
		t.Errorf("inputs do not cross the gzip threshold: %d gzipped, %d plain", gzipped, plain)
	}
}
