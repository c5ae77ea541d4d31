package rules

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

func TestWindowsMTU(t *testing.T) {
	const warn = "spec.template.spec.domain.devices.interfaces[0].model: without virtio, Windows ignores the DHCP MTU; set it with netsh"
	tests := []struct {
		name     string
		meta     string // metadata fields of the VM
		vmSpec   string // fields of the VM spec
		tmplMeta string // spec.template.metadata
		model    string
		want     []string
	}{
		{name: "preference", vmSpec: `preference: {name: windows.2k22}`, model: "e1000", want: []string{warn}},
		{name: "vm.kubevirt.io/os annotation on the template", tmplMeta: `annotations: {vm.kubevirt.io/os: windows2k19}`, model: "e1000e", want: []string{warn}},
		{name: "os.template label", meta: `labels: {os.template.kubevirt.io/win2k19: "true"}`, model: "rtl8139", want: []string{warn}},
		{name: "os.template label false", meta: `labels: {os.template.kubevirt.io/win2k19: "false"}`, model: "rtl8139"},
		{name: "kubevirt.io/os label", meta: `labels: {kubevirt.io/os: win2k16}`, model: "e1000", want: []string{warn}},
		{name: "template label", meta: `labels: {vm.kubevirt.io/template: windows2k19-server-medium}`, model: "e1000", want: []string{warn}},
		{name: "virtio", vmSpec: `preference: {name: windows.11}`, model: "virtio"},
		{name: "no model is virtio", vmSpec: `preference: {name: windows.11}`},
		{name: "linux", vmSpec: `preference: {name: fedora}`, meta: `labels: {vm.kubevirt.io/os: rhel9}`, model: "e1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model := ""
			if tt.model != "" {
				model = ", model: " + tt.model
			}
			y := `
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: vm` + brace(tt.meta) + `}
spec:
  ` + tt.vmSpec + `
  template:
    metadata: {` + tt.tmplMeta + `}
    spec:
      domain: {devices: {interfaces: [{name: default, masquerade: {}` + model + `}, {name: blue, bridge: {}, model: e1000}]}}
      networks: [{name: default, pod: {}}, {name: blue, multus: {networkName: blue}}]
`
			res := Validate(defaults(), createReq(t, toJSON(t, y)))
			if !sameStrings(res.Warnings, tt.want) {
				t.Errorf("warnings:\n got %q\nwant %q", res.Warnings, tt.want)
			}
			if len(res.Errors) != 0 {
				t.Errorf("errors: %q", errorStrings(res))
			}
		})
	}
}

func brace(s string) string {
	if s == "" {
		return ""
	}
	return ", " + s
}

// TestWarningsFit produces every warning there is, on the kind with the
// longest paths, at the largest indexes the CRD allows, with long names,
// and checks each is under 120 characters and names its field.
func TestWarningsFit(t *testing.T) {
	long := strings.Repeat("n", 63)
	var ifaces, ports []string
	for i := range 255 {
		ifaces = append(ifaces, fmt.Sprintf("{name: %s-%d, bridge: {}}", long[:50], i))
	}
	for i := range 99 {
		ports = append(ports, fmt.Sprintf("{port: %d}", 1000+i))
	}
	ports = append(ports, "{port: 49152}")
	var vols []string
	for i := range 99 {
		vols = append(vols, fmt.Sprintf("{name: v%d, containerDisk: {image: x}}", i))
	}
	last := fmt.Sprintf(`{name: %s, masquerade: {}, model: e1000, ports: [%s], portRanges: [{start: 49150, end: 49160}, {start: 50000, end: 50001}, {start: 1, end: 2}, {start: 3, end: 4}, {start: 5, end: 6}, {start: 7, end: 8}, {start: 9, end: 10}, {start: 11, end: 12}, {start: 13, end: 14}, {start: 49100, end: 49200}]}`,
		long, strings.Join(ports, ", "))
	vols = append(vols, `{name: cd, cloudInitConfigDrive: {userData: x}}`,
		`{name: bad, cloudInitNoCloud: {networkData: x, networkDataBase64: "!!!", networkDataSecretRef: {name: s}}}`)
	pool := `
apiVersion: pool.kubevirt.io/v1alpha1
kind: VirtualMachinePool
metadata:
  name: ` + long + `
  labels: {vm.kubevirt.io/template: windows2k22-` + long + `}
spec:
  virtualMachineTemplate:
    spec:
      template:
        spec:
          domain: {devices: {interfaces: [` + strings.Join(append(ifaces, last), ", ") + `]}}
          networks: [{name: blue, multus: {networkName: blue}}, {name: ` + long + `, pod: {vmNetworkCIDR: "10.0.0.0/31", vmIPv6NetworkCIDR: "` + long + `"}}]
          volumes: [` + strings.Join(vols, ", ") + `]
`
	obj := toJSON(t, pool)
	cfg := defaults()
	var all []string
	// Mutation warns only where it would inject, so over a good CIDR.
	good := toJSON(t, strings.Replace(pool, `"`+long+`"`, `"fd10::/64"`, 1))
	all = append(all, Mutate(cfg, createReq(t, good)).Warnings...)
	// A Windows guest gets no cloud-init, so the ConfigDrive warning needs another OS.
	linux := toJSON(t, strings.Replace(strings.Replace(pool, `"`+long+`"`, `"fd10::/64"`, 1), "windows2k22-", "fedora-", 1))
	all = append(all, Mutate(cfg, createReq(t, linux)).Warnings...)
	multicast := []byte(strings.Replace(string(linux), `"model":"e1000"`, `"model":"e1000","macAddress":"01:00:5e:00:00:01"`, 1))
	all = append(all, Mutate(cfg, createReq(t, multicast)).Warnings...)
	all = append(all, Validate(cfg, Request{Kind: kindOf(t, obj), Operation: Update, Object: obj, OldObject: obj}).Warnings...)
	cfg.Enforcement = config.Warn
	all = append(all, Validate(cfg, createReq(t, obj)).Warnings...)
	all = append(all, Validate(cfg, createReq(t, multicast)).Warnings...)
	// Every kind of warning must be among them.
	for _, want := range []string{"ConfigDrive", "Windows: set IPv6", "netsh", "move it", "move the range", "reserved for libvirt's migration; use another port",
		"covers port 49152", "IPv4 CIDR", "IPv6 CIDR", "at most one", "base64", "no NIC can take this MAC", "multicast address; no NIC"} {
		found := false
		for _, w := range all {
			found = found || strings.Contains(w, want)
		}
		if !found {
			t.Errorf("no warning says %q; got %q", want, all)
		}
	}
	for _, w := range all {
		if len(w) >= 120 {
			t.Errorf("warning is %d characters: %q", len(w), w)
		}
		if !strings.Contains(w, "interfaces[255]") && !strings.Contains(w, "networks[1]") && !strings.Contains(w, "volumes[99]") && !strings.Contains(w, "volumes[100]") {
			t.Errorf("warning does not name its field: %q", w)
		}
	}
	t.Logf("%d warnings, e.g. %q", len(all), all[0])
}
