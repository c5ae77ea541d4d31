package rules

// Default interface and network: a VM with neither interfaces nor networks
// (and autoattachPodInterface not false) gets KubeVirt's own default pod
// interface, but bound by masquerade rather than the cluster's default
// binding, so that it is reachable through the pod IP.
func defaultNetwork(m *mutation) {
	if m.obj.controllerOwned {
		return
	}
	spec := m.obj.spec
	domain, devices, ok := devicesOf(spec)
	if !ok {
		return
	}
	if devices != nil {
		if v := devices.Get("autoattachPodInterface"); v != nil && v != true {
			return
		}
		if !emptyOrAbsent(devices.Get("interfaces")) {
			return
		}
	}
	if !emptyOrAbsent(spec.Get("networks")) {
		return
	}
	iface := map[string]any{"name": "default", "masquerade": map[string]any{}}
	m.pushDevice(domain, devices, "interfaces", iface)
	m.push(spec, m.obj.specPtr, "networks", map[string]any{"name": "default", "pod": map[string]any{}})
}
