package rules

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// validation is one Validate call's state.
type validation struct {
	cfg  config.Config
	gk   schema.GroupKind
	obj  *object
	spec *vmspec.Spec // nil when the object has none
	// The stored object of an UPDATE, read only when a rule needs it.
	oldRaw   []byte
	old      *vmspec.Spec
	oldRead  bool
	findings []finding
	warnings []string
	// notChecked lists the paths of fields the rules could not read.
	notChecked []string
	// ratcheted is set by a rule that warned only for ratcheted ports.
	ratcheted bool
}

// finding is one violation: the field error that denies, and the short
// text that stands in for it as a warning when enforcement is warn.
type finding struct {
	err   *field.Error
	short string
}

// masquerade says whether an interface is, or will be, bound by
// masquerade: it says so, or it is on the pod network with no binding and
// Mutate gives it masquerade (the object is neither opted out nor
// controller-owned).
func (v *validation) masquerade(iface *vmspec.Interface) bool {
	switch iface.BindingName() {
	case "masquerade":
		return true
	case "":
		return v.onPod(iface) && !v.obj.optedOut && !v.obj.controllerOwned()
	}
	return false
}

func (v *validation) onPod(iface *vmspec.Interface) bool {
	n, _ := podNetwork(v.spec)
	return n != nil && iface.Name == n.Name
}

func (v *validation) deny(err *field.Error, short string) {
	v.findings = append(v.findings, finding{err: err, short: short})
}

func (v *validation) warn(path *field.Path, msg string) {
	v.warnings = append(v.warnings, v.obj.fit(path.String(), msg))
}

// oldInterfaces returns the interfaces of the stored object on UPDATE, nil
// otherwise. The stored object was admitted before: one that cannot be
// read counts as having none, and its flaws are not this request's.
func (v *validation) oldInterfaces() []*vmspec.Interface {
	if v.oldRaw != nil && !v.oldRead {
		v.oldRead = true
		if vm, err := vmspec.Read(v.gk, v.oldRaw); err == nil {
			v.old = vm.Spec
		}
	}
	return interfaces(v.old)
}
