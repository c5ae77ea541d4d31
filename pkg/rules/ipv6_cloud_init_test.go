package rules

import (
	"net/netip"
	"testing"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

const defaultNetworkData = "version: 2\nethernets:\n  eth0:\n    dhcp4: true\n    addresses: [fd10:0:2::2/120]\n    gateway6: fd10:0:2::1\n"

func TestNetplan(t *testing.T) {
	if got := netplan("eth0", config.KubeVirtDefaultIPv6CIDR); got != defaultNetworkData {
		t.Errorf("got %q, want %q", got, defaultNetworkData)
	}
	// Host bits are masked; the prefix length is kept.
	want := "version: 2\nethernets:\n  enp1s0:\n    dhcp4: true\n    addresses: [fd20::2/64]\n    gateway6: fd20::1\n"
	if got := netplan("enp1s0", netip.MustParsePrefix("fd20::77/64")); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestIPv6CloudInit(t *testing.T) {
	const spec = "/spec/template/spec"
	const nd = `"version: 2\nethernets:\n  eth0:\n    dhcp4: true\n    addresses: [fd10:0:2::2/120]\n    gateway6: fd10:0:2::1\n"`
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
				`add ` + spec + `/volumes/1 {"cloudInitNoCloud":{"networkData":` + nd + `},"name":"cloudinitdisk"}`,
				`add ` + spec + `/domain/devices/disks/1 {"disk":{"bus":"virtio"},"name":"cloudinitdisk"}`,
			},
		},
		{
			name:    "no volumes and no disks: create the lists",
			devices: `{interfaces: [{name: default, masquerade: {}}]}`,
			want: []string{
				`add ` + spec + `/volumes [{"cloudInitNoCloud":{"networkData":` + nd + `},"name":"cloudinitdisk"}]`,
				`add ` + spec + `/domain/devices/disks [{"disk":{"bus":"virtio"},"name":"cloudinitdisk"}]`,
			},
		},
		{
			name:    "name taken",
			devices: `{disks: [{name: cloudinitdisk-1, disk: {}}], interfaces: [{name: default, masquerade: {}}]}`,
			volumes: `[{name: cloudinitdisk, containerDisk: {image: fedora}}]`,
			want: []string{
				`add ` + spec + `/volumes/1 {"cloudInitNoCloud":{"networkData":` + nd + `},"name":"cloudinitdisk-2"}`,
				`add ` + spec + `/domain/devices/disks/1 {"disk":{"bus":"virtio"},"name":"cloudinitdisk-2"}`,
			},
		},
		{
			name:    "first NoCloud volume keeps its userData",
			devices: `{interfaces: [{name: default, masquerade: {}}]}`,
			volumes: `[{name: root, containerDisk: {image: f}}, {name: ci, cloudInitNoCloud: {userData: "#cloud-config"}}, {name: ci2, cloudInitNoCloud: {}}]`,
			want:    []string{`add ` + spec + `/volumes/1/cloudInitNoCloud/networkData ` + nd},
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
			want:    []string{`add ` + spec + `/volumes/0/cloudInitNoCloud/networkData "version: 2\nethernets:\n  eth0:\n    dhcp4: true\n    addresses: [fd20::2/64]\n    gateway6: fd20::1\n"`},
		},
		{
			name: "configured default CIDR is written into the network too",
			cfg: func(c *config.Config) {
				c.IPv6.DefaultCIDR = netip.MustParsePrefix("fd30::/120")
				c.IPv6.GuestInterface = "enp1s0"
			},
			devices: `{interfaces: [{name: default, masquerade: {}}]}`,
			volumes: `[{name: ci, cloudInitNoCloud: {userData: x}}]`,
			want: []string{
				`add ` + spec + `/networks/0/pod/vmIPv6NetworkCIDR "fd30::/120"`,
				`add ` + spec + `/volumes/0/cloudInitNoCloud/networkData "version: 2\nethernets:\n  enp1s0:\n    dhcp4: true\n    addresses: [fd30::2/120]\n    gateway6: fd30::1\n"`,
			},
		},
		{
			name:    "Windows guest: a warning with the address to set, no injection",
			meta:    `{name: vm, labels: {vm.kubevirt.io/template: windows2k22-server-medium}}`,
			devices: `{interfaces: [{name: default, masquerade: {}}]}`,
			warns:   []string{"spec.template.spec.networks[0].pod: Windows: set IPv6 fd10:0:2::2/120, gateway fd10:0:2::1 in the guest"},
		},
		{name: "injection off", cfg: func(c *config.Config) { c.IPv6.Inject = false }, devices: `{interfaces: [{name: default, masquerade: {}}]}`},
		{name: "bridge on the pod network", devices: `{interfaces: [{name: default, bridge: {}}]}`},
		{name: "bad CIDR left to validation", devices: `{interfaces: [{name: default, masquerade: {}}]}`, pod: `{vmIPv6NetworkCIDR: "fd10::/127"}`},
		{name: "volumes ill-typed", devices: `{interfaces: [{name: default, masquerade: {}}]}`, volumes: `{a: b}`},
		{name: "volume entry ill-typed", devices: `{interfaces: [{name: default, masquerade: {}}]}`, volumes: `[7]`},
		{name: "disks ill-typed", devices: `{disks: 1, interfaces: [{name: default, masquerade: {}}]}`},
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
