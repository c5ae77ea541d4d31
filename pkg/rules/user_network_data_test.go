package rules

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

func TestUserNetworkData(t *testing.T) {
	const guide = `"version: 2\nethernets:\n  eth0:\n    dhcp4: true\n    addresses: [fd10:0:2::2/120]\n    gateway6: fd10:0:2::1\n"`
	b64 := base64.StdEncoding.EncodeToString([]byte("version: 2\nethernets:\n  eth0:\n    dhcp4: true\n"))
	noMatch := func(field string) []string {
		return []string{
			field + ": ethernets.eth0 has no match: on a guest whose NIC is not eth0 (enp1s0 on q35)",
			field + ": cloud-init sets up no NIC: the VM loses IPv4 too",
			field + `: fix: match: {macaddress: "02:9a:00:00:00:01"} and set-name: eth0, or delete`,
			field + ": networkData: the webhook writes it",
		}
	}
	// The guide's recipe uses gateway6.
	deprecated := []string{
		"volumes[0].cloudInitNoCloud.networkData: ethernets.eth0: gateway6 is deprecated in cloud-init 22.4 and set to go in",
		"volumes[0].cloudInitNoCloud.networkData: 27.4, and newer guests report a degraded boot for it; fix: network config",
		"volumes[0].cloudInitNoCloud.networkData: version 1, with gateway fd10:0:2::1 on a static6 subnet, or delete",
		"volumes[0].cloudInitNoCloud.networkData: networkData: the webhook writes one that works",
	}
	tests := []struct {
		name        string
		annotations string
		iface       string // the pod network's interface
		pod         string
		volumes     string
		want        []string
		notChecked  []string
	}{
		{
			name:    "the guide's recipe, MAC pinned",
			iface:   `{name: default, masquerade: {}, macAddress: "02:9a:00:00:00:01"}`,
			volumes: `[{name: ci, cloudInitNoCloud: {networkData: ` + guide + `}}]`,
			want:    append(noMatch("volumes[0].cloudInitNoCloud.networkData"), deprecated...),
		},
		{
			name:    "networkDataBase64, decoded",
			iface:   `{name: default, masquerade: {}, macAddress: "02:9a:00:00:00:01"}`,
			volumes: `[{name: ci, cloudInitNoCloud: {networkDataBase64: "` + b64 + `"}}]`,
			want: []string{
				"volumes[0].cloudInitNoCloud.networkDataBase64: ethernets.eth0 has no match: on a guest whose NIC is not eth0 (enp1s0 on",
				"volumes[0].cloudInitNoCloud.networkDataBase64: q35) cloud-init sets up no NIC: the VM loses IPv4 too",
				`volumes[0].cloudInitNoCloud.networkDataBase64: fix: match: {macaddress: "02:9a:00:00:00:01"} and set-name: eth0, or`,
				"volumes[0].cloudInitNoCloud.networkDataBase64: delete networkData: the webhook writes it",
			},
		},
		{
			name:    "its own vmIPv6NetworkCIDR",
			iface:   `{name: default, masquerade: {}, macAddress: "02:9a:00:00:00:01"}`,
			pod:     `{vmIPv6NetworkCIDR: "fd20:0:1::/120"}`,
			volumes: `[{name: ci, cloudInitNoCloud: {networkData: "version: 2\nethernets:\n  e:\n    match: {macaddress: \"02:9a:00:00:00:01\"}\n    dhcp4: true\n    addresses: [fd10:0:2::2/120]\n    gateway6: fd20:0:1::1\n"}}]`,
			want: []string{
				"volumes[0].cloudInitNoCloud.networkData: ethernets.e: fd10:0:2::2/120 is outside vmIPv6NetworkCIDR fd20:0:1::/120: the",
				"volumes[0].cloudInitNoCloud.networkData: launcher forwards IPv6 only to fd20:0:1::2; fix: addresses: [fd20:0:1::2/120]",
				"volumes[0].cloudInitNoCloud.networkData: ethernets.e: gateway6 is deprecated in cloud-init 22.4 and set to go in 27.4,",
				"volumes[0].cloudInitNoCloud.networkData: and newer guests report a degraded boot for it; fix: network config version 1,",
				"volumes[0].cloudInitNoCloud.networkData: with gateway fd20:0:1::1 on a static6 subnet, or delete networkData: the",
				"volumes[0].cloudInitNoCloud.networkData: webhook writes one that works",
			},
		},
		{
			name:    "ConfigDrive with netplan",
			iface:   `{name: default, masquerade: {}}`,
			volumes: `[{name: ci, cloudInitConfigDrive: {networkData: ` + guide + `}}]`,
			want: []string{
				"volumes[0].cloudInitConfigDrive.networkData: is netplan YAML, but a ConfigDrive's network data is OpenStack's",
				"volumes[0].cloudInitConfigDrive.networkData: network_data.json: cloud-init cannot use it; use cloudInitNoCloud",
			},
		},
		{
			name:       "a Secret: not checked",
			iface:      `{name: default, masquerade: {}}`,
			volumes:    `[{name: ci, cloudInitNoCloud: {networkDataSecretRef: {name: nd}}}]`,
			notChecked: []string{"spec.template.spec.volumes[0].cloudInitNoCloud.networkDataSecretRef"},
		},
		{
			name:    "only the first cloud-init volume counts",
			iface:   `{name: default, masquerade: {}}`,
			volumes: `[{name: a, cloudInitNoCloud: {userData: "#cloud-config\n"}}, {name: b, cloudInitNoCloud: {networkData: ` + guide + `}}]`,
		},
		{
			name:    "the webhook's own config",
			iface:   `{name: default, masquerade: {}, macAddress: "02:9a:00:00:00:02"}`,
			volumes: `[{name: ci, cloudInitNoCloud: {networkData: "# vmnet-webhook: pod network, IPv6 by static address\nversion: 2\nethernets:\n  eth0: {dhcp4: true}\n"}}]`,
		},
		{
			name:    "bridge on the pod network: the launcher's addressing does not apply",
			iface:   `{name: default, bridge: {}}`,
			volumes: `[{name: ci, cloudInitNoCloud: {networkData: ` + guide + `}}]`,
		},
		{
			name:        "opted out: no warning",
			annotations: `{vmnet.kubevirt.io/mutate: "false"}`,
			iface:       `{name: default, masquerade: {}}`,
			volumes:     `[{name: ci, cloudInitNoCloud: {networkData: ` + guide + `}}]`,
		},
		{
			name:    "a pod CIDR validation refuses: no lint",
			iface:   `{name: default, masquerade: {}}`,
			pod:     `{vmIPv6NetworkCIDR: "nonsense"}`,
			volumes: `[{name: ci, cloudInitNoCloud: {networkData: ` + guide + `}}]`,
		},
		{
			name:    "an IPv4 CIDR as the IPv6 one, which CIDR validation refuses: no lint",
			iface:   `{name: default, masquerade: {}}`,
			pod:     `{vmIPv6NetworkCIDR: "10.0.2.0/24"}`,
			volumes: `[{name: ci, cloudInitNoCloud: {networkData: ` + guide + `}}]`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod := tt.pod
			if pod == "" {
				pod = "{}"
			}
			ann := tt.annotations
			if ann == "" {
				ann = "{}"
			}
			y := `
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: vm, annotations: ` + ann + `}
spec:
  template:
    spec:
      domain: {devices: {interfaces: [` + tt.iface + `]}}
      networks: [{name: default, pod: ` + pod + `}]
      volumes: ` + tt.volumes + `
`
			for _, enf := range []config.Enforcement{config.Deny, config.Warn} {
				cfg := defaults()
				cfg.Enforcement = enf
				res := Validate(cfg, createReq(t, toJSON(t, y)))
				var got []string
				for _, w := range res.Warnings {
					if strings.Contains(w, "networkData") || strings.Contains(w, "cloudInitConfigDrive") {
						got = append(got, w)
					}
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("%s: warnings:\n got %q\nwant %q", enf, got, tt.want)
				}
				for _, w := range res.Warnings {
					if len(w) >= 120 {
						t.Errorf("warning of %d characters: %q", len(w), w)
					}
				}
				if strings.Contains(tt.name, "CIDR validation refuses") {
					continue // that denial is pod_cidrs' business
				}
				if len(res.Errors) > 0 {
					t.Errorf("%s: refused: %v", enf, res.Errors)
				}
				if !slices.Equal(res.NotChecked, tt.notChecked) {
					t.Errorf("not checked: %q, want %q", res.NotChecked, tt.notChecked)
				}
			}
		})
	}
}
