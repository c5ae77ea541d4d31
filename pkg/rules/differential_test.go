package rules

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec/vmspectest"
)

// whole is the reference the rules are held to: encoding/json, keeping
// every member.
func whole(data []byte, _ *vmspec.Schema) (*vmspec.Object, error) {
	m, err := vmspectest.Decode(data)
	if err != nil {
		return nil, err
	}
	return vmspec.FromMaps(m).(*vmspec.Object), nil
}

// addDifferentialSeeds adds the fixtures, the examples, and the hostile
// corpus's requests: their objects, and the reviews themselves.
func addDifferentialSeeds(f *testing.F) {
	addSeeds(f)
	examples, _ := filepath.Glob("../../examples/*.yaml")
	for _, file := range examples {
		y, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if data, err := yaml.YAMLToJSON(y); err == nil {
			f.Add(data)
		}
	}
	hostile, _ := filepath.Glob("../../webhook/testdata/hostile/*.json")
	if len(examples) == 0 || len(hostile) == 0 {
		f.Fatal("no examples or no hostile corpus")
	}
	for _, file := range hostile {
		body, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(body)
		var review struct {
			Request struct {
				Object json.RawMessage `json:"object"`
			} `json:"request"`
		}
		if json.Unmarshal(body, &review) == nil && len(review.Request.Object) > 0 {
			f.Add([]byte(review.Request.Object))
		}
	}
}

// FuzzPrunedEqualsWhole: the rules answer the same (patch, field errors,
// warnings, rules fired) whether the object is decoded by vmspec.Decode,
// keeping only what the rules read, or whole by encoding/json. This holds
// both the decoder and the list of what the rules read (fields.go) to the
// reference. Only the wording of a syntax error may differ: each parser
// says where it stopped in its own words.
func FuzzPrunedEqualsWhole(f *testing.F) {
	addDifferentialSeeds(f)
	warn := defaults()
	warn.Enforcement = config.Warn
	f.Fuzz(func(t *testing.T, data []byte) {
		valid := json.Valid(data)
		for _, k := range fuzzKinds {
			for _, op := range []Operation{Create, Update} {
				req := Request{Kind: k, Operation: op, Object: data, OldObject: data, UID: testUID}
				for _, cfg := range []config.Config{defaults(), warn} {
					assertSameResult(t, "Mutate", mutate(cfg, req, vmspec.Decode), mutate(cfg, req, whole), valid)
					assertSameResult(t, "Validate", validate(cfg, req, vmspec.Decode), validate(cfg, req, whole), valid)
				}
			}
		}
	})
}

func assertSameResult(t *testing.T, what string, got, want Result, sameWording bool) {
	t.Helper()
	if !sameWording {
		got.Errors, want.Errors = withoutDetail(got.Errors), withoutDetail(want.Errors)
		got.Warnings, want.Warnings = cutAt(got.Warnings, "valid JSON"), cutAt(want.Warnings, "valid JSON")
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s differs\npruned: %#v\nwhole:  %#v", what, got, want)
	}
}

func withoutDetail(errs field.ErrorList) field.ErrorList {
	out := make(field.ErrorList, len(errs))
	for i, e := range errs {
		c := *e
		c.Detail, _, _ = strings.Cut(c.Detail, ":")
		out[i] = &c
	}
	return out
}

func cutAt(warnings []string, marker string) []string {
	out := make([]string, len(warnings))
	for i, w := range warnings {
		if strings.Contains(w, marker) {
			// The parser's words, shortened to fit the line from the
			// front or the back depending on their length.
			w = marker
		}
		out[i] = w
	}
	return out
}
