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
	oldRaw     []byte       // the stored object, on UPDATE; read when a rule asks
	old        *vmspec.Spec // as read
	oldRead    bool
	errs       field.ErrorList
	warnings   []string
	notChecked []string // paths of fields the rules could not read
	ratcheted  int      // warning lines of the running rule that warnRatchet added
}

// masquerade reports whether an interface is, or will be, bound by
// masquerade: it says so, or Mutate defaults it.
func (v *validation) masquerade(iface *vmspec.Interface) bool {
	b := iface.BindingName()
	return b == "masquerade" || b == "" && v.onPod(iface) && !v.obj.optedOut && !v.obj.controllerOwned()
}

func (v *validation) onPod(iface *vmspec.Interface) bool {
	n, _ := podNetwork(v.spec)
	return n != nil && iface.Name == n.Name
}

// deny refuses with err, or warns with short when enforcement is warn.
func (v *validation) deny(err *field.Error, short string) {
	if v.cfg.Enforcement == config.Warn {
		v.warnings = append(v.warnings, v.obj.fit(err.Field, short)...)
	} else {
		v.errs = append(v.errs, err)
	}
}

// warn warns of the field at path.
func (v *validation) warn(path *field.Path, msg string) {
	v.warnings = append(v.warnings, v.obj.fit(path.String(), msg)...)
}

// warnRatchet warns of a reserved port the stored object had, counted
// under RuleReservedPortsRatchet.
func (v *validation) warnRatchet(path *field.Path, msg string) {
	n := len(v.warnings)
	v.warn(path, msg)
	v.ratcheted += len(v.warnings) - n
}

// hadIt reports whether the stored object of an UPDATE had an interface of
// that name for which had is true; one that cannot be read has none.
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
