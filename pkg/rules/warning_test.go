package rules

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFit(t *testing.T) {
	const spec = "spec.template.spec"
	rel := "domain.devices.interfaces[0]." + strings.Repeat("x", 40)
	tests := []struct {
		name, path, msg string
		want            []string
	}{
		{"fits whole", spec + ".networks[0]", "bad", []string{spec + ".networks[0]: bad"}},
		{"from the VM spec", spec + "." + rel, strings.Repeat("m", 40), []string{rel + ": " + strings.Repeat("m", 40)}},
		{"wrapped at spaces, every line naming the field", spec + ".volumes[0].cloudInitNoCloud.networkData",
			"ethernets.eth0 has no match: on a guest whose NIC is not eth0 (enp1s0 on q35) cloud-init sets up no NIC: the VM loses IPv4 too",
			[]string{
				"volumes[0].cloudInitNoCloud.networkData: ethernets.eth0 has no match: on a guest whose NIC is not eth0 (enp1s0 on q35)",
				"volumes[0].cloudInitNoCloud.networkData: cloud-init sets up no NIC: the VM loses IPv4 too",
			}},
		{"a word longer than a line, cut at a rune", "p", strings.Repeat("é", 60) + " !",
			[]string{"p: " + strings.Repeat("é", 58), "p: " + strings.Repeat("é", 2) + " !"}},
		{"a path too long keeps its end", "metadata.annotations[" + strings.Repeat("k", 100) + "]", "bad value",
			[]string{"..." + strings.Repeat("k", 73) + "]: bad value"}},
		{"a path of 77 bytes is kept", strings.Repeat("p", 77), strings.Repeat("m", 60),
			[]string{strings.Repeat("p", 77) + ": " + strings.Repeat("m", 40), strings.Repeat("p", 77) + ": " + strings.Repeat("m", 20)}},
		{"one of 78 is not", strings.Repeat("p", 78), strings.Repeat("m", 60),
			[]string{"..." + strings.Repeat("p", 74) + ": " + strings.Repeat("m", 40), "..." + strings.Repeat("p", 74) + ": " + strings.Repeat("m", 20)}},
		{"control characters and bad bytes", "metadata.labels[a\nb\xff]", "bad\tvalue", []string{"metadata.labels[a\uFFFDb\uFFFD]: bad\uFFFDvalue"}},
	}
	for _, tt := range tests {
		got := fit(spec, tt.path, tt.msg)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
		for _, line := range got {
			if len(line) > warningMax || !utf8.ValidString(line) {
				t.Errorf("%s: line of %d bytes: %q", tt.name, len(line), line)
			}
		}
	}
}
