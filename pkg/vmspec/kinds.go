// Package vmspec reads what the rules read of a KubeVirt object: Read
// decodes it once, with JSON v2, into small structs that name only those
// fields (vm.go), for each kind from where that kind keeps its VM spec
// (kinds.go). It also builds the JSON Pointers and field paths the rules
// write and name.
package vmspec

import "k8s.io/apimachinery/pkg/runtime/schema"

// Shape is where one kind keeps its VM spec.
type Shape struct {
	// Kind is the kind's name.
	Kind string
	// Spec leads to the VirtualMachineInstance spec (domain, networks,
	// volumes), as keys from the object's root.
	Spec []string
}

var shapes = map[schema.GroupKind]Shape{
	{Group: "kubevirt.io", Kind: "VirtualMachine"}:                   {"VirtualMachine", []string{"spec", "template", "spec"}},
	{Group: "kubevirt.io", Kind: "VirtualMachineInstance"}:           {"VirtualMachineInstance", []string{"spec"}},
	{Group: "kubevirt.io", Kind: "VirtualMachineInstanceReplicaSet"}: {"VirtualMachineInstanceReplicaSet", []string{"spec", "template", "spec"}},
	{Group: "pool.kubevirt.io", Kind: "VirtualMachinePool"}: {"VirtualMachinePool",
		[]string{"spec", "virtualMachineTemplate", "spec", "template", "spec"}},
}

// ShapeOf returns the shape of a kind, ignoring its version; ok is false
// for kinds that carry no VM spec.
func ShapeOf(gk schema.GroupKind) (Shape, bool) {
	s, ok := shapes[gk]
	return s, ok
}

// Shapes lists the shapes of every kind the rules know.
func Shapes() []Shape {
	out := make([]Shape, 0, len(shapes))
	for _, s := range shapes {
		out = append(out, s)
	}
	return out
}
