package rules

import (
	"testing"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

func TestMACAddress(t *testing.T) {
	const ifaces = "spec.template.spec.domain.devices.interfaces"
	tests := []struct {
		name   string
		ifaces string
		old    string // the stored interfaces, for an UPDATE
		errs   []string
		warns  []string
	}{
		{name: "unicast", ifaces: `[{name: default, masquerade: {}, macAddress: "02:00:00:00:00:01"}]`},
		{name: "none", ifaces: `[{name: default, masquerade: {}}]`},
		{
			name:   "multicast",
			ifaces: `[{name: default, masquerade: {}, macAddress: "01:00:5e:00:00:01"}]`,
			errs: []string{ifaces + `[0].macAddress: Invalid value: "01:00:5e:00:00:01": is a multicast address, which no NIC can take; ` +
				`use a unicast address such as 02:00:00:00:00:01 (even first byte), or remove macAddress`},
		},
		{
			name:   "all zeros, interface defaulted to masquerade",
			ifaces: `[{name: default, macAddress: "00:00:00:00:00:00"}]`,
			errs: []string{ifaces + `[0].macAddress: Invalid value: "00:00:00:00:00:00": is all zeros, which no NIC can take; ` +
				`use a unicast address such as 02:00:00:00:00:01 (even first byte), or remove macAddress`},
		},
		{
			name:   "not a MAC",
			ifaces: `[{name: default, masquerade: {}, macAddress: "02:00:00:00:00"}]`,
			errs: []string{ifaces + `[0].macAddress: Invalid value: "02:00:00:00:00": is not a MAC address of 6 bytes, which no NIC can take; ` +
				`use a unicast address such as 02:00:00:00:00:01 (even first byte), or remove macAddress`},
		},
		{name: "bridge on the pod network is not ours", ifaces: `[{name: default, bridge: {}, macAddress: "01:00:5e:00:00:01"}]`},
		{name: "other network is not ours", ifaces: `[{name: default, masquerade: {}}, {name: blue, bridge: {}, macAddress: "01:00:5e:00:00:01"}]`},
		{
			name:   "update keeping a stored multicast MAC warns",
			ifaces: `[{name: default, masquerade: {}, macAddress: "01:00:5e:00:00:01"}]`,
			old:    `[{name: default, masquerade: {}, macAddress: "01:00:5e:00:00:01"}]`,
			warns:  []string{ifaces + "[0].macAddress: is a multicast address; no NIC can take it"},
		},
		{
			name:   "update to a new multicast MAC is denied",
			ifaces: `[{name: default, masquerade: {}, macAddress: "01:00:5e:00:00:02"}]`,
			old:    `[{name: default, masquerade: {}, macAddress: "01:00:5e:00:00:01"}]`,
			errs: []string{ifaces + `[0].macAddress: Invalid value: "01:00:5e:00:00:02": is a multicast address, which no NIC can take; ` +
				`use a unicast address such as 02:00:00:00:00:01 (even first byte), or remove macAddress`},
		},
	}
	vm := func(ifaces string) []byte {
		return toJSON(t, `
apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: vm}
spec:
  template:
    spec:
      domain: {devices: {interfaces: `+ifaces+`}}
      networks: [{name: default, pod: {}}, {name: blue, multus: {networkName: blue}}]
`)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := createReq(t, vm(tt.ifaces))
			if tt.old != "" {
				req.Operation, req.OldObject = Update, vm(tt.old)
			}
			res := Validate(defaults(), req)
			if got := errorStrings(res); !sameStrings(got, tt.errs) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.errs)
			}
			if !sameStrings(res.Warnings, tt.warns) {
				t.Errorf("warnings:\n got %q\nwant %q", res.Warnings, tt.warns)
			}
		})
	}
	// In warn mode the denial becomes a warning.
	cfg := defaults()
	cfg.Enforcement = config.Warn
	res := Validate(cfg, createReq(t, vm(`[{name: default, masquerade: {}, macAddress: "01:00:5e:00:00:01"}]`)))
	want := []string{ifaces + "[0].macAddress: is a multicast address; no NIC can take it"}
	if len(res.Errors) != 0 || !sameStrings(res.Warnings, want) {
		t.Errorf("warn mode: errors %q, warnings %q", errorStrings(res), res.Warnings)
	}
}
