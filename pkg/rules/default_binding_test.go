package rules

import (
	"testing"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

func TestDefaultBinding(t *testing.T) {
	const ifaces = "/spec/template/spec/domain/devices/interfaces"
	tests := []struct {
		name   string
		ifaces string
		want   []string
	}{
		{name: "no binding on the pod network", ifaces: `[{name: default, model: e1000}]`, want: []string{`add ` + ifaces + `/0/masquerade {}`}},
		{name: "null binding", ifaces: `[{name: blue}, {name: default, masquerade: null}]`, want: []string{`add ` + ifaces + `/1/masquerade {}`}},
		{name: "masquerade", ifaces: `[{name: default, masquerade: {}}]`},
		{name: "bridge", ifaces: `[{name: default, bridge: {}}]`},
		{name: "passtBinding", ifaces: `[{name: default, passtBinding: {}}]`},
		{name: "binding plugin", ifaces: `[{name: default, binding: {name: passt}}]`},
		{name: "slirp sriov macvtap passt", ifaces: `[{name: default, slirp: {}}, {name: default, sriov: {}}, {name: default, macvtap: {}}, {name: default, passt: {}}]`},
		{name: "ill-typed binding is left alone", ifaces: `[{name: default, masquerade: "yes"}]`},
		{name: "other network", ifaces: `[{name: blue}]`},
		{name: "an ill-typed entry leaves the object alone", ifaces: `["x", 1, {name: default}]`},
		{name: "a null entry leaves the object alone", ifaces: `[null, {name: default}]`},
		{name: "after an entry it does not patch", ifaces: `[{name: blue}, {name: default}]`, want: []string{`add ` + ifaces + `/1/masquerade {}`}},
		{name: "interfaces ill-typed", ifaces: `{name: default}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			y := `
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: vm}
spec:
  template:
    spec:
      domain: {devices: {interfaces: ` + tt.ifaces + `}}
      networks: [{name: default, pod: {}}, {name: blue, multus: {networkName: blue}}]
`
			cfg := defaults()
			cfg.IPv6.Inject = config.InjectNever
			obj := toJSON(t, y)
			res := Mutate(cfg, createReq(t, obj))
			if got := opStrings(t, res); !sameStrings(got, tt.want) {
				t.Errorf("ops:\n got %q\nwant %q", got, tt.want)
			}
			applyPatch(t, obj, res)
		})
	}
}
