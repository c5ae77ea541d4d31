package rules

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
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
	for _, c := range quickReadCases {
		f.Add([]byte(c))
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
					assertSameResult(t, "Mutate", mutate(cfg, req, vmspec.Decode, true), mutate(cfg, req, whole, false), valid)
					assertSameResult(t, "Validate", validate(cfg, req, vmspec.Decode, true), validate(cfg, req, whole, false), valid)
				}
			}
			assertQuickReadEqualsTree(t, data, k)
		}
	})
}

// assertQuickReadEqualsTree: where quickRead takes an object, the tree's
// readers, over encoding/json's whole decode, find nothing wrong with it
// and read the same.
func assertQuickReadEqualsTree(t *testing.T, data []byte, k schema.GroupVersionKind) {
	t.Helper()
	shape, _ := vmspec.ShapeOf(k.GroupKind())
	qo, qs, ok := quickRead(data, shape)
	if !ok {
		return
	}
	root, err := whole(data, nil)
	if err != nil {
		t.Fatalf("quickRead took what encoding/json refuses: %v", err)
	}
	rd := &reader{}
	to := readObject(root, shape, rd)
	ts := readSpec(to, rd)
	if len(rd.findings) > 0 {
		t.Fatalf("quickRead took an object the tree finds wrong: %v", rd.findings[0].err)
	}
	to.root, to.spec = nil, nil // what quickRead does not build
	if !reflect.DeepEqual(qo, to) {
		t.Fatalf("object differs\nquick: %+v\ntree:  %+v", qo, to)
	}
	if q, w := normalView(qs), normalView(ts); !reflect.DeepEqual(q, w) {
		t.Fatalf("spec view differs\nquick: %+v\ntree:  %+v", q, w)
	}
}

// normalView is v with its empty lists nil, which the rules do not tell
// apart.
func normalView(v *specView) specView {
	c := *v
	c.ifaces, c.nets, c.vols = nilIfEmpty(c.ifaces), nilIfEmpty(c.nets), nilIfEmpty(c.vols)
	for i := range c.ifaces {
		c.ifaces[i].ports, c.ifaces[i].ranges = nilIfEmpty(c.ifaces[i].ports), nilIfEmpty(c.ifaces[i].ranges)
	}
	for i := range c.vols {
		c.vols[i].cloudInits = nilIfEmpty(c.vols[i].cloudInits)
		for j := range c.vols[i].cloudInits {
			c.vols[i].cloudInits[j].sources = nilIfEmpty(c.vols[i].cloudInits[j].sources)
		}
	}
	return c
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// TestQuickReadTakesCleanObjects: quickRead takes the fixtures and the
// examples that the tree reads without a finding, so that the path the
// server takes is the one FuzzPrunedEqualsWhole holds to the tree; and it
// leaves the ones with a finding to the tree.
func TestQuickReadTakesCleanObjects(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	fixtures, _ := filepath.Glob("testdata/*.yaml")
	taken := 0
	for _, file := range append(files, fixtures...) {
		y, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		data, err := yaml.YAMLToJSON(y)
		if err != nil {
			continue // not an object
		}
		for _, k := range fuzzKinds {
			shape, _ := vmspec.ShapeOf(k.GroupKind())
			root, err := whole(data, nil)
			if err != nil {
				continue
			}
			rd := &reader{}
			readSpec(readObject(root, shape, rd), rd)
			_, _, ok := quickRead(data, shape)
			if ok != (len(rd.findings) == 0) {
				t.Errorf("%s as %s: quickRead took it: %v, the tree's findings: %d", file, k.Kind, ok, len(rd.findings))
			}
			if ok {
				taken++
			}
			assertQuickReadEqualsTree(t, data, k)
		}
	}
	if taken == 0 {
		t.Fatal("quickRead took nothing")
	}
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
