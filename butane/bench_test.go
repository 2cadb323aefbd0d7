package butane

import (
	"os"
	"testing"

	"github.com/coreos/butane/config"
	"github.com/coreos/butane/config/common"
)

var benchInputs = []string{"small", "medium", "large"}

func readBench(b *testing.B, name string) []byte {
	b.Helper()
	src, err := os.ReadFile("testdata/bench/" + name + ".bu")
	if err != nil {
		b.Fatalf("%v (run make testdata)", err)
	}
	return src
}

// BenchmarkTranslate measures hardnode's renderer with automatic compression.
func BenchmarkTranslate(b *testing.B) {
	for _, name := range benchInputs {
		src := readBench(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Translate(Options{Content: src}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTranslateNoCompression measures compression "none".
func BenchmarkTranslateNoCompression(b *testing.B) {
	for _, name := range benchInputs {
		src := readBench(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Translate(Options{Content: src, Compression: CompressionNone}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTranslateBytes is the reference: Butane's TranslateBytes alone.
func BenchmarkTranslateBytes(b *testing.B) {
	for _, name := range benchInputs {
		src := readBench(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := config.TranslateBytes(src, common.TranslateBytesOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
