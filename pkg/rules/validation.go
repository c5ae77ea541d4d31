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
	obj        object
	spec       *vmspec.Spec
	oldRaw     []byte       // the stored object of an UPDATE, read when a rule asks
	old        *vmspec.Spec // as read
	oldRead    bool
	errs       field.ErrorList
	warnings   []string
	notChecked []string // paths of fields the rules could not read
	// The running rule denied or warned (fired), or warned of reserved
	// ports the stored object had (ratcheted); set by deny and addWarning.
	fired, ratcheted bool
}

// masquerade reports whether an interface is, or will be, bound by masquerade:
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

// deny refuses with err, or warns with short when enforcement is warn.
func (v *validation) deny(err *field.Error, short string) {
	if v.cfg.Enforcement == config.Warn {
		v.addWarning(&v.fired, err.Field, short)
		return
	}
	v.fired = true
	v.errs = append(v.errs, err)
}

// warn warns of the field at path, as the running rule.
func (v *validation) warn(path *field.Path, msg string) { v.addWarning(&v.fired, path.String(), msg) }

// warnRatchet warns of a reserved port the stored object had, counted
// under RuleReservedPortsRatchet.
func (v *validation) warnRatchet(path *field.Path, msg string) {
	v.addWarning(&v.ratcheted, path.String(), msg)
}

// addWarning adds msg as Warning lines that name path, and sets the flag
// by which Validate counts the rule it fires as.
func (v *validation) addWarning(fired *bool, path, msg string) {
	*fired = true
	v.warnings = append(v.warnings, v.obj.fit(path, msg)...)
}

// hadIt reports whether the stored object (on UPDATE) had an interface of that
// name for which had is true. One that cannot be read has none: its flaws
// are not this request's.
func (v *validation) hadIt(name string, had func(*vmspec.Interface) bool) bool {
	if v.oldRaw != nil && !v.oldRead {
		v.oldRead = true
		if vm, err := vmspec.Read(v.gk, v.oldRaw); err == nil {
			v.old = vm.Spec
		}
	}
	for _, old := range devices(v.old).Interfaces {
		if old != nil && old.Name == name && had(old) {
			return true
		}
	}
	return false
}
