package rules

import "testing"

func TestPodCIDRs(t *testing.T) {
	const pod = "spec.template.spec.networks[0].pod."
	tests := []struct {
		name string
		pod  string
		want []string
	}{
		{name: "defaults", pod: `{}`},
		{name: "good", pod: `{vmNetworkCIDR: 10.0.2.0/24, vmIPv6NetworkCIDR: "fd10:0:2::/120"}`},
		{name: "host bits tolerated", pod: `{vmNetworkCIDR: 10.0.2.7/24, vmIPv6NetworkCIDR: "fd10:0:2::2/120"}`},
		{name: "smallest allowed", pod: `{vmNetworkCIDR: 10.0.2.0/30, vmIPv6NetworkCIDR: "fd10::/126"}`},
		{
			name: "too small",
			pod:  `{vmNetworkCIDR: 10.0.2.0/31, vmIPv6NetworkCIDR: "fd10::/127"}`,
			want: []string{
				pod + `vmNetworkCIDR: Invalid value: "10.0.2.0/31": must be an IPv4 CIDR with prefix /30 or shorter (at least 4 addresses), e.g. 10.0.2.0/24`,
				pod + `vmIPv6NetworkCIDR: Invalid value: "fd10::/127": must be an IPv6 CIDR with prefix /126 or shorter (at least 4 addresses), e.g. fd10:0:2::/120`,
			},
		},
		{
			name: "wrong family and garbage",
			pod:  `{vmNetworkCIDR: "fd10::/64", vmIPv6NetworkCIDR: "10.0.2.0/24"}`,
			want: []string{
				pod + `vmNetworkCIDR: Invalid value: "fd10::/64": must be an IPv4 CIDR with prefix /30 or shorter (at least 4 addresses), e.g. 10.0.2.0/24`,
				pod + `vmIPv6NetworkCIDR: Invalid value: "10.0.2.0/24": must be an IPv6 CIDR with prefix /126 or shorter (at least 4 addresses), e.g. fd10:0:2::/120`,
			},
		},
		{
			name: "4in6 and zones are not IPv6 networks; no prefix is not a CIDR",
			pod:  `{vmNetworkCIDR: "10.0.2.1", vmIPv6NetworkCIDR: "::ffff:10.0.2.0/120"}`,
			want: []string{
				pod + `vmNetworkCIDR: Invalid value: "10.0.2.1": must be an IPv4 CIDR with prefix /30 or shorter (at least 4 addresses), e.g. 10.0.2.0/24`,
				pod + `vmIPv6NetworkCIDR: Invalid value: "::ffff:10.0.2.0/120": must be an IPv6 CIDR with prefix /126 or shorter (at least 4 addresses), e.g. fd10:0:2::/120`,
			},
		},
		{
			name: "ill-typed",
			pod:  `{vmNetworkCIDR: 24}`,
			want: []string{pod + `vmNetworkCIDR: Invalid value: "24": must be a string, not a number`},
		},
		{
			name: "ill-typed IPv6",
			pod:  `{vmIPv6NetworkCIDR: {a: b}}`,
			want: []string{pod + `vmIPv6NetworkCIDR: Invalid value: must be a string, not an object`},
		},
		{
			name: "pod as a string",
			pod:  `"yes"`,
			want: []string{`spec.template.spec.networks[0].pod: Invalid value: "yes": must be an object`},
		},
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
      domain: {devices: {interfaces: [{name: default, masquerade: {}}]}}
      networks:
      - name: default
        pod: ` + tt.pod + "\n"
			res := Validate(defaults(), createReq(t, toJSON(t, y)))
			if got := errorStrings(res); !sameStrings(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
