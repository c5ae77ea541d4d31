package rules

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFit(t *testing.T) {
	const spec = "spec.template.spec"
	long := spec + ".domain.devices.interfaces[0]." + strings.Repeat("x", 40)
	tests := []struct {
		name, path, msg, want string
	}{
		{"fits whole", spec + ".networks[0]", "bad", spec + ".networks[0]: bad"},
		{"from the VM spec", long, strings.Repeat("m", 40), "domain.devices.interfaces[0]." + strings.Repeat("x", 40) + ": " + strings.Repeat("m", 40)},
		{"the tail, cut at a rune", "p", strings.Repeat("é", 100) + "!", "..." + strings.Repeat("é", 57) + "!"},
		{"control characters and bad bytes", "metadata.labels[a\nb\xff]", "bad\tvalue", "metadata.labels[a\uFFFDb\uFFFD]: bad\uFFFDvalue"},
	}
	for _, tt := range tests {
		got := fit(spec, tt.path, tt.msg)
		if got != tt.want || len(got) > 119 || !utf8.ValidString(got) {
			t.Errorf("%s: got %q (%d bytes), want %q", tt.name, got, len(got), tt.want)
		}
	}
}
