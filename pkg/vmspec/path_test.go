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

func TestInt(t *testing.T) {
	m, err := Decode([]byte(`{"a":80,"b":80.0,"c":8e1,"d":80.5,"e":"80","f":99999999999999999999,"g":-1,"h":null}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		n  int64
		ok bool
	}{"a": {80, true}, "b": {80, true}, "c": {80, true}, "d": {0, false}, "e": {0, false}, "f": {0, false}, "g": {-1, true}, "h": {0, false}}
	for k, w := range want {
		n, ok := Int(m.Get(k))
		if n != w.n || ok != w.ok {
			t.Errorf("Int(%s) = %d, %v; want %d, %v", k, n, ok, w.n, w.ok)
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
