package rules

import (
	"gomodules.xyz/jsonpatch/v2"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// mutation is one Mutate call's state. Rules change the decoded object as
// they patch it, so that each rule sees the object as patched so far and
// the operations apply in order.
type mutation struct {
	cfg      config.Config
	obj      *object
	uid      string
	ops      []jsonpatch.Operation
	warnings []string
}

// set adds (or replaces a null at) parent[key].
func (m *mutation) set(parent map[string]any, parentPtr vmspec.Pointer, key string, value any) {
	parent[key] = value
	m.ops = append(m.ops, jsonpatch.Operation{Operation: "add", Path: parentPtr.Key(key).String(), Value: clone(value)})
}

// replace replaces parent[key], which is present.
func (m *mutation) replace(parent map[string]any, parentPtr vmspec.Pointer, key string, value any) {
	parent[key] = value
	m.ops = append(m.ops, jsonpatch.Operation{Operation: "replace", Path: parentPtr.Key(key).String(), Value: clone(value)})
}

// push appends value to the array parent[key], creating the array when it
// is absent or null. The caller has checked it is not something else.
func (m *mutation) push(parent map[string]any, parentPtr vmspec.Pointer, key string, value any) {
	list, _ := parent[key].([]any)
	if list == nil {
		m.set(parent, parentPtr, key, []any{value})
		return
	}
	parent[key] = append(list, value)
	m.ops = append(m.ops, jsonpatch.Operation{Operation: "add", Path: parentPtr.Key(key).Index(len(list)).String(), Value: clone(value)})
}

// devicesOf finds the spec's domain and domain.devices (nil when absent).
// ok is false when domain is absent or either has the wrong type: mutation
// leaves such an object to the API server's schema validation.
func devicesOf(spec map[string]any) (domain, devices map[string]any, ok bool) {
	domain, ok = spec["domain"].(map[string]any)
	if !ok {
		return nil, nil, false
	}
	devices, isObject := domain["devices"].(map[string]any)
	if domain["devices"] != nil && !isObject {
		return nil, nil, false
	}
	return domain, devices, true
}

// pushDevice appends value to domain.devices[list], adding devices itself
// when it is absent.
func (m *mutation) pushDevice(domain, devices map[string]any, list string, value any) {
	domainPtr := m.obj.specPtr.Key("domain")
	if devices != nil {
		m.push(devices, domainPtr.Key("devices"), list, value)
		return
	}
	m.set(domain, domainPtr, "devices", map[string]any{list: []any{value}})
}

// clone copies a value this package built, so that a later change to the
// object does not reach into an operation already made.
func clone(v any) any {
	switch t := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(t))
		for k, e := range t {
			c[k] = clone(e)
		}
		return c
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = clone(e)
		}
		return c
	}
	return v
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
func podNetwork(spec map[string]any) (idx int, name string, pod map[string]any) {
	nets, _ := spec["networks"].([]any)
	for i, n := range nets {
		nm, _ := n.(map[string]any)
		if p, ok := nm["pod"].(map[string]any); ok {
			name, _ := nm["name"].(string)
			return i, name, p
		}
	}
	return -1, "", nil
}

// bindingOf names the binding field set on an interface, "" for none.
func bindingOf(iface map[string]any) string {
	for _, b := range bindings {
		if iface[b] != nil {
			return b
		}
	}
	return ""
}
