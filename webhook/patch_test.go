package webhook

import (
	"encoding/json"
	"testing"

	"gomodules.xyz/jsonpatch/v2"
)

// MarshalPatch writes exactly what the operations' own MarshalJSON (what
// controller-runtime used) writes, for every kind of operation and value.
func TestMarshalPatchAsJSONPatchLibrary(t *testing.T) {
	ops := []jsonpatch.Operation{
		{Operation: "add", Path: "/spec/template/spec/networks", Value: []any{map[string]any{"name": "default", "pod": map[string]any{}}}},
		{Operation: "add", Path: "/a~1b/0", Value: "fd10:0:2::2/120\n<&>"},
		{Operation: "add", Path: "/null"},
		{Operation: "replace", Path: "/r", Value: json.Number("49152")},
		{Operation: "replace", Path: "/rnull"},
		{Operation: "remove", Path: "/x"},
		{Operation: "test", Path: "/t", Value: false},
		{Operation: "copy", Path: "/c", Value: map[string]any{}},
	}
	got, err := MarshalPatch(ops)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(ops)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("MarshalPatch:\n got %s\nwant %s", got, want)
	}
	if got, err := MarshalPatch(nil); err != nil || string(got) != "[]" {
		t.Errorf("no operations: %s, %v", got, err)
	}
}

// A value that cannot be encoded is an error, not a broken patch.
func TestMarshalPatchError(t *testing.T) {
	if _, err := MarshalPatch([]jsonpatch.Operation{{Operation: "add", Path: "/f", Value: func() {}}}); err == nil {
		t.Error("a function value was encoded")
	}
}
