// Package vmspec knows where the VM spec sits in each KubeVirt kind and
// offers small helpers over objects decoded into map[string]any: decoding
// with json.Number, JSON Pointer and field path building.
package vmspec

import "k8s.io/apimachinery/pkg/runtime/schema"

// Shape is where the parts the rules read sit in one kind, as keys from the
// object root.
type Shape struct {
	// Kind is the kind's name.
	Kind string
	// Spec leads to the VirtualMachineInstance spec (domain, networks, volumes).
	Spec []string
	// VM leads to the VirtualMachine spec (preference, template), if the
	// kind carries one.
	VM []string
	// Metadata lists every metadata block whose labels and annotations
	// describe the guest: the object's own and its templates'.
	Metadata [][]string
}

var shapes = map[schema.GroupKind]Shape{
	{Group: "kubevirt.io", Kind: "VirtualMachine"}: {
		Kind:     "VirtualMachine",
		Spec:     []string{"spec", "template", "spec"},
		VM:       []string{"spec"},
		Metadata: [][]string{{"metadata"}, {"spec", "template", "metadata"}},
	},
	{Group: "kubevirt.io", Kind: "VirtualMachineInstance"}: {
		Kind:     "VirtualMachineInstance",
		Spec:     []string{"spec"},
		Metadata: [][]string{{"metadata"}},
	},
	{Group: "kubevirt.io", Kind: "VirtualMachineInstanceReplicaSet"}: {
		Kind:     "VirtualMachineInstanceReplicaSet",
		Spec:     []string{"spec", "template", "spec"},
		Metadata: [][]string{{"metadata"}, {"spec", "template", "metadata"}},
	},
	{Group: "pool.kubevirt.io", Kind: "VirtualMachinePool"}: {
		Kind: "VirtualMachinePool",
		Spec: []string{"spec", "virtualMachineTemplate", "spec", "template", "spec"},
		VM:   []string{"spec", "virtualMachineTemplate", "spec"},
		Metadata: [][]string{
			{"metadata"},
			{"spec", "virtualMachineTemplate", "metadata"},
			{"spec", "virtualMachineTemplate", "spec", "template", "metadata"},
		},
	},
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
