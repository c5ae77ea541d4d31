package rules

import (
	"slices"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// devices returns the spec's domain.devices, empty when it has none.
func devices(s *vmspec.Spec) vmspec.Devices {
	if s == nil || s.Domain == nil || s.Domain.Devices == nil {
		return vmspec.Devices{}
	}
	return *s.Domain.Devices
}

// podNetwork returns the first network on the pod network and its
// position, or nil and -1.
func podNetwork(s *vmspec.Spec) (*vmspec.Network, int) {
	for i, n := range s.Networks {
		if n != nil && n.Pod != nil {
			return n, i
		}
	}
	return nil, -1
}

// podNIC returns the pod network and its first interface that masquerade
// accepts, with their positions; iface is nil for none.
func podNIC(s *vmspec.Spec, masquerade func(*vmspec.Interface) bool) (pod *vmspec.Network, podIdx int, iface *vmspec.Interface, ifaceIdx int) {
	if pod, podIdx = podNetwork(s); pod != nil {
		for i, iface := range devices(s).Interfaces {
			if iface != nil && iface.Name == pod.Name && masquerade(iface) {
				return pod, podIdx, iface, i
			}
		}
	}
	return pod, podIdx, nil, -1
}

// isMasquerade reports whether an interface is bound by masquerade, as
// written or as defaulted earlier in this pass.
func isMasquerade(iface *vmspec.Interface) bool { return iface.BindingName() == "masquerade" }

// hasNullEntry reports whether a list mutation patches has a null entry,
// which the API server refuses.
func hasNullEntry(s *vmspec.Spec) bool {
	d := devices(s)
	return slices.Contains(d.Interfaces, nil) || slices.Contains(s.Networks, nil) ||
		slices.Contains(s.Volumes, nil) || slices.Contains(d.Disks, nil)
}

// cloudInitSource is one cloud-init source of a volume, under its key
// (cloudInitNoCloud or cloudInitConfigDrive).
type cloudInitSource struct {
	key string
	*vmspec.CloudInit
}

// cloudInits lists a volume's cloud-init sources, NoCloud first; none for
// a null entry.
func cloudInits(vol *vmspec.Volume) []cloudInitSource {
	var out []cloudInitSource
	if vol != nil {
		for _, ci := range [...]cloudInitSource{{"cloudInitNoCloud", vol.CloudInitNoCloud}, {"cloudInitConfigDrive", vol.CloudInitConfigDrive}} {
			if ci.CloudInit != nil {
				out = append(out, ci)
			}
		}
	}
	return out
}

// bootCloudInit returns the cloud-init source the guest boots with, as
// KubeVirt picks it: the first volume's with one, at i. ok is false when
// there is none (i is -1), or that volume sets both kinds.
func bootCloudInit(s *vmspec.Spec) (ci cloudInitSource, i int, ok bool) {
	for i, vol := range s.Volumes {
		switch cis := cloudInits(vol); len(cis) {
		case 1:
			return cis[0], i, true
		case 2:
			return cloudInitSource{}, i, false
		}
	}
	return cloudInitSource{}, -1, false
}

// networkDataSources names the network data fields a source sets.
func (c cloudInitSource) networkDataSources() []string {
	var out []string
	for i, set := range [...]bool{c.NetworkData != "", c.NetworkDataBase64 != "", c.NetworkDataSecretRef != nil} {
		if set {
			out = append(out, [...]string{"networkData", "networkDataBase64", "networkDataSecretRef"}[i])
		}
	}
	return out
}
