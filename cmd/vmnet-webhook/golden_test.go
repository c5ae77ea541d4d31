package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmnet-webhook/vmnet-webhook/examples"
)

var update = flag.Bool("update", false, "rewrite the preview golden files")

// The preview of every example with the real rules, as a user sees it:
// stdout, stderr and exit status in testdata/preview/<example>.golden.
// Regenerate with: go test ./cmd/vmnet-webhook -run TestPreviewGolden -update
func TestPreviewGolden(t *testing.T) {
	files, err := filepath.Glob("../../examples/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	type variant struct {
		suffix string
		args   []string
	}
	for _, ex := range files {
		// The examples show a dual-stack cluster, where the webhook writes
		// the guest's IPv6 config; guide-vm also on an IPv4-only one.
		dual := []string{"--pod-ips", "10.244.0.5,fd00:10::5"}
		variants := []variant{{"", dual}, {".patch", append([]string{"-o", "patch"}, dual...)}}
		if filepath.Base(ex) == "guide-vm.yaml" {
			variants = append(variants, variant{".ipv4", []string{"--pod-ips", "10.244.0.5"}})
		}
		// UPDATE of a VM that already had the reserved port: ratcheted to a
		// warning, no mutation.
		if filepath.Base(ex) == "reserved-port.yaml" {
			variants = append(variants, variant{".update", append([]string{"--old", ex}, dual...)})
		}
		for _, v := range variants {
			name := strings.TrimSuffix(filepath.Base(ex), ".yaml") + v.suffix
			t.Run(name, func(t *testing.T) {
				args := append([]string{"preview", "-f", ex}, v.args...)
				status, stdout, stderr := runCmd(t, "", args...)
				shown := append([]string{"vmnet-webhook", "preview", "-f", "examples/" + filepath.Base(ex)}, v.args...)
				got := fmt.Sprintf("# %s\n# exit status %d\n# stderr:\n%s# stdout:\n%s",
					strings.ReplaceAll(strings.Join(shown, " "), "../../", ""), status, stderr, stdout)
				golden := filepath.Join("testdata", "preview", name+".golden")
				if *update {
					if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to create)", err)
				}
				if got != string(want) {
					t.Errorf("preview differs from %s:\n--- got\n%s\n--- want\n%s", golden, got, want)
				}
			})
		}
	}
}

// Every example's "# expect:" lines hold in the preview: a denial is
// printed in the API server's words, a warning as kubectl prints it, a
// patched path appears in the patch.
func TestPreviewMatchesExampleExpectations(t *testing.T) {
	all, err := examples.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range all {
		path := filepath.Join("../../examples", ex.Name)
		// The examples show a dual-stack cluster.
		_, _, stderr := runCmd(t, "", "preview", "-f", path, "--pod-ips", "10.244.0.5,fd00:10::5")
		_, patch, _ := runCmd(t, "", "preview", "-f", path, "-o", "patch", "--pod-ips", "10.244.0.5,fd00:10::5")
		for _, arg := range ex.Deny {
			if !strings.Contains(stderr, `Error from server (Forbidden): admission webhook "validate.vmnet.kubevirt.io" denied the request: `) ||
				!strings.Contains(stderr, arg) {
				t.Errorf("%s: denial %q not printed; stderr:\n%s", ex.Name, arg, stderr)
			}
		}
		for _, arg := range ex.Warn {
			if !strings.Contains(stderr, "Warning: "+arg+"\n") {
				t.Errorf("%s: warning %q not printed; stderr:\n%s", ex.Name, arg, stderr)
			}
		}
		// A denied object prints no patch.
		for _, arg := range ex.Patch {
			if len(ex.Deny) == 0 && !strings.Contains(patch, `"path":"`+arg) {
				t.Errorf("%s: patch %q not printed; patch:\n%s", ex.Name, arg, patch)
			}
		}
	}
}
