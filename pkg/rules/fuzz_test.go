package rules

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

var fuzzKinds = []schema.GroupVersionKind{
	{Group: "kubevirt.io", Version: "v1", Kind: "VirtualMachine"},
	{Group: "kubevirt.io", Version: "v1alpha3", Kind: "VirtualMachineInstance"},
	{Group: "kubevirt.io", Version: "v1", Kind: "VirtualMachineInstanceReplicaSet"},
	{Group: "pool.kubevirt.io", Version: "v1alpha1", Kind: "VirtualMachinePool"},
}

// addSeeds adds the fixtures; testdata/fuzz holds the committed corpus.
func addSeeds(f *testing.F) {
	for _, file := range fixtures(f) {
		f.Add(readFixture(f, file))
	}
}

// FuzzNoPanic: arbitrary bytes, every kind and operation, never a panic,
// and an error for anything that is not a JSON object.
func FuzzNoPanic(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		_, decodeErr := decodeWhole(data)
		for _, k := range fuzzKinds {
			for _, op := range []admissionv1.Operation{Create, Update} {
				req := Request{Kind: k, Operation: op, Object: data, OldObject: data}
				m := Mutate(defaults(), req)
				v := Validate(defaults(), req)
				if decodeErr != nil && len(v.Errors) != 1 {
					t.Fatalf("not an object but %d validation errors", len(v.Errors))
				}
				warn := defaults()
				warn.Enforcement = config.Warn
				for _, w := range slices.Concat(m.Warnings, v.Warnings, Validate(warn, req).Warnings) {
					assertWarningLine(t, w)
				}
			}
		}
	})
}

// assertWarningLine fails unless w is a line under 120 characters that the
// API server passes on as a Warning header: valid UTF-8, no control
// characters (it drops any other).
func assertWarningLine(t *testing.T, w string) {
	t.Helper()
	if len(w) >= 120 || !utf8.ValidString(w) || strings.IndexFunc(w, unicode.IsControl) >= 0 {
		t.Fatalf("warning of %d characters, or one a Warning header cannot carry: %q", len(w), w)
	}
}

// FuzzPatchApplies: whatever Mutate answers applies to its input, and the
// rules read what the patched object reads.
func FuzzPatchApplies(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, k := range fuzzKinds {
			req := Request{Kind: k, Operation: Create, Object: data, UID: testUID}
			if patched := assertOneTruth(t, req); !bytes.Equal(patched, data) {
				assertSurvives(t, data, patched)
			}
		}
	})
}

// FuzzIdempotent: mutating the mutated object adds nothing.
func FuzzIdempotent(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, k := range fuzzKinds {
			res := Mutate(defaults(), Request{Kind: k, Operation: Create, Object: data})
			if len(res.Patch) == 0 {
				continue
			}
			patched := applyPatch(t, data, res)
			if again := Mutate(defaults(), Request{Kind: k, Operation: Create, Object: patched}); len(again.Patch) != 0 {
				t.Fatalf("second pass on %s: %q", patched, opStrings(t, again))
			}
		}
	})
}
