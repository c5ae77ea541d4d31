package rules

import "github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"

// Default binding: an interface on the pod network that names no binding
// at all would get the cluster's default (bridge, unless the KubeVirt CR
// says otherwise); give it masquerade, which keeps the pod IP reachable and
// live migration possible.
func defaultBinding(m *mutation) {
	if m.obj.controllerOwned {
		return
	}
	_, podName, pod := podNetwork(m.obj.spec)
	if pod == nil {
		return
	}
	domain, _ := m.obj.spec.Get("domain").(*vmspec.Object)
	devices, _ := domain.Get("devices").(*vmspec.Object)
	ifaces, _ := devices.Get("interfaces").([]any)
	ifacesPtr := m.obj.ptrs.interfaces
	for i, raw := range ifaces {
		iface, ok := raw.(*vmspec.Object)
		if !ok || iface.Get("name") != podName || bindingOf(iface) != "" {
			continue
		}
		m.set(iface, ifacesPtr.Index(i), "masquerade", map[string]any{})
	}
}
