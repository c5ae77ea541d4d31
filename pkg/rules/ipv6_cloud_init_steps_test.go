package rules

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// stepMutation is the mutation ipv6CloudInit's steps see for a VM named vm
// with the given metadata, devices, pod network and volumes (YAML; "" for
// the default).
func stepMutation(t *testing.T, cfg config.Config, meta, devices, pod, volumes string) *mutation {
	t.Helper()
	or := func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	}
	obj := toJSON(t, `{apiVersion: kubevirt.io/v1, kind: VirtualMachine, metadata: `+or(meta, "{name: vm}")+`,
spec: {template: {spec: {domain: {devices: `+devices+`}, networks: [{name: default, pod: `+or(pod, "{}")+`}], volumes: `+or(volumes, "null")+`}}}}`)
	vm, err := vmspec.Read(kindOf(t, obj).GroupKind(), obj)
	if err != nil {
		t.Fatal(err)
	}
	return &mutation{cfg: cfg, obj: newObject(vm), spec: vm.Spec, uid: testUID}
}

const masqNIC = `{interfaces: [{name: default, masquerade: {}}]}`

func TestIPv6NIC(t *testing.T) {
	fd30 := func(c *config.Config) { c.IPv6.DefaultCIDR = netip.MustParsePrefix("fd30::/120") }
	tests := []struct {
		name    string
		cfg     func(*config.Config)
		devices string
		pod     string
		ok      bool
		prefix  string
		addCIDR bool
	}{
		{name: "KubeVirt's default", devices: masqNIC, ok: true, prefix: "fd10:0:2::/120"},
		{name: "the network's own CIDR", devices: masqNIC, pod: `{vmIPv6NetworkCIDR: "fd20::77/64"}`, ok: true, prefix: "fd20::77/64"},
		{name: "a configured default is to be written", cfg: fd30, devices: masqNIC, ok: true, prefix: "fd30::/120", addCIDR: true},
		{name: "an invalid CIDR", devices: masqNIC, pod: `{vmIPv6NetworkCIDR: "fd10::/127"}`},
		{name: "bridge on the pod network", devices: `{interfaces: [{name: default, bridge: {}}]}`},
		{name: "injection off", cfg: func(c *config.Config) { c.IPv6.Inject = config.InjectNever }, devices: masqNIC},
	}
	for _, tt := range tests {
		cfg := defaults()
		if tt.cfg != nil {
			tt.cfg(&cfg)
		}
		nic, ok := ipv6NIC(stepMutation(t, cfg, "", tt.devices, tt.pod, ""))
		if ok != tt.ok || ok && (nic.prefix.String() != tt.prefix || nic.addCIDR != tt.addCIDR || nic.ifaceIdx != 0 || nic.podIdx != 0) {
			t.Errorf("%s: got %+v, %v; want %s (add %v), %v", tt.name, nic, ok, tt.prefix, tt.addCIDR, tt.ok)
		}
	}
	obj := toJSON(t, `{apiVersion: kubevirt.io/v1, kind: VirtualMachineInstance,
metadata: {name: vm, ownerReferences: [{apiVersion: kubevirt.io/v1, kind: VirtualMachine, controller: true}]},
spec: {domain: {devices: `+masqNIC+`}, networks: [{name: default, pod: {}}]}}`)
	vm, err := vmspec.Read(kindOf(t, obj).GroupKind(), obj)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ipv6NIC(&mutation{cfg: defaults(), obj: newObject(vm), spec: vm.Spec}); ok {
		t.Error("a VMI a VM started: its template had its turn, but ipv6NIC answered ok")
	}
}

func TestWarnWindows(t *testing.T) {
	tests := []struct {
		meta  string
		want  bool
		warns []string
	}{
		{"{name: vm}", false, nil},
		{"{name: vm, labels: {vm.kubevirt.io/template: windows2k22-server-medium}}", true,
			[]string{"spec.template.spec.networks[0].pod: Windows: set IPv6 fd10:0:2::2/120, gateway fd10:0:2::1 in the guest"}},
	}
	for _, tt := range tests {
		m := stepMutation(t, defaults(), tt.meta, masqNIC, "", "")
		nic, _ := ipv6NIC(m)
		if got := warnWindows(m, nic); got != tt.want || !sameStrings(m.warnings, tt.warns) {
			t.Errorf("%s: got %v %q, want %v %q", tt.meta, got, m.warnings, tt.want, tt.warns)
		}
	}
}

func TestChooseMAC(t *testing.T) {
	const warn = "spec.template.spec.domain.devices.interfaces[0].macAddress: IPv6 networkData not injected: no NIC can take this MAC"
	tests := []struct {
		mac   string
		want  string
		warns []string
	}{
		{"", testMAC, nil}, // assigned
		{"E6-C8-F8-2E-9F-35", testMAC, nil},
		{"01:00:5e:00:00:01", "", []string{warn}},
		{"nope", "", []string{warn}},
	}
	for _, tt := range tests {
		m := stepMutation(t, defaults(), "", `{interfaces: [{name: default, masquerade: {}, macAddress: "`+tt.mac+`"}]}`, "", "")
		nic, _ := ipv6NIC(m)
		mac, ok := chooseMAC(m, nic)
		if ok != (tt.want != "") || ok && mac.String() != tt.want || !sameStrings(m.warnings, tt.warns) {
			t.Errorf("%q: got %s, %v, %q; want %s, %q", tt.mac, mac, ok, m.warnings, tt.want, tt.warns)
		}
	}
}

func TestWarnConfigDrive(t *testing.T) {
	const warn = "spec.template.spec.volumes[0].cloudInitConfigDrive: IPv6 networkData not injected (ConfigDrive is not netplan)"
	tests := []struct {
		volumes string
		want    bool
		warns   []string
	}{
		{"null", false, nil},
		{"[{name: ci, cloudInitNoCloud: {}}]", false, nil},
		{"[{name: cd, cloudInitConfigDrive: {}}, {name: ci, cloudInitNoCloud: {}}]", true, []string{warn}},
		{`[{name: cd, cloudInitConfigDrive: {networkData: "{}"}}]`, true, nil},
		{"[{name: both, cloudInitNoCloud: {}, cloudInitConfigDrive: {}}]", false, nil},
	}
	for _, tt := range tests {
		m := stepMutation(t, defaults(), "", masqNIC, "", tt.volumes)
		ci, i, found := bootCloudInit(m.spec)
		if got := warnConfigDrive(m, ci, i, found); got != tt.want || !sameStrings(m.warnings, tt.warns) {
			t.Errorf("%s: got %v %q, want %v %q", tt.volumes, got, m.warnings, tt.want, tt.warns)
		}
	}
}

func TestWriteNetworkData(t *testing.T) {
	const spec = "/spec/template/spec"
	nd := netData(t, "fd10:0:2::2/120", "fd10:0:2::1")
	mac := `add ` + spec + `/domain/devices/interfaces/0/macAddress "` + testMAC + `"`
	tests := []struct {
		name    string
		volumes string
		want    []string
	}{
		{"no cloud-init volume: one added", "null", []string{mac,
			`add ` + spec + `/volumes [{"cloudInitNoCloud":{"networkData":` + nd + `},"name":"cloudinitdisk"}]`,
			`add ` + spec + `/domain/devices/disks [{"disk":{"bus":"virtio"},"name":"cloudinitdisk"}]`}},
		{"NoCloud without network data: written", "[{name: ci, cloudInitNoCloud: {userData: x}}]",
			[]string{mac, `add ` + spec + `/volumes/0/cloudInitNoCloud/networkData ` + nd}},
		{"ours, for another MAC: rewritten", `[{name: ci, cloudInitNoCloud: {networkData: ` + strings.ReplaceAll(nd, testMAC, "02:00:00:00:00:09") + `}}]`,
			[]string{mac, `replace ` + spec + `/volumes/0/cloudInitNoCloud/networkData ` + nd}},
		{"ours, as it would be written: kept", `[{name: ci, cloudInitNoCloud: {networkData: ` + nd + `}}]`, nil},
		{"the user's own: kept", `[{name: ci, cloudInitNoCloud: {networkData: "version: 1"}}]`, nil},
		{"both sources in one volume: not ours to choose", "[{name: both, cloudInitNoCloud: {}, cloudInitConfigDrive: {}}]", nil},
	}
	for _, tt := range tests {
		m := stepMutation(t, defaults(), "", masqNIC, "", tt.volumes)
		nic, _ := ipv6NIC(m)
		nic.mac, _ = chooseMAC(m, nic)
		ci, i, found := bootCloudInit(m.spec)
		writeNetworkData(m, nic, ci, i, found)
		if got := opStrings(t, Result{Patch: m.ops}); !sameStrings(got, tt.want) {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}
