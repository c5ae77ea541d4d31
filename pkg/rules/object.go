package rules

import (
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// MutateAnnotation "false" on an object's metadata turns mutation off for
// it; validation cannot be turned off.
const MutateAnnotation = "vmnet.kubevirt.io/mutate"

// object is a request's object as read, with what its metadata say.
type object struct {
	*vmspec.VM
	windows   bool   // its or its templates' metadata or its preference mark a Windows guest
	istio     bool   // its VMI's metadata ask for the Istio sidecar
	optedOut  bool   // by MutateAnnotation
	ownerKind string // its controller's kind, when that made it from a template
}

func newObject(vm *vmspec.VM) object {
	o := object{
		VM:        vm,
		optedOut:  vm.Meta.Annotations[MutateAnnotation] == "false",
		ownerKind: controllerOf(vm.Kind, vm.Meta.OwnerReferences),
		windows:   hasPrefixFold(vm.Preference, "windows") || marksWindows(&vm.Meta),
	}
	for _, md := range vm.TemplateMeta {
		o.windows = o.windows || md != nil && marksWindows(md)
	}
	if md := vmiMeta(vm); md != nil {
		o.istio = strings.EqualFold(md.Annotations[IstioInjectAnnotation], "true")
	}
	return o
}

// vmiMeta returns the metadata the object's VMIs get: a VMI's own, else its
// innermost template's, which KubeVirt copies; nil for none.
func vmiMeta(vm *vmspec.VM) *vmspec.Meta {
	if vm.Kind == "VirtualMachineInstance" {
		return &vm.Meta
	}
	if n := len(vm.TemplateMeta); n > 0 {
		return vm.TemplateMeta[n-1]
	}
	return nil
}

func (o *object) ifacePath(i int) *field.Path {
	return o.SpecPath.Child("domain", "devices", "interfaces").Index(i)
}

func (o *object) controllerOwned() bool { return o.ownerKind != "" }

// MadeFromTemplate reports whether an object of kind controlled by
// controller was made from the controller's template, which got the
// defaults when created: the object gets none, and an audit judges the
// template instead.
func MadeFromTemplate(kind string, controller schema.GroupKind) bool {
	for _, s := range vmspec.Kinds {
		if s.Kind == kind && slices.Contains(s.MadeBy, controller) {
			return true
		}
	}
	return false
}

// bootsGuest reports whether a guest's MAC and network config are fixed
// here: in a VM or a VMI no VM started, not in replica sets' and pools'
// templates, whose replicas each get their own.
func (o *object) bootsGuest() bool {
	return o.Kind == "VirtualMachine" || o.Kind == "VirtualMachineInstance" && o.ownerKind != "VirtualMachine"
}

// controllerOf returns the kind of the controller that made the object
// from a template, else "".
func controllerOf(kind string, refs []*vmspec.OwnerReference) string {
	for _, ref := range refs { // the API server takes one controller at most
		if ref == nil || !ref.Controller {
			continue
		}
		if gv, err := schema.ParseGroupVersion(ref.APIVersion); err == nil && MadeFromTemplate(kind, gv.WithKind(ref.Kind).GroupKind()) {
			return ref.Kind
		}
	}
	return ""
}
