package rules

import (
	"testing"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

func TestBootCloudInit(t *testing.T) {
	noCloud, configDrive := &vmspec.CloudInit{}, &vmspec.CloudInit{NetworkData: "x"}
	tests := []struct {
		name    string
		volumes []*vmspec.Volume
		key     string
		i       int
		ok      bool
	}{
		{"no volumes", nil, "", -1, false},
		{"no cloud-init volume", []*vmspec.Volume{{Name: "disk"}}, "", -1, false},
		{"null entries skipped", []*vmspec.Volume{nil, {CloudInitNoCloud: noCloud}}, "cloudInitNoCloud", 1, true},
		{"the first decides", []*vmspec.Volume{{CloudInitConfigDrive: configDrive}, {CloudInitNoCloud: noCloud}}, "cloudInitConfigDrive", 0, true},
		{"both kinds in one volume", []*vmspec.Volume{{Name: "d"}, {CloudInitNoCloud: noCloud, CloudInitConfigDrive: configDrive}, {CloudInitNoCloud: noCloud}}, "", 1, false},
	}
	for _, tt := range tests {
		ci, i, ok := bootCloudInit(&vmspec.Spec{Volumes: tt.volumes})
		if ci.key != tt.key || i != tt.i || ok != tt.ok {
			t.Errorf("%s: got %q at %d, %v; want %q at %d, %v", tt.name, ci.key, i, ok, tt.key, tt.i, tt.ok)
		}
	}
}

func TestPodNIC(t *testing.T) {
	pod := &vmspec.Network{Name: "default", Pod: &vmspec.PodNetwork{}}
	multus := &vmspec.Network{Name: "blue"}
	masq := func(name string) *vmspec.Interface {
		return &vmspec.Interface{Name: name, Masquerade: &vmspec.Empty{}}
	}
	bridged := &vmspec.Interface{Name: "default", Bridge: &vmspec.Empty{}}
	tests := []struct {
		name             string
		networks         []*vmspec.Network
		ifaces           []*vmspec.Interface
		podIdx, ifaceIdx int
		wantPod, wantNIC bool
	}{
		{"no networks", nil, []*vmspec.Interface{masq("default")}, -1, -1, false, false},
		{"no pod network", []*vmspec.Network{multus}, []*vmspec.Interface{masq("blue")}, -1, -1, false, false},
		{"pod network second, NIC first", []*vmspec.Network{multus, pod}, []*vmspec.Interface{masq("default"), masq("blue")}, 1, 0, true, true},
		{"null entries skipped", []*vmspec.Network{nil, pod}, []*vmspec.Interface{nil, masq("default")}, 1, 1, true, true},
		{"bridge on the pod network", []*vmspec.Network{pod}, []*vmspec.Interface{bridged}, 0, -1, true, false},
		{"the first masquerade NIC", []*vmspec.Network{pod}, []*vmspec.Interface{bridged, masq("default"), masq("default")}, 0, 1, true, true},
	}
	for _, tt := range tests {
		s := &vmspec.Spec{Networks: tt.networks, Domain: &vmspec.Domain{Devices: &vmspec.Devices{Interfaces: tt.ifaces}}}
		p, pi, iface, ii := podNIC(s, isMasquerade)
		if (p != nil) != tt.wantPod || (iface != nil) != tt.wantNIC || pi != tt.podIdx || ii != tt.ifaceIdx {
			t.Errorf("%s: got pod %v at %d, NIC %v at %d; want %v at %d, %v at %d",
				tt.name, p != nil, pi, iface != nil, ii, tt.wantPod, tt.podIdx, tt.wantNIC, tt.ifaceIdx)
		}
	}
}
