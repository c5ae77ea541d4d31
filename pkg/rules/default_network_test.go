package rules

import (
	"testing"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

func TestDefaultNetwork(t *testing.T) {
	const spec = "/spec/template/spec"
	tests := []struct {
		name   string
		domain string // spec.template.spec.domain
		rest   string // more of spec.template.spec
		want   []string
	}{
		{
			name:   "bare VM gets interface and network",
			domain: `{devices: {disks: [{name: root, disk: {bus: virtio}}]}}`,
			want: []string{
				`add ` + spec + `/domain/devices/interfaces [{"masquerade":{},"name":"default"}]`,
				`add ` + spec + `/networks [{"name":"default","pod":{}}]`,
			},
		},
		{
			name:   "empty lists and no devices",
			domain: `{cpu: {cores: 1}}`,
			rest:   `networks: []`,
			want: []string{
				`add ` + spec + `/domain/devices {"interfaces":[{"masquerade":{},"name":"default"}]}`,
				`add ` + spec + `/networks/0 {"name":"default","pod":{}}`,
			},
		},
		{
			name:   "null interfaces",
			domain: `{devices: {interfaces: null, autoattachPodInterface: true}}`,
			want: []string{
				`add ` + spec + `/domain/devices/interfaces [{"masquerade":{},"name":"default"}]`,
				`add ` + spec + `/networks [{"name":"default","pod":{}}]`,
			},
		},
		{name: "autoattach off", domain: `{devices: {autoattachPodInterface: false}}`},
		{name: "autoattach ill-typed is left alone", domain: `{devices: {autoattachPodInterface: "false"}}`},
		{name: "networks only", domain: `{devices: {}}`, rest: `networks: [{name: blue, multus: {networkName: blue}}]`},
		{name: "interfaces only", domain: `{devices: {interfaces: [{name: x, bridge: {}}]}}`},
		{name: "devices ill-typed", domain: `{devices: []}`},
		{name: "domain missing", domain: `null`},
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
      domain: ` + tt.domain + `
      ` + tt.rest + "\n"
			cfg := defaults()
			cfg.IPv6.Inject = config.InjectNever
			res, _, _ := mutateAndValidate(t, cfg, y)
			if got := opStrings(t, res); !sameStrings(got, tt.want) {
				t.Errorf("ops:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
