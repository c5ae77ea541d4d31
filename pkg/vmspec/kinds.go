// Package vmspec reads what the rules read of a KubeVirt object, once, into
// small structs that name only those fields, for each kind from where that
// kind keeps its VM spec.
package vmspec

import (
	"github.com/go-json-experiment/json/jsontext"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Shape is one kind the webhook serves, and where it keeps its VM spec.
type Shape struct {
	Group, Kind string
	Resource    string // for listing its objects
	// SpecPtr and SpecPath lead from the object's root to its
	// VirtualMachineInstance spec, for patches and for messages.
	SpecPtr  jsontext.Pointer
	SpecPath *field.Path
	MadeBy   []schema.GroupKind // the controllers that make it from a template of their own
}

func shape(group, kind, resource string, ptr jsontext.Pointer, madeBy ...schema.GroupKind) Shape {
	return Shape{group, kind, resource, ptr, pathOf(ptr), madeBy}
}

// Kinds are the kinds the webhook serves, in the order an audit reports
// them: what people write first, then VMIs.
var Kinds = []Shape{
	shape("kubevirt.io", "VirtualMachine", "virtualmachines", "/spec/template/spec", pool),
	shape("kubevirt.io", "VirtualMachineInstanceReplicaSet", "virtualmachineinstancereplicasets", "/spec/template/spec"),
	shape("pool.kubevirt.io", "VirtualMachinePool", "virtualmachinepools", "/spec/virtualMachineTemplate/spec/template/spec"),
	shape("kubevirt.io", "VirtualMachineInstance", "virtualmachineinstances", "/spec", vm, replicaSet),
}

var (
	vm         = schema.GroupKind{Group: "kubevirt.io", Kind: "VirtualMachine"}
	replicaSet = schema.GroupKind{Group: "kubevirt.io", Kind: "VirtualMachineInstanceReplicaSet"}
	pool       = schema.GroupKind{Group: "pool.kubevirt.io", Kind: "VirtualMachinePool"}
)

// GroupKind returns the kind's group and name.
func (s Shape) GroupKind() schema.GroupKind { return schema.GroupKind{Group: s.Group, Kind: s.Kind} }

// ShapeOf returns the shape of a kind, ignoring its version; ok is false
// for kinds that carry no VM spec.
func ShapeOf(gk schema.GroupKind) (*Shape, bool) {
	for i := range Kinds {
		if Kinds[i].GroupKind() == gk {
			return &Kinds[i], true
		}
	}
	return nil, false
}
