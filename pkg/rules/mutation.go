package rules

import (
	"gomodules.xyz/jsonpatch/v2"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// mutation is one Mutate call's state. Rules change the decoded object as
// they patch it, so that each rule sees the object as patched so far and
// the operations apply in order. An operation's value is the map a rule
// built; the object gets its own copy (vmspec.FromMaps), so that later
// changes to the object never reach into an operation already made.
type mutation struct {
	cfg      config.Config
	obj      *object
	uid      string
	ops      []jsonpatch.Operation
	warnings []string
	// last is set while the last rule runs: no rule reads the object after
	// it, so its changes go into the patch only.
	last bool
}

// set adds (or replaces a null at) parent's member key.
func (m *mutation) set(parent *vmspec.Object, parentPtr vmspec.Pointer, key string, value any) {
	if !m.last {
		parent.Set(key, vmspec.FromMaps(value))
	}
	m.ops = append(m.ops, jsonpatch.Operation{Operation: "add", Path: parentPtr.Key(key).String(), Value: value})
}

// replace replaces parent's member key, which is present.
func (m *mutation) replace(parent *vmspec.Object, parentPtr vmspec.Pointer, key string, value any) {
	if !m.last {
		parent.Set(key, vmspec.FromMaps(value))
	}
	m.ops = append(m.ops, jsonpatch.Operation{Operation: "replace", Path: parentPtr.Key(key).String(), Value: value})
}

// push appends value to the array parent's member key, creating the array
// when it is absent or null. The caller has checked it is not something
// else.
func (m *mutation) push(parent *vmspec.Object, parentPtr vmspec.Pointer, key string, value any) {
	list, _ := parent.Get(key).([]any)
	if list == nil {
		m.set(parent, parentPtr, key, []any{value})
		return
	}
	if !m.last {
		parent.Set(key, append(list, vmspec.FromMaps(value)))
	}
	m.ops = append(m.ops, jsonpatch.Operation{Operation: "add", Path: parentPtr.Key(key).Index(len(list)).String(), Value: value})
}

// devicesOf finds the spec's domain and domain.devices (nil when absent).
// ok is false when domain is absent or either has the wrong type: mutation
// leaves such an object to the API server's schema validation.
func devicesOf(spec *vmspec.Object) (domain, devices *vmspec.Object, ok bool) {
	domain, ok = spec.Get("domain").(*vmspec.Object)
	if !ok {
		return nil, nil, false
	}
	devices, isObject := domain.Get("devices").(*vmspec.Object)
	if domain.Get("devices") != nil && !isObject {
		return nil, nil, false
	}
	return domain, devices, true
}

// pushDevice appends value to domain.devices[list], adding devices itself
// when it is absent.
func (m *mutation) pushDevice(domain, devices *vmspec.Object, list string, value any) {
	if devices != nil {
		m.push(devices, m.obj.ptrs.devices, list, value)
		return
	}
	m.set(domain, m.obj.ptrs.domain, "devices", map[string]any{list: []any{value}})
}

// emptyOrAbsent is true for a missing, null or empty array.
func emptyOrAbsent(v any) bool {
	if v == nil {
		return true
	}
	l, ok := v.([]any)
	return ok && len(l) == 0
}

// podNetwork finds the first network with a pod source; -1 if none.
func podNetwork(spec *vmspec.Object) (idx int, name string, pod *vmspec.Object) {
	nets, _ := spec.Get("networks").([]any)
	for i, n := range nets {
		nm, _ := n.(*vmspec.Object)
		if p, ok := nm.Get("pod").(*vmspec.Object); ok {
			name, _ := nm.Get("name").(string)
			return i, name, p
		}
	}
	return -1, "", nil
}

// bindingOf names the binding field set on an interface, "" for none.
func bindingOf(iface *vmspec.Object) string {
	for _, b := range bindings {
		if iface.Get(b) != nil {
			return b
		}
	}
	return ""
}
