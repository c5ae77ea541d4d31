package rules

// Default interface and network: a VM with neither interfaces nor networks
// (and autoattachPodInterface not false) gets KubeVirt's own default pod
// interface, but bound by masquerade rather than the cluster's default
// binding, so that it is reachable through the pod IP.
func defaultNetwork(m *mutation) {
	spec := m.obj.spec
	domain, ok := spec["domain"].(map[string]any)
	if !ok {
		return
	}
	devices, hasDevices := domain["devices"].(map[string]any)
	if domain["devices"] != nil && !hasDevices {
		return
	}
	if hasDevices {
		if v := devices["autoattachPodInterface"]; v != nil && v != true {
			return
		}
		if !emptyOrAbsent(devices["interfaces"]) {
			return
		}
	}
	if !emptyOrAbsent(spec["networks"]) {
		return
	}
	iface := map[string]any{"name": "default", "masquerade": map[string]any{}}
	domainPtr := m.obj.specPtr.Key("domain")
	if hasDevices {
		m.push(devices, domainPtr.Key("devices"), "interfaces", iface)
	} else {
		m.set(domain, domainPtr, "devices", map[string]any{"interfaces": []any{iface}})
	}
	m.push(spec, m.obj.specPtr, "networks", map[string]any{"name": "default", "pod": map[string]any{}})
}
