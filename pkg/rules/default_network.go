package rules

// Default interface and network: a VM with neither interfaces nor networks
// (and autoattachPodInterface not false) gets KubeVirt's own default pod
// interface, but bound by masquerade rather than the cluster's default
// binding, so that it is reachable through the pod IP.
func defaultNetwork(m *mutation) {
	s := m.spec
	if m.obj.controllerOwned || !s.hasDomain || s.autoattachOff || len(s.ifaces) > 0 || len(s.nets) > 0 {
		return
	}
	m.pushDevice("interfaces", s.hasIfaceList, 0, defaultInterface{Name: "default"})
	m.push(m.obj.ptrs.networks, s.hasNetList, 0, defaultPodNetwork{Name: "default"})
	s.ifaces = append(s.ifaces, ifaceView{name: "default", binding: "masquerade"})
	s.nets = append(s.nets, netView{name: "default", pod: true})
	s.podNet, s.hasPodNet = "default", true
	s.hasIfaceList, s.hasNetList = true, true
}

// The interface and network defaultNetwork adds, as structs: cheaper to
// build and to encode than maps. Their fields are in name order, as
// encoding/json writes a map's, so that the patch reads the same either
// way.
type defaultInterface struct {
	Masquerade struct{} `json:"masquerade"`
	Name       string   `json:"name"`
}

type defaultPodNetwork struct {
	Name string   `json:"name"`
	Pod  struct{} `json:"pod"`
}
