package rules

// Default binding: an interface on the pod network that names no binding
// at all would get the cluster's default (bridge, unless the KubeVirt CR
// says otherwise); give it masquerade, which keeps the pod IP reachable and
// live migration possible.
func defaultBinding(m *mutation) {
	s := m.spec
	if m.obj.controllerOwned || !s.hasPodNet {
		return
	}
	for i := range s.ifaces {
		iv := &s.ifaces[i]
		if iv.name != s.podNet || iv.binding != "" {
			continue
		}
		m.add(m.obj.ptrs.interfaces.Index(iv.idx).Key("masquerade"), struct{}{})
		iv.binding = "masquerade"
	}
}
