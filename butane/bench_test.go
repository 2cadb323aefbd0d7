package butane

import (
	"os"
	"testing"
	"time"

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

// BenchmarkInterleaved runs hardnode's Translate and Butane's TranslateBytes
// alternately on the same input and reports both times and their ratio, so
// that load from other processes on a shared machine hits both alike.
// (Butane's garbage is collected partly during our turns, which counts
// against us.)
func BenchmarkInterleaved(b *testing.B) {
	for _, name := range benchInputs {
		src := readBench(b, name)
		b.Run(name, func(b *testing.B) {
			var ours, theirs time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := Translate(Options{Content: src}); err != nil {
					b.Fatal(err)
				}
				mid := time.Now()
				if _, _, err := config.TranslateBytes(src, common.TranslateBytesOptions{}); err != nil {
					b.Fatal(err)
				}
				ours += mid.Sub(start)
				theirs += time.Since(mid)
			}
			b.ReportMetric(float64(ours.Nanoseconds())/float64(b.N), "hardnode-ns/op")
			b.ReportMetric(float64(theirs.Nanoseconds())/float64(b.N), "butane-ns/op")
			b.ReportMetric(float64(ours)/float64(theirs), "time-ratio")
		})
	}
}
