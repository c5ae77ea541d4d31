package rules

// Default binding: an interface on the pod network that names no binding
// at all would get the cluster's default (bridge, unless the KubeVirt CR
// says otherwise); give it masquerade, which keeps the pod IP reachable and
// live migration possible.
func defaultBinding(m *mutation) {
	pod, _ := podNetwork(m.spec)
	if m.obj.controllerOwned() || pod == nil {
		return
	}
	for i, iface := range devices(m.spec).Interfaces {
		if iface != nil && iface.Name == pod.Name && iface.BindingName() == "" {
			m.setMasquerade(i)
		}
	}
}
