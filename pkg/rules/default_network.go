package rules

import "github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"

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
	m.push(interfacesPtr, d.Interfaces != nil, 0, defaultInterface{Name: "default"})
	m.push(networksPtr, s.Networks != nil, 0, defaultPodNetwork{Name: "default"})
	s.Domain.Devices.Interfaces = append(s.Domain.Devices.Interfaces, &vmspec.Interface{Name: "default", Masquerade: &vmspec.Empty{}})
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
