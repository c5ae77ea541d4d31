package rules

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// MutateAnnotation on an object's metadata set to "false" turns mutation
// off for that object. Validation cannot be opted out of: a reserved port
// never works, so there is nothing to gain.
const MutateAnnotation = "vmnet.kubevirt.io/mutate"

// object is what the rules know of a request's object: what was read of
// it, and the facts they derive from its metadata.
type object struct {
	*vmspec.VM
	// windows is set when the object's or its templates' metadata or its
	// preference mark a Windows guest.
	windows  bool
	optedOut bool
	// ownerKind is the kind of the controller that owns the object, if it
	// is one whose objects are made from a template (MadeFromTemplate).
	ownerKind string
}

func newObject(vm *vmspec.VM) *object {
	o := &object{
		VM:        vm,
		optedOut:  vm.Meta.Annotations[MutateAnnotation] == "false",
		ownerKind: controllerOf(vm.Kind, vm.Meta.OwnerReferences),
		windows:   hasPrefixFold(vm.Preference, "windows") || marksWindows(&vm.Meta),
	}
	for _, md := range vm.TemplateMeta {
		o.windows = o.windows || md != nil && marksWindows(md)
	}
	return o
}

func (o *object) ifacePath(i int) *field.Path {
	return o.SpecPath.Child("domain", "devices", "interfaces").Index(i)
}

// controllerOwned says whether the object was made from a template by its
// controller: it gets no defaults.
func (o *object) controllerOwned() bool { return o.ownerKind != "" }

// controllerOwners says which controllers' objects get no defaults, by the
// owned kind: their template got them (or opted out) when it was created,
// and a restart must not change an existing VM.
var controllerOwners = map[string][]schema.GroupKind{
	"VirtualMachineInstance": {
		{Group: "kubevirt.io", Kind: "VirtualMachine"},
		{Group: "kubevirt.io", Kind: "VirtualMachineInstanceReplicaSet"},
	},
	"VirtualMachine": {{Group: "pool.kubevirt.io", Kind: "VirtualMachinePool"}},
}

// MadeFromTemplate says whether an object of kind whose controller is of
// controller's group and kind was made from a template the webhook admitted
// when the controller's object was created: such objects get no defaults,
// and an audit judges their template instead of each of them.
func MadeFromTemplate(kind string, controller schema.GroupKind) bool {
	for _, gk := range controllerOwners[kind] {
		if gk == controller {
			return true
		}
	}
	return false
}

// bootsGuest says whether this object is where a guest's MAC and network
// config are fixed: a VM (its VMIs start from its template, also when a
// pool made it) or a VMI that no VM started. Not the templates of replica
// sets and pools: each of their replicas gets its own when it is created,
// so that no two share a MAC.
func (o *object) bootsGuest() bool {
	switch o.Kind {
	case "VirtualMachine":
		return true
	case "VirtualMachineInstance":
		return o.ownerKind != "VirtualMachine"
	}
	return false
}

// controllerOf names the kind of the object's controller when it is one
// whose objects are made from a template, else "".
func controllerOf(kind string, refs []*vmspec.OwnerReference) string {
	owner := ""
	for _, ref := range refs {
		if ref == nil || !ref.Controller {
			continue
		}
		if gv, err := schema.ParseGroupVersion(ref.APIVersion); err == nil && MadeFromTemplate(kind, gv.WithKind(ref.Kind).GroupKind()) {
			owner = ref.Kind
		}
	}
	return owner
}
