package rules

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/netconfig"
)

// testMAC is the MAC of a VM named vm, pinned in TestAssignedMAC.
const testMAC = "e6:c8:f8:2e:9f:35"

// netData is the networkData for the NIC eth0 with testMAC on cidr's
// network, as the JSON string of a patch value.
func netData(t *testing.T, addr, gw string) string {
	t.Helper()
	b, err := json.Marshal(netconfig.Marker + "version: 1\nconfig:\n  - type: physical\n    name: eth0\n    mac_address: \"" + testMAC +
		"\"\n    subnets:\n      - type: dhcp4\n      - type: static6\n        address: " + addr + "\n        gateway: " + gw + "\n")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIPv6CloudInit(t *testing.T) {
	const spec = "/spec/template/spec"
	nd := netData(t, "fd10:0:2::2/120", "fd10:0:2::1")
	mac := `add ` + spec + `/domain/devices/interfaces/0/macAddress "` + testMAC + `"`
	tests := []struct {
		name    string
		cfg     func(*config.Config)
		meta    string
		devices string
		pod     string
		volumes string
		want    []string
		warns   []string
	}{
		{
			name:    "no cloud-init volume: add volume and disk",
			devices: `{disks: [{name: root, disk: {}}], interfaces: [{name: default, masquerade: {}}]}`,
			volumes: `[{name: root, containerDisk: {image: fedora}}]`,
			want: []string{
				mac,
				`add ` + spec + `/volumes/1 {"cloudInitNoCloud":{"networkData":` + nd + `},"name":"cloudinitdisk"}`,
				`add ` + spec + `/domain/devices/disks/1 {"disk":{"bus":"virtio"},"name":"cloudinitdisk"}`,
			},
		},
		{
			name:    "no volumes and no disks: create the lists",
			devices: `{interfaces: [{name: default, masquerade: {}}]}`,
			want: []string{
				mac,
				`add ` + spec + `/volumes [{"cloudInitNoCloud":{"networkData":` + nd + `},"name":"cloudinitdisk"}]`,
				`add ` + spec + `/domain/devices/disks [{"disk":{"bus":"virtio"},"name":"cloudinitdisk"}]`,
			},
		},
		{
			name:    "name taken",
			devices: `{disks: [{name: cloudinitdisk-1, disk: {}}], interfaces: [{name: default, masquerade: {}}]}`,
			volumes: `[{name: cloudinitdisk, containerDisk: {image: fedora}}]`,
			want: []string{
				mac,
				`add ` + spec + `/volumes/1 {"cloudInitNoCloud":{"networkData":` + nd + `},"name":"cloudinitdisk-2"}`,
				`add ` + spec + `/domain/devices/disks/1 {"disk":{"bus":"virtio"},"name":"cloudinitdisk-2"}`,
			},
		},
		{
			name:    "first NoCloud volume keeps its userData",
			devices: `{interfaces: [{name: default, masquerade: {}}]}`,
			volumes: `[{name: root, containerDisk: {image: f}}, {name: ci, cloudInitNoCloud: {userData: "#cloud-config"}}, {name: ci2, cloudInitNoCloud: {}}]`,
			want:    []string{mac, `add ` + spec + `/volumes/1/cloudInitNoCloud/networkData ` + nd},
		},
		{name: "own networkData", devices: `{interfaces: [{name: default, masquerade: {}}]}`, volumes: `[{name: ci, cloudInitNoCloud: {networkData: "version: 1"}}]`},
		{name: "own networkDataBase64", devices: `{interfaces: [{name: default, masquerade: {}}]}`, volumes: `[{name: ci, cloudInitNoCloud: {networkDataBase64: "eA=="}}]`},
		{name: "own networkDataSecretRef", devices: `{interfaces: [{name: default, masquerade: {}}]}`, volumes: `[{name: ci, cloudInitNoCloud: {networkDataSecretRef: {name: s}}}]`},
		{
			name:    "ConfigDrive first: warning, no injection",
			devices: `{interfaces: [{name: default, masquerade: {}}]}`,
			volumes: `[{name: cd, cloudInitConfigDrive: {userData: "#cloud-config"}}, {name: ci, cloudInitNoCloud: {}}]`,
			warns:   []string{"spec.template.spec.volumes[0].cloudInitConfigDrive: IPv6 networkData not injected (ConfigDrive is not netplan)"},
		},
		{name: "ConfigDrive with its own network data", devices: `{interfaces: [{name: default, masquerade: {}}]}`, volumes: `[{name: cd, cloudInitConfigDrive: {networkData: "{}"}}]`},
		{
			name:    "own CIDR, host bits",
			devices: `{interfaces: [{name: default, masquerade: {}}]}`,
			pod:     `{vmIPv6NetworkCIDR: "fd20::77/64"}`,
			volumes: `[{name: ci, cloudInitNoCloud: {userData: x}}]`,
			want:    []string{mac, `add ` + spec + `/volumes/0/cloudInitNoCloud/networkData ` + netData(t, "fd20::2/64", "fd20::1")},
		},
		{
			name: "configured default CIDR is written into the network too",
			cfg: func(c *config.Config) {
				c.IPv6.DefaultCIDR = netip.MustParsePrefix("fd30::/120")
			},
			devices: `{interfaces: [{name: default, masquerade: {}}]}`,
			volumes: `[{name: ci, cloudInitNoCloud: {userData: x}}]`,
			want: []string{
				mac,
				`add ` + spec + `/networks/0/pod/vmIPv6NetworkCIDR "fd30::/120"`,
				`add ` + spec + `/volumes/0/cloudInitNoCloud/networkData ` + netData(t, "fd30::2/120", "fd30::1"),
			},
		},
		{
			name:    "the NIC's own MAC, as the guest will see it",
			devices: `{interfaces: [{name: default, masquerade: {}, macAddress: "E6-C8-F8-2E-9F-35"}]}`,
			volumes: `[{name: ci, cloudInitNoCloud: {userData: x}}]`,
			want:    []string{`add ` + spec + `/volumes/0/cloudInitNoCloud/networkData ` + nd},
		},
		{
			name:    "a MAC no NIC can take: nothing injected, a warning",
			devices: `{interfaces: [{name: default, masquerade: {}, macAddress: "01:00:5e:00:00:01"}]}`,
			warns:   []string{"spec.template.spec.domain.devices.interfaces[0].macAddress: IPv6 networkData not injected: no NIC can take this MAC"},
		},
		{
			name:    "not a MAC: nothing injected, a warning",
			devices: `{interfaces: [{name: default, masquerade: {}, macAddress: "nope"}]}`,
			warns:   []string{"spec.template.spec.domain.devices.interfaces[0].macAddress: IPv6 networkData not injected: no NIC can take this MAC"},
		},
		{
			name:    "pod NIC second: named eth1",
			devices: `{interfaces: [{name: blue, bridge: {}}, {name: default, masquerade: {}}]}`,
			volumes: `[{name: ci, cloudInitNoCloud: {userData: x}}]`,
			want: []string{
				`add ` + spec + `/domain/devices/interfaces/1/macAddress "` + testMAC + `"`,
				`add ` + spec + `/volumes/0/cloudInitNoCloud/networkData ` + strings.ReplaceAll(nd, "eth0", "eth1"),
			},
		},
		{
			name:    "ours, for another MAC (a MAC pool set one since): rewritten",
			devices: `{interfaces: [{name: default, masquerade: {}, macAddress: "e6:c8:f8:2e:9f:35"}]}`,
			volumes: `[{name: ci, cloudInitNoCloud: {networkData: ` + strings.ReplaceAll(nd, testMAC, "02:00:00:00:00:09") + `}}]`,
			want:    []string{`replace ` + spec + `/volumes/0/cloudInitNoCloud/networkData ` + nd},
		},
		{
			name:    "ours, MAC removed since: a MAC again, rewritten",
			devices: `{interfaces: [{name: default, masquerade: {}}]}`,
			volumes: `[{name: ci, cloudInitNoCloud: {networkData: ` + strings.ReplaceAll(nd, testMAC, "02:00:00:00:00:09") + `}}]`,
			want:    []string{mac, `replace ` + spec + `/volumes/0/cloudInitNoCloud/networkData ` + nd},
		},
		{
			name:    "name still to be generated: the MAC comes from the request's UID",
			meta:    `{generateName: vm-}`,
			devices: `{interfaces: [{name: default, masquerade: {}}]}`,
			volumes: `[{name: ci, cloudInitNoCloud: {userData: x}}]`,
			want: []string{
				`add ` + spec + `/domain/devices/interfaces/0/macAddress "e6:b1:fb:e5:a7:d5"`,
				`add ` + spec + `/volumes/0/cloudInitNoCloud/networkData ` + strings.ReplaceAll(nd, testMAC, "e6:b1:fb:e5:a7:d5"),
			},
		},
		{
			name:    "IPv4-only cluster (auto): nothing",
			cfg:     func(c *config.Config) { c.IPv6.PodNetworkIPv6 = false },
			devices: `{interfaces: [{name: default, masquerade: {}}]}`,
		},
		{
			name:    "IPv4-only cluster (auto), the VM asks with its own CIDR",
			cfg:     func(c *config.Config) { c.IPv6.PodNetworkIPv6 = false },
			devices: `{interfaces: [{name: default, masquerade: {}}]}`,
			pod:     `{vmIPv6NetworkCIDR: "fd20::/64"}`,
			volumes: `[{name: ci, cloudInitNoCloud: {userData: x}}]`,
			want:    []string{mac, `add ` + spec + `/volumes/0/cloudInitNoCloud/networkData ` + netData(t, "fd20::2/64", "fd20::1")},
		},
		{
			name:    "IPv4-only cluster, always",
			cfg:     func(c *config.Config) { c.IPv6.PodNetworkIPv6, c.IPv6.Inject = false, config.InjectAlways },
			devices: `{interfaces: [{name: default, masquerade: {}}]}`,
			volumes: `[{name: ci, cloudInitNoCloud: {userData: x}}]`,
			want:    []string{mac, `add ` + spec + `/volumes/0/cloudInitNoCloud/networkData ` + nd},
		},
		{
			name:    "Windows guest: a warning with the address to set, no injection",
			meta:    `{name: vm, labels: {vm.kubevirt.io/template: windows2k22-server-medium}}`,
			devices: `{interfaces: [{name: default, masquerade: {}}]}`,
			warns:   []string{"spec.template.spec.networks[0].pod: Windows: set IPv6 fd10:0:2::2/120, gateway fd10:0:2::1 in the guest"},
		},
		{name: "injection off", cfg: func(c *config.Config) { c.IPv6.Inject = config.InjectNever }, devices: `{interfaces: [{name: default, masquerade: {}}]}`},
		{name: "own network data, not ours", devices: `{interfaces: [{name: default, masquerade: {}, macAddress: "02:00:00:00:00:01"}]}`, volumes: `[{name: ci, cloudInitNoCloud: {networkData: "version: 2\nethernets: {}\n"}}]`},
		{name: "bridge on the pod network", devices: `{interfaces: [{name: default, bridge: {}}]}`},
		{name: "bad CIDR left to validation", devices: `{interfaces: [{name: default, masquerade: {}}]}`, pod: `{vmIPv6NetworkCIDR: "fd10::/127"}`},
		{name: "volumes ill-typed", devices: `{interfaces: [{name: default, masquerade: {}}]}`, volumes: `{a: b}`},
		{name: "volume entry ill-typed", devices: `{interfaces: [{name: default, masquerade: {}}]}`, volumes: `[7]`},
		{name: "disks ill-typed", devices: `{disks: 1, interfaces: [{name: default, masquerade: {}}]}`},
		{name: "disk name ill-typed", devices: `{disks: [{name: 1}], interfaces: [{name: default, masquerade: {}}]}`},
		{name: "a null disk", devices: `{disks: [null], interfaces: [{name: default, masquerade: {}}]}`},
		{name: "a null volume", devices: `{interfaces: [{name: default, masquerade: {}}]}`, volumes: `[null]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod, volumes, meta := tt.pod, tt.volumes, tt.meta
			if meta == "" {
				meta = "{name: vm}"
			}
			if pod == "" {
				pod = "{}"
			}
			if volumes == "" {
				volumes = "null"
			}
			y := `
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: ` + meta + `
spec:
  template:
    spec:
      domain: {devices: ` + tt.devices + `}
      networks: [{name: default, pod: ` + pod + `}]
      volumes: ` + volumes + "\n"
			cfg := defaults()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			obj := toJSON(t, y)
			res := Mutate(cfg, createReq(t, obj))
			if got := opStrings(t, res); !sameStrings(got, tt.want) {
				t.Errorf("ops:\n got %q\nwant %q", got, tt.want)
			}
			if !sameStrings(res.Warnings, tt.warns) {
				t.Errorf("warnings:\n got %q\nwant %q", res.Warnings, tt.warns)
			}
			patched := applyPatch(t, obj, res)
			if again := Mutate(cfg, createReq(t, patched)); len(again.Patch) != 0 {
				t.Errorf("second pass: %q", opStrings(t, again))
			}
		})
	}
}
