package rules

import (
	"testing"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

// vmWithInterfaces is a VM on the pod network with the given interfaces
// (YAML list items indented for spec.template.spec.domain.devices).
func vmWithInterfaces(ifaces string) string {
	return `
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: vm
spec:
  runStrategy: Always
  template:
    spec:
      domain:
        devices:
          interfaces:
` + ifaces + `
      networks:
      - name: default
        pod: {}
      - name: blue
        multus: {networkName: blue}
`
}

func TestReservedPorts(t *testing.T) {
	const path = "spec.template.spec.domain.devices.interfaces"
	tests := []struct {
		name   string
		cfg    func(*config.Config)
		ifaces string
		want   []string
		warns  []string
	}{
		{
			name: "port 80 passes",
			ifaces: `
          - name: default
            masquerade: {}
            ports: [{port: 80}]`,
		},
		{
			name: "49152 on masquerade is denied",
			ifaces: `
          - name: default
            masquerade: {}
            ports: [{port: 80}, {port: 49152, protocol: TCP}]`,
			want: []string{path + "[0].ports[1].port: Forbidden: port 49152 is reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use a port other than 49152 and 49153"},
		},
		{
			name: "every offending port on every interface, ports and ranges",
			ifaces: `
          - name: default
            masquerade: {}
            ports: [{port: 49153}]
          - name: second
            masquerade: {}
            portRanges: [{start: 40000, end: 41000}, {start: 49000, end: 49200}]`,
			want: []string{
				path + "[0].ports[0].port: Forbidden: port 49153 is reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use a port other than 49152 and 49153",
				path + "[1].portRanges[1]: Forbidden: the range 49000-49200 covers port 49152, reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use ports other than 49152 and 49153",
				path + "[1].portRanges[1]: Forbidden: the range 49000-49200 covers port 49153, reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use ports other than 49152 and 49153",
			},
		},
		{
			name: "range ending on a reserved port",
			ifaces: `
          - name: default
            masquerade: {}
            portRanges: [{start: 49153, end: 49153}]`,
			want: []string{path + "[0].portRanges[0]: Forbidden: the range 49153-49153 covers port 49153, reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use ports other than 49152 and 49153"},
		},
		{
			name: "bridge and other bindings are not checked",
			ifaces: `
          - name: default
            bridge: {}
            ports: [{port: 49152}]
          - name: blue
            bridge: {}
            ports: [{port: 49152}]`,
		},
		{
			name: "pod interface with no binding counts as masquerade",
			ifaces: `
          - name: default
            ports: [{port: 49152}]`,
			want: []string{path + "[0].ports[0].port: Forbidden: port 49152 is reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use a port other than 49152 and 49153"},
		},
		{
			name: "an object with a member of the wrong type gets that error; the port's comes once it is mended",
			ifaces: `
          - name: default
            model: 7
            ports: [{port: 49152}]`,
			want: []string{path + `[0].model: Invalid value: "7": must be a string, not a number`},
		},
		{
			name: "configured ports are listed",
			cfg:  func(c *config.Config) { c.ReservedPorts = []int32{22, 49152, 49153} },
			ifaces: `
          - name: default
            masquerade: {}
            ports: [{port: 22}]`,
			want: []string{path + "[0].ports[0].port: Forbidden: port 22 is reserved on this cluster (the webhook's reservedPorts); use a port other than 22, 49152 and 49153"},
		},
		{
			name: "no reserved ports configured",
			cfg:  func(c *config.Config) { c.ReservedPorts = nil },
			ifaces: `
          - name: default
            masquerade: {}
            ports: [{port: 49152}]`,
		},
		{
			name: "a port given as a string is an error at the field",
			ifaces: `
          - name: default
            masquerade: {}
            ports: [{port: "49152"}, {port: 1.5}]`,
			want: []string{path + `[0].ports[0].port: Invalid value: "49152": must be an integer`},
		},
		{
			name: "a port with a fraction is an error at the field",
			ifaces: `
          - name: default
            masquerade: {}
            ports: [{port: null}, {port: 1.5}]`,
			want: []string{path + `[0].ports[1].port: Invalid value: "1.5": must be an integer`},
		},
		{
			name: "a port given as an array is an error at the field",
			ifaces: `
          - name: default
            masquerade: {}
            ports: [{port: [1]}]`,
			want: []string{path + `[0].ports[0].port: Invalid value: must be an integer, not an array`},
		},
		{
			name: "a port written 49152.0 or 4.9152e4 is the integer 49152, as the API server reads it",
			ifaces: `
          - name: default
            masquerade: {}
            ports: [{port: 49152.0}, {port: 4.9153e4}]`,
			want: []string{
				path + "[0].ports[0].port: Forbidden: port 49152 is reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use a port other than 49152 and 49153",
				path + "[0].ports[1].port: Forbidden: port 49153 is reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use a port other than 49152 and 49153",
			},
		},
		{
			name: "enforcement warn turns denials into short warnings",
			cfg:  func(c *config.Config) { c.Enforcement = config.Warn },
			ifaces: `
          - name: default
            masquerade: {}
            ports: [{port: 49152}]
            portRanges: [{start: 49100, end: 49152}]`,
			warns: []string{
				"domain.devices.interfaces[0].ports[0].port: port 49152 is reserved for libvirt's migration; use another port",
				"domain.devices.interfaces[0].portRanges[0]: range 49100-49152 covers port 49152, reserved for libvirt's migration",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := defaults()
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			res := Validate(cfg, createReq(t, toJSON(t, vmWithInterfaces(tt.ifaces))))
			if got := errorStrings(res); !sameStrings(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.want)
			}
			if !sameStrings(res.Warnings, tt.warns) {
				t.Errorf("warnings:\n got %q\nwant %q", res.Warnings, tt.warns)
			}
		})
	}
}

func TestReservedPortsOptedOutAndOwned(t *testing.T) {
	// With mutation off, an interface with no binding gets the cluster's
	// default binding (bridge), where the ports are not libvirt's.
	for name, meta := range map[string]string{
		"opted out": `
  annotations: {vmnet.kubevirt.io/mutate: "false"}`,
		"owned by a pool": `
  ownerReferences:
  - {apiVersion: pool.kubevirt.io/v1alpha1, kind: VirtualMachinePool, name: p, uid: u, controller: true}`,
	} {
		t.Run(name, func(t *testing.T) {
			y := `
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: vm` + meta + `
spec:
  template:
    spec:
      domain:
        devices:
          interfaces:
          - name: default
            ports: [{port: 49152}]
          - name: other
            masquerade: {}
            ports: [{port: 49153}]
      networks:
      - name: default
        pod: {}
`
			res := Validate(defaults(), createReq(t, toJSON(t, y)))
			want := []string{"spec.template.spec.domain.devices.interfaces[1].ports[0].port: Forbidden: port 49153 is reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use a port other than 49152 and 49153"}
			if got := errorStrings(res); !sameStrings(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestReservedPortsRatchet(t *testing.T) {
	old := vmWithInterfaces(`
          - name: default
            masquerade: {}
            ports: [{port: 49152}]
            portRanges: [{start: 49150, end: 49152}]`)
	tests := []struct {
		name   string
		ifaces string
		want   []string
		warns  []string
		fired  []string
		warn   bool // enforcement warn
	}{
		{
			name: "unchanged reserved port warns",
			ifaces: `
          - name: default
            masquerade: {}
            ports: [{port: 80}, {port: 49152}]
            portRanges: [{start: 49150, end: 49152}]`,
			warns: []string{
				"spec.template.spec.domain.devices.interfaces[0].ports[1].port: port 49152 is reserved for libvirt's migration; move it",
				"domain.devices.interfaces[0].portRanges[0]: range covers port 49152, reserved for libvirt's migration; move the range",
			},
			fired: []string{RuleReservedPortsRatchet},
		},
		{
			name: "a newly added reserved port is denied",
			ifaces: `
          - name: default
            masquerade: {}
            ports: [{port: 49152}, {port: 49153}]`,
			want:  []string{"spec.template.spec.domain.devices.interfaces[0].ports[1].port: Forbidden: port 49153 is reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use a port other than 49152 and 49153"},
			warns: []string{"spec.template.spec.domain.devices.interfaces[0].ports[0].port: port 49152 is reserved for libvirt's migration; move it"},
			fired: []string{"reserved-ports", RuleReservedPortsRatchet},
		},
		{
			name: "under enforcement warn a new reserved port warns, and both rules count",
			warn: true,
			ifaces: `
          - name: default
            masquerade: {}
            ports: [{port: 49152}, {port: 49153}]`,
			warns: []string{
				"spec.template.spec.domain.devices.interfaces[0].ports[0].port: port 49152 is reserved for libvirt's migration; move it",
				"domain.devices.interfaces[0].ports[1].port: port 49153 is reserved for libvirt's migration; use another port",
			},
			fired: []string{"reserved-ports", RuleReservedPortsRatchet},
		},
		{
			name: "the same port on another interface is new",
			ifaces: `
          - name: default
            masquerade: {}
          - name: other
            masquerade: {}
            ports: [{port: 49152}]`,
			want:  []string{"spec.template.spec.domain.devices.interfaces[1].ports[0].port: Forbidden: port 49152 is reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use a port other than 49152 and 49153"},
			fired: []string{"reserved-ports"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := toJSON(t, vmWithInterfaces(tt.ifaces))
			cfg := defaults()
			if tt.warn {
				cfg.Enforcement = config.Warn
			}
			res := Validate(cfg, Request{Kind: kindOf(t, obj), Operation: Update, Object: obj, OldObject: toJSON(t, old)})
			if got := errorStrings(res); !sameStrings(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.want)
			}
			if !sameStrings(res.Warnings, tt.warns) {
				t.Errorf("warnings:\n got %q\nwant %q", res.Warnings, tt.warns)
			}
			if !sameStrings(res.Fired, tt.fired) {
				t.Errorf("fired: got %q, want %q", res.Fired, tt.fired)
			}
		})
	}
	// A garbage old object ratchets nothing and breaks nothing.
	obj := toJSON(t, old)
	res := Validate(defaults(), Request{Kind: kindOf(t, obj), Operation: Update, Object: obj, OldObject: []byte("not json")})
	if len(res.Errors) != 2 {
		t.Errorf("want 2 errors against a garbage old object, got %q", errorStrings(res))
	}
}

func TestPortList(t *testing.T) {
	for _, tt := range []struct {
		in   []int32
		want string
	}{{nil, ""}, {[]int32{1}, "1"}, {[]int32{1, 2}, "1 and 2"}, {[]int32{1, 2, 3}, "1, 2 and 3"}} {
		if got := portList(tt.in); got != tt.want {
			t.Errorf("portList(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
