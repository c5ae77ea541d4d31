package rules

import (
	"strings"
	"testing"
)

func TestIstioPorts(t *testing.T) {
	const iface = "domain.devices.interfaces[0]"
	tests := []struct {
		name  string
		kind  string // VirtualMachine (default) or VirtualMachineInstance
		meta  string // annotations of the VMI: the template's, or a VMI's own
		ports string // members of the pod interface after masquerade
		want  []string
	}{
		{name: "Envoy port with the sidecar", meta: `sidecar.istio.io/inject: "true"`, ports: `ports: [{port: 80}, {port: 15021}]`,
			want: []string{iface + ".ports[1].port: port 15021 is Envoy's, in the Istio sidecar: it never reaches the guest"}},
		{name: "the annotation in any case", meta: `sidecar.istio.io/inject: "True"`, ports: `ports: [{port: 15000}]`,
			want: []string{iface + ".ports[0].port: port 15000 is Envoy's, in the Istio sidecar: it never reaches the guest"}},
		{name: "UDP with the sidecar", meta: `sidecar.istio.io/inject: "true"`, ports: `ports: [{port: 5353, protocol: UDP}, {port: 22}]`,
			want: []string{iface + ".ports[0].protocol: " + noUDP}},
		{name: "a range over Envoy's ports", meta: `sidecar.istio.io/inject: "true"`, ports: `portRanges: [{start: 15005, end: 15010, protocol: TCP}]`,
			want: []string{
				iface + ".portRanges[0]: covers port 15006, Envoy's in the Istio sidecar: it never reaches the guest",
				iface + ".portRanges[0]: covers port 15008, Envoy's in the Istio sidecar: it never reaches the guest",
				iface + ".portRanges[0]: covers port 15009, Envoy's in the Istio sidecar: it never reaches the guest",
			}},
		{name: "a UDP range", meta: `sidecar.istio.io/inject: "true"`, ports: `portRanges: [{start: 15000, end: 15100, protocol: UDP}]`,
			want: []string{iface + ".portRanges[0].protocol: " + noUDP}},
		{name: "a VMI's own annotation", kind: "VirtualMachineInstance", meta: `sidecar.istio.io/inject: "true"`, ports: `ports: [{port: 15090}]`,
			want: []string{iface + ".ports[0].port: port 15090 is Envoy's, in the Istio sidecar: it never reaches the guest"}},
		{name: "sidecar asked off", meta: `sidecar.istio.io/inject: "false"`, ports: `ports: [{port: 15021}, {port: 53, protocol: UDP}]`},
		{name: "no sidecar", ports: `ports: [{port: 15021}, {port: 53, protocol: UDP}]`},
		{name: "fine with the sidecar", meta: `sidecar.istio.io/inject: "true"`, ports: `ports: [{port: 80}, {port: 22}, {port: 15100}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := `
  domain: {devices: {interfaces: [{name: default, masquerade: {}, ` + tt.ports + `}]}}
  networks: [{name: default, pod: {}}]`
			var y string
			if tt.kind == "VirtualMachineInstance" {
				y = "apiVersion: kubevirt.io/v1\nkind: VirtualMachineInstance\nmetadata: {name: vmi, annotations: {" + tt.meta + "}}\nspec:" + spec
			} else {
				y = "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: vm}\nspec:\n template:\n  metadata: {annotations: {" + tt.meta + "}}\n  spec:" +
					indent(spec, "  ")
			}
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

// The VM's own annotation does not reach its VMIs: only the template's does.
func TestIstioPortsVMAnnotationIsNotTheVMIs(t *testing.T) {
	y := `
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: vm, annotations: {sidecar.istio.io/inject: "true"}}
spec:
  template:
    spec:
      domain: {devices: {interfaces: [{name: default, masquerade: {}, ports: [{port: 15021}]}]}}
      networks: [{name: default, pod: {}}]
`
	if res := Validate(defaults(), createReq(t, toJSON(t, y))); len(res.Warnings) != 0 {
		t.Errorf("warnings: %q", res.Warnings)
	}
}

// indent puts prefix before every line of s but the first (which follows a key).
func indent(s, prefix string) string {
	return strings.ReplaceAll(s, "\n", "\n"+prefix)
}
