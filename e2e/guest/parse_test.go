package guest

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// These run in plain `go test ./...`: the parts of the guest test that need
// no qemu, so that a broken parser cannot make the guest test pass.

func TestParseDiag(t *testing.T) {
	console := strings.Join([]string{
		"[   12.3] random: crng init done",
		"vmnet-diag: begin",
		"vmnet-diag: status status: done",
		"vmnet-diag: renderer 'eni' from priority list: ['eni', 'sysconfig', 'netplan']",
		"vmnet-diag: rename [    6.625562] virtio_net virtio2 enp1s0: renamed from eth0",
		"vmnet-diag: rename [   26.437774] virtio_net virtio2 eth0: renamed from enp1s0",
		"vmnet-diag: link 1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
		"vmnet-diag: link 2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast state UP mode DEFAULT group default qlen 1000\\    link/ether 02:9a:00:00:00:01 brd ff:ff:ff:ff:ff:ff",
		"vmnet-diag: addr 1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever",
		"[   80.1] some kernel line vmnet-diag: addr 2: enp1s0    inet 10.0.2.2/24 brd 10.0.2.255 scope global dynamic enp1s0\\       valid_lft 3599sec preferred_lft 3599sec\r",
		"vmnet-diag: addr 2: enp1s0    inet6 fd10:0:2::2/120 scope global \\       valid_lft forever preferred_lft forever",
		"vmnet-diag: addr 2: enp1s0    inet6 fe80::9a:ff:fe00:1/64 scope link \\       valid_lft forever preferred_lft forever",
		"vmnet-diag: route4 default via 10.0.2.1 dev enp1s0",
		"vmnet-diag: route6 fd10:0:2::/120 dev enp1s0 proto kernel metric 256 pref medium",
		"vmnet-diag: route6 default via fd10:0:2::1 dev enp1s0 metric 1024 onlink pref medium",
		"vmnet-diag: failed networking.service loaded failed failed Raise network interfaces",
		"vmnet-diag: end",
	}, "\n")
	got, ok := parseDiag(console)
	if !ok {
		t.Fatal("end marker not seen")
	}
	want := diag{
		NIC: "eth0", Renderer: "eni", Status: "status: done",
		IPv4: []string{"10.0.2.2/24"}, IPv6: []string{"fd10:0:2::2/120"}, Default6: "fd10:0:2::1",
		Failed:  []string{"networking.service"},
		Renames: [][2]string{{"eth0", "enp1s0"}, {"enp1s0", "eth0"}},
		Links:   [][2]string{{"eth0", "02:9a:00:00:00:01"}},
		MTUs:    map[string]int{"eth0": 1500},
		AddrDev: map[string]string{"10.0.2.2/24": "enp1s0", "fd10:0:2::2/120": "enp1s0"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseDiag:\n got %+v\nwant %+v", got, want)
	}
	if n, b := got.names(), got.bootName(); !reflect.DeepEqual(n, []string{"eth0", "enp1s0", "eth0"}) || b != "enp1s0" {
		t.Errorf("names %v, boot name %q", n, b)
	}
	if b := (diag{NIC: "eth0"}).bootName(); b != "eth0" {
		t.Errorf("no rename: boot name %q", b)
	}
	if l := got.linkOf("02:9A:00:00:00:01"); l != "eth0" {
		t.Errorf("linkOf: %q", l)
	}
	if _, ok := parseDiag(strings.SplitAfter(console, "vmnet-diag: route4")[0]); ok {
		t.Error("a diagnostic without its end marker was taken as complete")
	}
}

// Two NICs, the pod network's second: each keeps its own chain of names
// and its own addresses.
func TestParseDiagTwoNICs(t *testing.T) {
	console := strings.Join([]string{
		"vmnet-diag: begin",
		"vmnet-diag: rename [    6.1] virtio_net virtio1 enp1s0: renamed from eth0",
		"vmnet-diag: rename [    6.2] virtio_net virtio2 enp2s0: renamed from eth1",
		"vmnet-diag: rename [   26.4] virtio_net virtio2 eth1: renamed from enp2s0",
		"vmnet-diag: link 2: enp1s0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\\    link/ether 02:11:00:00:00:09 brd ff:ff:ff:ff:ff:ff",
		"vmnet-diag: link 3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP mode DEFAULT group default qlen 1000\\    link/ether 02:9a:00:00:00:01 brd ff:ff:ff:ff:ff:ff",
		"vmnet-diag: addr 3: eth1    inet 10.0.2.2/24 brd 10.0.2.255 scope global dynamic eth1\\       valid_lft 3599sec preferred_lft 3599sec",
		"vmnet-diag: end",
	}, "\n")
	d, ok := parseDiag(console)
	if !ok {
		t.Fatal("end marker not seen")
	}
	d.NIC = d.linkOf("02:9a:00:00:00:01")
	if d.NIC != "eth1" || d.linkOf("02:11:00:00:00:09") != "enp1s0" {
		t.Fatalf("links: %v", d.Links)
	}
	if n := d.names(); !reflect.DeepEqual(n, []string{"eth1", "enp2s0", "eth1"}) || d.bootName() != "enp2s0" {
		t.Errorf("the pod NIC's names %v, boot name %q", n, d.bootName())
	}
	if n := d.namesOf("enp1s0"); !reflect.DeepEqual(n, []string{"eth0", "enp1s0"}) {
		t.Errorf("the other NIC's names %v", n)
	}
	if a, b := d.addrsOn("eth1"), d.addrsOn("enp1s0"); !reflect.DeepEqual(a, []string{"10.0.2.2/24"}) || len(b) != 0 {
		t.Errorf("addresses: eth1 %v, enp1s0 %v", a, b)
	}
	if bootNIC(false, 1) != "enp2s0" || bootNIC(true, 1) != "eth1" {
		t.Errorf("bootNIC: %s %s", bootNIC(false, 1), bootNIC(true, 1))
	}
}

func TestPlanIPv6(t *testing.T) {
	for cidr, want := range map[string][2]string{
		"fd10:0:2::/120":   {"fd10:0:2::1", "fd10:0:2::2"},
		"fd20:0:5::7/120":  {"fd20:0:5::1", "fd20:0:5::2"}, // host bits tolerated, as the launcher does
		"fd00::ffff:0/112": {"fd00::ffff:1", "fd00::ffff:2"},
	} {
		p, err := planIPv6(cidr)
		if err != nil {
			t.Fatalf("%s: %v", cidr, err)
		}
		if p.Gateway.String() != want[0] || p.VM.String() != want[1] {
			t.Errorf("%s: gateway %s, VM %s; want %s, %s", cidr, p.Gateway, p.VM, want[0], want[1])
		}
	}
	for _, bad := range []string{"10.0.2.0/24", "fd10:0:2::/127", "nonsense"} {
		if _, err := planIPv6(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// The seed comes from the first cloudInitNoCloud volume of the stored VM,
// the MAC and CIDR from its pod network's interface.
func TestSpecOfStoredVM(t *testing.T) {
	stored := `
metadata: {name: vm1, namespace: ns1}
spec:
  template:
    spec:
      domain:
        devices:
          interfaces:
          - {name: other, bridge: {}, macAddress: "02:00:00:00:00:09"}
          - {name: default, masquerade: {}, macAddress: "02:00:00:00:00:01", model: e1000e}
      networks:
      - {name: other, multus: {networkName: x}}
      - {name: default, pod: {vmNetworkCIDR: "10.1.0.0/16", vmIPv6NetworkCIDR: "fd20:0:5::/120"}}
      volumes:
      - {name: containerdisk, containerDisk: {image: x}}
      - name: cloudinitdisk
        cloudInitNoCloud:
          userDataBase64: I2Nsb3VkLWNvbmZpZwo=
          networkData: "version: 2\n"
      - {name: second, cloudInitNoCloud: {userData: ignored}}
`
	var vm map[string]any
	if err := yaml.Unmarshal([]byte(stored), &vm); err != nil {
		t.Fatal(err)
	}
	s, err := specOf(vm)
	if err != nil {
		t.Fatal(err)
	}
	want := vmSpec{Name: "vm1", Namespace: "ns1", MAC: "02:00:00:00:00:01", Model: "e1000e", PodIndex: 1, Interfaces: 2,
		IPv4CIDR: "10.1.0.0/16", IPv6CIDR: "fd20:0:5::/120",
		NoCloud: true, UserData: "#cloud-config\n", NetworkData: "version: 2\n"}
	if s != want {
		t.Errorf("specOf:\n got %+v\nwant %+v", s, want)
	}
	files := seedFiles(s, "6a1c1f5e-0000-4000-8000-000000000001")
	if files["meta-data"] != `{"instance-id":"6a1c1f5e-0000-4000-8000-000000000001","local-hostname":"vm1"}` ||
		files["user-data"] != "#cloud-config\n" || files["network-config"] != "version: 2\n" {
		t.Errorf("seed files: %q", files)
	}
	if n := setName("version: 1\nconfig:\n  - {type: physical, name: net0, mac_address: \"02:00:00:00:00:01\"}\n"); n != "net0" {
		t.Errorf("setName of version 1: %q", n)
	}
	if n := setName("version: 1\nconfig:\n  - {type: physical, name: net0}\n"); n != "" {
		t.Errorf("setName of version 1 without a MAC: %q", n)
	}
	if n := setName("version: 2\nethernets:\n  eth0:\n    match: {macaddress: \"02:00:00:00:00:01\"}\n    set-name: eth0\n"); n != "eth0" {
		t.Errorf("setName: %q", n)
	}
	s.NetworkData = ""
	if _, ok := seedFiles(s, "x")["network-config"]; ok {
		t.Error("network-config written without networkData")
	}
}

func TestRandomMACIsLocalUnicast(t *testing.T) {
	for i := 0; i < 100; i++ {
		m := randomMAC()
		b, err := strconv.ParseUint(m[:2], 16, 8)
		if err != nil || len(m) != 17 || b&1 != 0 || b&2 == 0 {
			t.Fatalf("%s: not a locally administered unicast MAC", m)
		}
	}
}

// cloud-init 25's `cloud-init status --long`, as the diagnostic prints it:
// the errors and recoverable errors, each with its level.
func TestParseDiagStatus(t *testing.T) {
	console := strings.Join([]string{
		"vmnet-diag: begin",
		"vmnet-diag: status status: done",
		"vmnet-diag: status extended_status: degraded done",
		"vmnet-diag: status boot_status_code: enabled-by-generator",
		"vmnet-diag: status detail: DataSourceNoCloud [seed=/dev/sr0]",
		"vmnet-diag: status errors: []",
		"vmnet-diag: status recoverable_errors:",
		"vmnet-diag: status DEPRECATED:",
		"vmnet-diag: status \t- The use of `gateway4` and `gateway6` is deprecated in 22.4 and scheduled to be removed in 27.4.",
		"vmnet-diag: status WARNING:",
		"vmnet-diag: status \t- Failed to set the hostname",
		"vmnet-diag: end",
	}, "\n")
	d, ok := parseDiag(console)
	if !ok {
		t.Fatal("end marker not seen")
	}
	want := []string{
		"DEPRECATED: The use of `gateway4` and `gateway6` is deprecated in 22.4 and scheduled to be removed in 27.4.",
		"WARNING: Failed to set the hostname",
	}
	if d.Status != "status: done" || !reflect.DeepEqual(d.Issues, want) {
		t.Errorf("status %q, issues:\n got %q\nwant %q", d.Status, d.Issues, want)
	}
	// An error, and cloud-init 22.4's long status, which lists none.
	d, _ = parseDiag("vmnet-diag: begin\nvmnet-diag: status status: error\nvmnet-diag: status errors:\n" +
		"vmnet-diag: status \t- ('init', ValueError('bad'))\nvmnet-diag: status recoverable_errors: {}\nvmnet-diag: end\n")
	if !reflect.DeepEqual(d.Issues, []string{"ERROR: ('init', ValueError('bad'))"}) {
		t.Errorf("errors: %q", d.Issues)
	}
	d, _ = parseDiag("vmnet-diag: begin\nvmnet-diag: status status: done\nvmnet-diag: status time: Mon, 07 Dec 2026 04:00:00 +0000\n" +
		"vmnet-diag: status detail:\nvmnet-diag: status DataSourceNoCloud [seed=/dev/sr0][dsmode=net]\nvmnet-diag: end\n")
	if len(d.Issues) != 0 {
		t.Errorf("22.4's status: issues %q", d.Issues)
	}
}
