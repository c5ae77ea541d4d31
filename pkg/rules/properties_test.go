package rules

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"
)

// checkProperties asserts what must hold for any CREATE: the patch applies,
// a second pass adds nothing, the output is deterministic, every field of
// the input survives unchanged, and mutation brings no new denial.
func checkProperties(t *testing.T, obj []byte) {
	t.Helper()
	cfg := defaults()
	req := createReq(t, obj)
	mut := Mutate(cfg, req)
	if again := Mutate(cfg, req); !reflect.DeepEqual(mut, again) {
		t.Errorf("Mutate is not deterministic:\n%+v\n%+v", mut, again)
	}
	patched := applyPatch(t, obj, mut)
	if second := Mutate(cfg, createReq(t, patched)); len(second.Patch) != 0 {
		t.Errorf("second pass patched: %q", opStrings(t, second))
	}
	for _, op := range mut.Patch {
		if op.Operation != "add" {
			t.Errorf("op %s %s: only adds are expected", op.Operation, op.Path)
		}
	}
	assertSurvives(t, obj, patched)
	before := Validate(cfg, req)
	after := Validate(cfg, createReq(t, patched))
	if again := Validate(cfg, createReq(t, patched)); !reflect.DeepEqual(after, again) {
		t.Errorf("Validate is not deterministic")
	}
	for _, e := range errorStrings(after) {
		if !slices.Contains(errorStrings(before), e) {
			t.Errorf("mutation brought a new error: %s", e)
		}
	}
}

// assertSurvives checks every leaf of before is in after, byte for byte
// (numbers compared as written).
func assertSurvives(t *testing.T, before, after []byte) {
	t.Helper()
	b, err := decodeWhole(before)
	if err != nil {
		t.Fatal(err)
	}
	a, err := decodeWhole(after)
	if err != nil {
		t.Fatalf("patched object: %v", err)
	}
	var walk func(path string, bv, av any)
	walk = func(path string, bv, av any) {
		switch bt := bv.(type) {
		case map[string]any:
			at, ok := av.(map[string]any)
			if !ok {
				t.Errorf("%s: was an object, now %T", path, av)
				return
			}
			for k, v := range bt {
				if v == nil {
					continue // a null may be replaced by what it stood for
				}
				walk(path+"/"+k, v, at[k])
			}
		case []any:
			at, ok := av.([]any)
			if !ok || len(at) < len(bt) {
				t.Errorf("%s: array lost entries", path)
				return
			}
			for i, v := range bt {
				walk(path+"/"+strconv.Itoa(i), v, at[i])
			}
		default:
			if bv != av {
				t.Errorf("%s: %v became %v", path, bv, av)
			}
		}
	}
	walk("", b, a)
}

func TestPropertiesOnFixtures(t *testing.T) {
	files := fixtures(t)
	examples, _ := filepath.Glob("../../examples/*.yaml")
	for _, f := range append(files, examples...) {
		t.Run(filepath.Base(f), func(t *testing.T) { checkProperties(t, readFixture(t, f)) })
	}
}

// TestRawFieldsSurvive feeds JSON as the API server may send it, with
// numbers and strings no YAML round trip would keep, and fields this
// package has never heard of.
func TestRawFieldsSurvive(t *testing.T) {
	obj := []byte(`{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine",
"metadata":{"name":"raw","annotations":{"a/b~c":"\u00e9\u6f22 \"q\""}},
"spec":{"weird":[1.50,1e3,12345678901234567890,-0,"\ud83d\ude00"],
"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"default","portRanges":[{"start":8000,"end":8100}],"x-new":{"deep":[null,true]}}],"futureDevice":{}}},
"networks":[{"name":"default","pod":{"vmNetworkCIDR":"10.0.2.0/24"},"resourceClaim":{"claimName":"c"}}],
"volumes":[{"name":"c","cloudInitNoCloud":{"userDataBase64":"I2Nsb3VkLWNvbmZpZw=="}}]}}}}`)
	checkProperties(t, obj)
	patched := applyPatch(t, obj, Mutate(defaults(), createReq(t, obj)))
	for _, raw := range []string{`1.50`, `1e3`, `12345678901234567890`, `-0`} {
		if !bytes.Contains(patched, []byte(raw)) {
			t.Errorf("number %s was rewritten: %s", raw, patched)
		}
	}
	var back map[string]any
	if err := json.Unmarshal(patched, &back); err != nil {
		t.Fatal(err)
	}
}
