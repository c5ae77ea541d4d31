package rules

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// validation is one Validate call's state.
type validation struct {
	cfg        config.Config
	gk         schema.GroupKind
	obj        *object
	spec       *vmspec.Spec
	oldRaw     []byte       // the stored object of an UPDATE, read when a rule asks
	old        *vmspec.Spec // as read
	oldRead    bool
	findings   []finding
	warnings   []string
	notChecked []string // paths of fields the rules could not read
	ratcheted  bool     // set by a rule that warned only for ratcheted ports
}

// finding is one violation: the field error that denies, and the short
// text that stands in for it as a warning when enforcement is warn.
type finding struct {
	err   *field.Error
	short string
}

// masquerade says whether an interface is, or will be, bound by masquerade:
// it says so, or it is on the pod network with no binding, which Mutate
// defaults.
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

// hadIt says whether the stored object (on UPDATE) had an interface of that
// name for which had is true. One that cannot be read has none: its flaws
// are not this request's.
func (v *validation) hadIt(name string, had func(*vmspec.Interface) bool) bool {
	if v.oldRaw != nil && !v.oldRead {
		v.oldRead = true
		if vm, err := vmspec.Read(v.gk, v.oldRaw); err == nil {
			v.old = vm.Spec
		}
	}
	for _, old := range interfaces(v.old) {
		if old != nil && old.Name == name && had(old) {
			return true
		}
	}
	return false
}
