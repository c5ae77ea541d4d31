package netconfig

import (
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"sigs.k8s.io/yaml"

	"github.com/vmnet-webhook/vmnet-webhook/examples"
)

// guideNetworkData is the networkData of examples/guide-dual-stack-vm.yaml,
// the guide's own dual-stack recipe, as users copy it.
func guideNetworkData(t *testing.T) string {
	t.Helper()
	all, err := examples.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range all {
		if ex.Name != "guide-dual-stack-vm.yaml" {
			continue
		}
		var vm struct {
			Spec struct {
				Template struct {
					Spec struct {
						Volumes []struct {
							CloudInitNoCloud struct {
								NetworkData string `json:"networkData"`
							} `json:"cloudInitNoCloud"`
						} `json:"volumes"`
					} `json:"spec"`
				} `json:"template"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(ex.Text, &vm); err != nil {
			t.Fatal(err)
		}
		for _, v := range vm.Spec.Template.Spec.Volumes {
			if nd := v.CloudInitNoCloud.NetworkData; nd != "" {
				return nd
			}
		}
	}
	t.Fatal("examples/guide-dual-stack-vm.yaml: no networkData")
	return ""
}

func TestLint(t *testing.T) {
	guide := guideNetworkData(t)
	const mac = "02:9a:00:00:00:01"
	def6 := netip.MustParsePrefix("fd10:0:2::/120")
	own := netip.MustParsePrefix("fd20:0:1::/120")
	noMatch := []string{
		"ethernets.eth0 has no match: on a guest whose NIC is not eth0 (enp1s0 on q35) cloud-init sets up no NIC: the VM loses IPv4 too",
	}
	fixByMAC := []string{
		`fix: match: {macaddress: "02:9a:00:00:00:01"} and set-name: eth0, or delete networkData: the webhook writes it`,
	}
	deprecated := "ethernets.eth0: gateway6 is deprecated in cloud-init 22.4 and set to go in 27.4, and newer guests report a degraded boot for it; " +
		"fix: network config version 1, with gateway fd10:0:2::1 on a static6 subnet, or delete networkData: the webhook writes one that works"
	guideFixed := "version: 2\nethernets:\n  eth0:\n    match:\n      macaddress: \"02:9a:00:00:00:01\"\n    set-name: eth0\n" +
		"    dhcp4: true\n    addresses: [ fd10:0:2::2/120 ]\n    gateway6: fd10:0:2::1\n"
	tests := []struct {
		name        string
		text        string
		nic         PodNIC
		configDrive bool
		want        []string
		fix         string
	}{
		{
			name: "the guide's recipe, no MAC on the interface: set one",
			text: guide, nic: PodNIC{IPv6: def6},
			want: append(slices.Clone(noMatch),
				"fix: set the pod interface's macAddress and match that MAC and set-name: eth0, or delete networkData: the webhook writes it",
				deprecated),
		},
		{
			name: "the guide's recipe with a MAC: the fix names it, and the text is version 1, as the webhook writes it",
			text: guide, nic: PodNIC{MAC: mac, IPv6: def6},
			want: append(append(slices.Clone(noMatch), fixByMAC...), deprecated),
			fix: "version: 1\nconfig:\n  - type: physical\n    name: eth0\n    mac_address: \"02:9a:00:00:00:01\"\n    subnets:\n" +
				"      - type: dhcp4\n      - type: static6\n        address: fd10:0:2::2/120\n        gateway: fd10:0:2::1\n",
		},
		{
			name: "the guide's recipe under a network key, comments kept in the fix",
			text: "# from the guide\nnetwork:\n  version: 2\n  ethernets:\n    eth0:   # the pod network\n\n      dhcp4: true\n",
			nic:  PodNIC{MAC: mac, IPv6: def6},
			want: append(slices.Clone(noMatch), fixByMAC...),
			fix: "# from the guide\nnetwork:\n  version: 2\n  ethernets:\n    eth0:   # the pod network\n" +
				"      match:\n        macaddress: \"02:9a:00:00:00:01\"\n      set-name: eth0\n\n      dhcp4: true\n",
		},
		{
			name: "flow style: the warning, but no text to propose",
			text: "{version: 2, ethernets: {eth0: {dhcp4: true}}}",
			nic:  PodNIC{MAC: mac, IPv6: def6},
			want: append(slices.Clone(noMatch), fixByMAC...),
		},
		{
			name: "the guide's recipe on a VM with its own vmIPv6NetworkCIDR",
			text: guideFixed, nic: PodNIC{MAC: mac, IPv6: own},
			want: []string{
				"ethernets.eth0: fd10:0:2::2/120 is outside vmIPv6NetworkCIDR fd20:0:1::/120: the launcher forwards IPv6 only to fd20:0:1::2; " +
					"fix: addresses: [fd20:0:1::2/120]",
				"ethernets.eth0: gateway6 fd10:0:2::1: the launcher answers on fd20:0:1::1 only; " +
					"fix: network config version 1, with gateway fd20:0:1::1 on a static6 subnet",
			},
		},
		{
			name: "matched by MAC, another address of the network, upper-case MAC",
			text: "version: 2\nethernets:\n  nic:\n    match: {macaddress: \"02:9A:00:00:00:01\"}\n    dhcp4: yes\n" +
				"    addresses: [\"fd10:0:2::5/120\"]\n    gateway6: fd10:0:2::1\n",
			nic: PodNIC{MAC: mac, IPv6: def6},
			want: []string{
				"ethernets.nic: fd10:0:2::5/120: the launcher forwards IPv6 only to fd10:0:2::2; fix: addresses: [fd10:0:2::2/120]",
				strings.Replace(deprecated, "eth0", "nic", 1),
			},
		},
		{
			name: "static IPv4, a driver match and a route to ::/0",
			text: "version: 2\nethernets:\n  id0:\n    match: {driver: virtio_net}\n    addresses: [10.0.2.2/24, fd10:0:2::2/120]\n" +
				"    routes: [{to: \"::/0\", via: \"fd10:0:2::1\"}]\n",
			nic: PodNIC{MAC: mac, IPv6: def6},
			want: []string{
				"ethernets.id0 matches by name or driver: only netplan honours it; other renderers look for a NIC named id0 " +
					"and the VM has no network at all on a guest that names its NIC otherwise",
				`fix: match: {macaddress: "02:9a:00:00:00:01"} and set-name: id0, or delete networkData: the webhook writes it`,
				"ethernets.id0: static IPv4 without dhcp4: KubeVirt gives the VM its IPv4 by DHCP (and the MTU); fix: dhcp4: true",
				"ethernets.id0: a route to ::/0 renders wrong in cloud-init 22.4 (ifupdown, NetworkManager) and leaves no default route; " +
					"fix: network config version 1, with gateway fd10:0:2::1 on a static6 subnet",
			},
		},
		{
			name: "IPv4 outside vmNetworkCIDR, no DHCP, default route via another gateway",
			text: "version: 2\nethernets:\n  eth0:\n    match: {macaddress: \"02:9a:00:00:00:01\"}\n    set-name: eth0\n" +
				"    addresses: [192.168.1.5/24]\n    dhcp6: true\n    routes: [{to: default, via: \"fd10:0:2::fe\"}]\n",
			nic: PodNIC{MAC: mac, IPv6: def6, IPv4: netip.MustParsePrefix("10.1.0.0/24")},
			want: []string{
				"ethernets.eth0: 192.168.1.5/24 is outside vmNetworkCIDR 10.1.0.0/24: no traffic reaches it through the launcher",
				"ethernets.eth0: static IPv4 without dhcp4: KubeVirt gives the VM its IPv4 by DHCP (and the MTU); fix: dhcp4: true",
				"ethernets.eth0: route to ::/0 via fd10:0:2::fe: the launcher answers on fd10:0:2::1 only; " +
					"fix: network config version 1, with gateway fd10:0:2::1 on a static6 subnet",
			},
		},
		{
			name: "dhcp6 alone: an address, no route",
			text: "version: 2\nethernets:\n  eth0:\n    match: {macaddress: \"02:9a:00:00:00:01\"}\n    set-name: eth0\n    dhcp4: true\n    dhcp6: true\n",
			nic:  PodNIC{MAC: mac, IPv6: def6},
			want: []string{
				"ethernets.eth0: IPv6 but no gateway6: DHCPv6 gives no route, so IPv6 ends at the pod; " +
					"fix: network config version 1, with gateway fd10:0:2::1 on a static6 subnet",
			},
		},
		{
			name: "no IPv4 at all on the pod NIC",
			text: "version: 2\nethernets:\n  eth0:\n    match: {macaddress: \"02:9a:00:00:00:01\"}\n    set-name: eth0\n" +
				"    addresses: [fd10:0:2::2/120]\n    gateway6: fd10:0:2::1\n",
			nic: PodNIC{MAC: mac, IPv6: def6},
			want: []string{
				"ethernets.eth0: no dhcp4: the VM gets no IPv4 on the pod network; fix: dhcp4: true, as KubeVirt gives IPv4 by DHCP",
				deprecated,
			},
		},
		{
			name: "v1 by name only",
			text: "version: 1\nconfig:\n- type: physical\n  name: eth0\n  subnets:\n  - type: dhcp\n" +
				"  - {type: static6, address: \"fd10:0:2::2/120\", gateway: \"fd10:0:2::1\"}\n",
			nic: PodNIC{MAC: mac, IPv6: def6},
			want: []string{
				"config[0] (eth0) has no match: on a guest whose NIC is not eth0 (enp1s0 on q35) cloud-init sets up no NIC: the VM loses IPv4 too",
				`fix: add mac_address: "02:9a:00:00:00:01" to config[0] (eth0), or delete networkData: the webhook writes one that works`,
			},
		},
		{
			name: "v1 by MAC, no gateway",
			text: "version: 1\nconfig:\n- type: nameserver\n  address: [10.0.2.3]\n- type: physical\n  name: eth0\n  mac_address: \"02:9a:00:00:00:01\"\n" +
				"  subnets:\n  - type: dhcp4\n  - type: static\n    address: fd10:0:2::2\n    netmask: \"120\"\n",
			nic: PodNIC{MAC: mac, IPv6: def6},
			want: []string{
				"config[1] (eth0): IPv6 but no gateway: DHCPv6 gives no route, so IPv6 ends at the pod; fix: gateway: fd10:0:2::1 on the static6 subnet",
			},
		},
		{
			name: "v1 by MAC, a gateway the launcher does not answer on",
			text: "version: 1\nconfig:\n- type: nameserver\n  address: [10.0.2.3]\n- type: physical\n  name: eth0\n  mac_address: \"02:9a:00:00:00:01\"\n" +
				"  subnets:\n  - type: dhcp4\n  - {type: static6, address: \"fd10:0:2::2/120\", gateway: \"fd10:0:2::9\"}\n",
			nic: PodNIC{MAC: mac, IPv6: def6},
			want: []string{
				"config[1] (eth0): gateway fd10:0:2::9: the launcher answers on fd10:0:2::1 only; fix: gateway: fd10:0:2::1 on the static6 subnet",
			},
		},
		{
			name: "pod interface second: eth1 without match is its entry, the other NIC's is left alone",
			text: "version: 2\nethernets:\n  eth0:\n    match: {macaddress: \"02:00:00:00:00:09\"}\n    dhcp4: false\n" +
				"  eth1:\n    dhcp4: true\n",
			nic: PodNIC{MAC: mac, Index: 1, IPv6: def6},
			want: []string{
				"ethernets.eth1 has no match: on a guest whose NIC is not eth1 (enp1s0 on q35) cloud-init sets up no NIC: the VM loses IPv4 too",
				`fix: match: {macaddress: "02:9a:00:00:00:01"} and set-name: eth1, or delete networkData: the webhook writes it`,
			},
			fix: "version: 2\nethernets:\n  eth0:\n    match: {macaddress: \"02:00:00:00:00:09\"}\n    dhcp4: false\n" +
				"  eth1:\n    match:\n      macaddress: \"02:9a:00:00:00:01\"\n    set-name: eth1\n    dhcp4: true\n",
		},
		{
			name: "no entry for the pod NIC's MAC",
			text: "version: 2\nethernets:\n  eth0:\n    match: {macaddress: \"02:00:00:00:00:09\"}\n    dhcp4: true\n",
			nic:  PodNIC{MAC: mac, Index: 1, IPv6: def6},
			want: []string{
				"configures no NIC with the pod network's MAC 02:9a:00:00:00:01: cloud-init leaves that NIC down, with no fallback; add an entry",
			},
		},
		{
			name: "two entries by name, none eth<index>: nothing to say about either",
			text: "version: 2\nethernets:\n  ens3: {dhcp4: true}\n  ens4: {dhcp4: true}\n",
			nic:  PodNIC{IPv6: def6},
		},
		{
			name: "does not parse: the line from the parser",
			text: "version: 2\nethernets:\n  eth0:\n dhcp4: true\n   addresses: [\n",
			nic:  PodNIC{MAC: mac, IPv6: def6},
			want: []string{
				"does not parse as YAML, line 3: did not find expected key; cloud-init ignores it: IPv4 by DHCP on one NIC at best, no IPv6",
			},
		},
		{
			name: "a tab in the indentation",
			text: "version: 2\nethernets:\n  eth0:\n    dhcp4: true\n\taddresses: []\n",
			nic:  PodNIC{MAC: mac, IPv6: def6},
			want: []string{
				"does not parse as YAML, line 5: found a tab character that violates indentation; " +
					"cloud-init ignores it: IPv4 by DHCP on one NIC at best, no IPv6",
			},
		},
		{
			name: "a list, not a mapping",
			text: "- version: 2\n",
			nic:  PodNIC{IPv6: def6},
			want: []string{"is not a YAML mapping: cloud-init cannot read it as network config"},
		},
		{
			name: "no version",
			text: "ethernets:\n  eth0: {dhcp4: true}\n",
			nic:  PodNIC{IPv6: def6},
			want: []string{
				"has no version: 1 or 2: cloud-init renders no network from it and writes no fallback; the guest may have no network at all",
			},
		},
		{
			name: "network config disabled",
			text: "network:\n  config: disabled\n",
			nic:  PodNIC{IPv6: def6},
			want: []string{
				"disables cloud-init's network config: the guest keeps its image's own, with no IPv6 default route; delete it to get the webhook's",
			},
		},
		{
			name: "ConfigDrive with netplan in it",
			text: guide, nic: PodNIC{MAC: mac, IPv6: def6}, configDrive: true,
			want: []string{
				"is netplan YAML, but a ConfigDrive's network data is OpenStack's network_data.json: cloud-init cannot use it; use cloudInitNoCloud",
			},
		},
		{
			name: "ConfigDrive network_data.json with the pod NIC's link",
			text: `{"links": [{"id": "l0", "type": "phy", "ethernet_mac_address": "02:9A:00:00:00:01"}], "networks": []}`,
			nic:  PodNIC{MAC: mac, IPv6: def6}, configDrive: true,
		},
		{
			name: "ConfigDrive network_data.json without it",
			text: `{"links": [{"id": "l0", "type": "phy", "ethernet_mac_address": "02:00:00:00:00:09"}]}`,
			nic:  PodNIC{MAC: mac, IPv6: def6}, configDrive: true,
			want: []string{
				"has no link with the pod network's MAC 02:9a:00:00:00:01: cloud-init leaves that NIC down; add the link and a network",
			},
		},
		{
			name: "ConfigDrive, broken JSON",
			text: `{"links": [`,
			nic:  PodNIC{MAC: mac, IPv6: def6}, configDrive: true,
			want: []string{
				"is not JSON: a ConfigDrive's network data is OpenStack's network_data.json; cloud-init drops it, or the whole ConfigDrive",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Lint(tt.text, tt.nic, tt.configDrive)
			if !slices.Equal(got.Warnings, tt.want) {
				t.Errorf("warnings:\n got %q\nwant %q", got.Warnings, tt.want)
			}
			if got.Fix != tt.fix {
				t.Errorf("fix:\n got %q\nwant %q", got.Fix, tt.fix)
			}
			// The proposed text, linted again, leaves nothing to say.
			if got.Fix != "" {
				if again := Lint(got.Fix, tt.nic, false); len(again.Warnings) > 0 || again.Fix != "" {
					t.Errorf("the fix draws warnings of its own: %q", again.Warnings)
				}
			}
		})
	}
}

// What Write writes passes the lint, for the first
// interface and for a later one, on the default and another network.
func TestLintOfWrite(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0x9a, 0, 0, 0, 1}
	for _, idx := range []int{0, 2} {
		for _, p := range []string{"fd10:0:2::/120", "fd20:0:1::/112"} {
			prefix := netip.MustParsePrefix(p)
			text := Write(NICName("eth0", idx), mac, prefix)
			got := Lint(text, PodNIC{MAC: mac.String(), Index: idx, IPv6: prefix}, false)
			if len(got.Warnings) > 0 || got.Fix != "" {
				t.Errorf("interface %d on %s: %q, fix %q", idx, p, got.Warnings, got.Fix)
			}
		}
	}
}

// Whatever a user writes, the lint answers without a panic, and a fix it
// proposes needs no fix of its own. (The rules' fuzz target holds the
// warnings they make of its messages to what a Warning header carries.)
func FuzzLint(f *testing.F) {
	f.Add("version: 2\nethernets:\n  eth0:\n    dhcp4: true\n    addresses: [ fd10:0:2::2/120 ]\n    gateway6: fd10:0:2::1\n", "02:9a:00:00:00:01", 0, false)
	f.Add("network:\n  version: 2\n  ethernets:\n    eth1:\n      dhcp4: true\n", "", 1, false)
	f.Add("version: 1\nconfig:\n- {type: physical, name: eth0, subnets: [{type: dhcp}]}\n", "02:9a:00:00:00:01", 0, false)
	f.Add("{\"links\": [{\"ethernet_mac_address\": \"02:9a:00:00:00:01\"}]}", "02:9a:00:00:00:01", 0, true)
	f.Add("version: 2\nethernets:\n  eth0:\n dhcp4: true\n", "", 0, false)
	prefix := netip.MustParsePrefix("fd10:0:2::/120")
	f.Fuzz(func(t *testing.T, text, mac string, idx int, configDrive bool) {
		nic := PodNIC{MAC: mac, Index: idx, IPv6: prefix}
		got := Lint(text, nic, configDrive)
		if got.Fix != "" {
			if again := Lint(got.Fix, nic, false); again.Fix != "" {
				t.Fatalf("the fix %q draws a fix of its own: %q", got.Fix, again.Warnings)
			}
		}
	})
}

func TestPrintable(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"as it is", "eth0 has no match", "eth0 has no match"},
		{"a newline and a tab", "a\nb\tc", "a\uFFFDb\uFFFDc"},
		{"bytes that are not UTF-8", "mac \xff\xfe", "mac \uFFFD\uFFFD"},
	}
	for _, tt := range tests {
		if got := Printable(tt.in); got != tt.want || !utf8.ValidString(got) || strings.IndexFunc(got, unicode.IsControl) >= 0 {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
