// Package vmspec reads what the rules read of a KubeVirt object: Read
// decodes it once, with JSON v2, into small structs that name only those
// fields (vm.go), for each kind from where that kind keeps its VM spec
// (kinds.go).
package vmspec

import (
	"github.com/go-json-experiment/json/jsontext"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Shape is where one kind keeps its VM spec.
type Shape struct {
	// Kind is the kind's name.
	Kind string
	// SpecPtr and SpecPath lead from the object's root to its
	// VirtualMachineInstance spec (domain, networks, volumes): a JSON
	// pointer for patches, a field path for messages.
	SpecPtr  jsontext.Pointer
	SpecPath *field.Path
}

func shape(kind string, ptr jsontext.Pointer) Shape { return Shape{kind, ptr, pathOf(ptr)} }

var shapes = map[schema.GroupKind]Shape{
	{Group: "kubevirt.io", Kind: "VirtualMachine"}:                   shape("VirtualMachine", "/spec/template/spec"),
	{Group: "kubevirt.io", Kind: "VirtualMachineInstance"}:           shape("VirtualMachineInstance", "/spec"),
	{Group: "kubevirt.io", Kind: "VirtualMachineInstanceReplicaSet"}: shape("VirtualMachineInstanceReplicaSet", "/spec/template/spec"),
	{Group: "pool.kubevirt.io", Kind: "VirtualMachinePool"}:          shape("VirtualMachinePool", "/spec/virtualMachineTemplate/spec/template/spec"),
}

// ShapeOf returns the shape of a kind, ignoring its version; ok is false
// for kinds that carry no VM spec.
func ShapeOf(gk schema.GroupKind) (Shape, bool) {
	s, ok := shapes[gk]
	return s, ok
}
