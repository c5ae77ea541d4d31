package vmspec

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestPointerEscaping(t *testing.T) {
	tests := []struct {
		got  Pointer
		want string
	}{
		{PointerTo("spec", "template"), "/spec/template"},
		{PointerTo("metadata", "annotations").Key("vmnet.kubevirt.io/mutate"), "/metadata/annotations/vmnet.kubevirt.io~1mutate"},
		{PointerTo("a~b", "c/~d"), "/a~0b/c~1~0d"},
		{PointerTo("x").Index(12).Key(""), "/x/12/"},
		{PointerTo(), ""},
	}
	for _, tt := range tests {
		if tt.got.String() != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestFieldPath(t *testing.T) {
	got := FieldPath("spec", "template", "spec").Child("domain").Index(3).String()
	if want := "spec.template.spec.domain[3]"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if FieldPath() != nil {
		t.Error("FieldPath() should be nil")
	}
}

func TestParseInt(t *testing.T) {
	for in, want := range map[string]struct {
		n  int64
		ok bool
	}{
		"80": {80, true}, "80.0": {80, true}, "8e1": {80, true}, "-1": {-1, true}, "9007199254740993": {9007199254740993, true},
		"80.5": {0, false}, `"80"`: {0, false}, "99999999999999999999": {0, false}, "1e400": {0, false}, "true": {0, false},
	} {
		n, ok := parseInt(in)
		if n != want.n || ok != want.ok {
			t.Errorf("parseInt(%s) = %d, %v; want %d, %v", in, n, ok, want.n, want.ok)
		}
	}
}

func TestShapes(t *testing.T) {
	for _, tt := range []struct {
		group, kind, spec string
	}{
		{"kubevirt.io", "VirtualMachine", "spec.template.spec"},
		{"kubevirt.io", "VirtualMachineInstance", "spec"},
		{"kubevirt.io", "VirtualMachineInstanceReplicaSet", "spec.template.spec"},
		{"pool.kubevirt.io", "VirtualMachinePool", "spec.virtualMachineTemplate.spec.template.spec"},
	} {
		s, ok := ShapeOf(schema.GroupKind{Group: tt.group, Kind: tt.kind})
		if !ok || FieldPath(s.Spec...).String() != tt.spec {
			t.Errorf("%s: got %v %v, want %s", tt.kind, s.Spec, ok, tt.spec)
		}
	}
	for _, gk := range []schema.GroupKind{{Kind: "Pod"}, {Group: "kubevirt.io", Kind: "VirtualMachinePool"}, {Group: "pool.kubevirt.io", Kind: "VirtualMachine"}} {
		if _, ok := ShapeOf(gk); ok {
			t.Errorf("%v should have no shape", gk)
		}
	}
}
