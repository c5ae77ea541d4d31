package rules

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/netconfig"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// checkProperties asserts what must hold for any CREATE: the patch applies,
// the rules read what the patched object reads, a second pass adds nothing, the output is deterministic, every field of
// the input survives unchanged, and mutation brings no new denial.
func checkProperties(t *testing.T, obj []byte) {
	t.Helper()
	cfg := defaults()
	req := createReq(t, obj)
	mut := Mutate(cfg, req)
	patched := assertOneTruth(t, req)
	if again := Mutate(cfg, req); !reflect.DeepEqual(mut, again) {
		t.Errorf("Mutate is not deterministic:\n%+v\n%+v", mut, again)
	}
	if second := Mutate(cfg, createReq(t, patched)); len(second.Patch) != 0 {
		t.Errorf("second pass patched: %q", opStrings(t, second))
	}
	assertOnlyAdds(t, obj, mut)
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

// assertOneTruth applies Mutate's patch to the request's object and checks
// that the spec as the last rule read it is the patched object as read:
// every rule changed the view and the patch alike. It returns the patched
// object.
func assertOneTruth(t testing.TB, req Request) []byte {
	t.Helper()
	res, view := mutate(defaults(), req)
	patched := applyPatch(t, req.Object, res)
	if view == nil {
		return patched
	}
	vm, err := vmspec.Read(req.Kind.GroupKind(), patched)
	if err != nil {
		t.Fatalf("patched object: %v", err)
	}
	if !reflect.DeepEqual(view, vm.Spec) {
		t.Errorf("the rules read a spec the patched object does not:\n%s\nrules read: %s\npatched object reads: %s",
			patched, spewSpec(view), spewSpec(vm.Spec))
	}
	return patched
}

func spewSpec(s *vmspec.Spec) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// assertOnlyAdds checks that the patch adds members and entries, and
// replaces nothing but network data the webhook wrote (netconfig.Marker),
// which ipv6CloudInit rewrites for a MAC set since.
func assertOnlyAdds(t *testing.T, obj []byte, res Result) {
	t.Helper()
	doc, err := decodeWhole(obj)
	if err != nil {
		t.Fatal(err)
	}
	for _, op := range res.Patch {
		if op.Operation == "add" {
			continue
		}
		old, _ := valueAt(doc, op.Path).(string)
		if op.Operation != "replace" || !strings.HasSuffix(op.Path, "/networkData") || !strings.HasPrefix(old, netconfig.Marker) {
			t.Errorf("op %s %s: only adds, and replacing the webhook's own networkData, are expected", op.Operation, op.Path)
		}
	}
}

// valueAt returns the value at a JSON pointer in a decoded document, or nil.
func valueAt(doc any, ptr string) any {
	for _, tok := range strings.Split(ptr, "/")[1:] {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch d := doc.(type) {
		case map[string]any:
			doc = d[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(d) {
				return nil
			}
			doc = d[i]
		default:
			return nil
		}
	}
	return doc
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
