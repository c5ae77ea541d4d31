package vmspec

import (
	"os"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"sigs.k8s.io/yaml"
)

// BenchmarkRead reads the guide's VM, beside merely checking that the same
// bytes are JSON: the decoder's own cost, which docs/benchmarks.md quotes.
func BenchmarkRead(b *testing.B) {
	text, err := os.ReadFile("../rules/testdata/guide-masquerade.yaml")
	if err != nil {
		b.Fatal(err)
	}
	raw, err := yaml.YAMLToJSON(text)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("read", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if _, err := Read(vmGK, raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("valid-json", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if !jsontext.Value(raw).IsValid() {
				b.Fatal("not JSON")
			}
		}
	})
}
