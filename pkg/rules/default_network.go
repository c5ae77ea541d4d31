package rules

import "github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"

// Default interface and network: a VM with neither interfaces nor networks
// (and autoattachPodInterface not false) gets KubeVirt's own default pod
// interface, but bound by masquerade rather than the cluster's default
// binding, so that it is reachable through the pod IP.
func defaultNetwork(m *mutation) {
	s := m.spec
	d := devices(s)
	autoattachOff := d != nil && d.AutoattachPodInterface != nil && !*d.AutoattachPodInterface
	if m.obj.controllerOwned() || s.Domain == nil || autoattachOff || len(interfaces(s)) > 0 || len(s.Networks) > 0 {
		return
	}
	m.pushDevice(interfacesPtr, interfaces(s) != nil, 0, defaultInterface{Name: "default"})
	m.push(networksPtr, s.Networks != nil, 0, defaultPodNetwork{Name: "default"})
	d = devices(s)
	d.Interfaces = append(d.Interfaces, &vmspec.Interface{Name: "default", Masquerade: &vmspec.Empty{}})
	s.Networks = append(s.Networks, &vmspec.Network{Name: "default", Pod: &vmspec.PodNetwork{}})
}

// The interface and network defaultNetwork adds (see noCloudVolume).
type defaultInterface struct {
	Masquerade struct{} `json:"masquerade"`
	Name       string   `json:"name"`
}

type defaultPodNetwork struct {
	Name string   `json:"name"`
	Pod  struct{} `json:"pod"`
}
