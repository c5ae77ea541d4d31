package rules

// Default interface and network: a VM with neither interfaces nor networks
// (and autoattachPodInterface not false) gets KubeVirt's own default pod
// interface, but bound by masquerade rather than the cluster's default
// binding, so that it is reachable through the pod IP.
func defaultNetwork(m *mutation) {
	s := m.spec
	d := devices(s)
	autoattachOff := d.AutoattachPodInterface != nil && !*d.AutoattachPodInterface
	if m.obj.controllerOwned() || s.Domain == nil || autoattachOff || len(d.Interfaces) > 0 || len(s.Networks) > 0 {
		return
	}
	m.addPodNIC()
}
