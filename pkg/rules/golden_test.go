package rules

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the *.golden.yaml files")

// golden is what a user sees of one CREATE: the mutation, the object as
// stored, and the validation of that object.
type golden struct {
	Mutate   outcome `json:"mutate"`
	Object   any     `json:"object"`
	Validate outcome `json:"validate"`
}

type outcome struct {
	Patch    []op     `json:"patch,omitempty"`
	Errors   []string `json:"errors,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	Fired    []string `json:"fired,omitempty"`
}

type op struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

func outcomeOf(res Result) outcome {
	o := outcome{Errors: errorStrings(res), Warnings: res.Warnings, Fired: res.Fired}
	for _, p := range res.Patch {
		o.Patch = append(o.Patch, op{p.Operation, p.Path, p.Value})
	}
	return o
}

// fixtures returns the testdata fixtures, without the goldens.
func fixtures(t testing.TB) []string {
	t.Helper()
	all, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range all {
		if !strings.HasSuffix(f, ".golden.yaml") {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		t.Fatal("no fixtures")
	}
	return out
}

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	y, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return toJSON(t, string(y))
}

func TestGolden(t *testing.T) {
	for _, f := range fixtures(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			obj := readFixture(t, f)
			mut := Mutate(defaults(), createReq(t, obj))
			patched := applyPatch(t, obj, mut)
			val := Validate(defaults(), createReq(t, patched))
			var stored any
			if err := json.Unmarshal(patched, &stored); err != nil {
				t.Fatal(err)
			}
			got, err := yaml.Marshal(golden{Mutate: outcomeOf(mut), Object: stored, Validate: outcomeOf(val)})
			if err != nil {
				t.Fatal(err)
			}
			goldenPath := strings.TrimSuffix(f, ".yaml") + ".golden.yaml"
			if *update {
				if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatalf("%v (run go test ./pkg/rules -run TestGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file; got:\n%s", f, got)
			}
		})
	}
}
