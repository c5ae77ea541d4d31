package vmspec

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

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
		ptr := "/" + strings.ReplaceAll(tt.spec, ".", "/")
		if !ok || s.Kind != tt.kind || s.SpecPath.String() != tt.spec || string(s.SpecPtr) != ptr {
			t.Errorf("%s: got %v %q %v, want %s and %s", tt.kind, s.SpecPath, s.SpecPtr, ok, tt.spec, ptr)
		}
	}
	for _, s := range Kinds {
		if s.Resource != strings.ToLower(s.Kind)+"s" {
			t.Errorf("%s: resource %q", s.Kind, s.Resource)
		}
	}
	for _, gk := range []schema.GroupKind{{Kind: "Pod"}, {Group: "kubevirt.io", Kind: "VirtualMachinePool"}, {Group: "pool.kubevirt.io", Kind: "VirtualMachine"}} {
		if _, ok := ShapeOf(gk); ok {
			t.Errorf("%v should have no shape", gk)
		}
	}
}
