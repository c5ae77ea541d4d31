package rules

import (
	"net/netip"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// Pod network CIDRs: virt-launcher gives the gateway network+1 and the VM
// network+2, so each CIDR must leave at least 4 addresses. KubeVirt checks
// neither at admission; a bad one only fails when the VM starts.
func podCIDRs(v *validation) {
	for i, n := range v.spec.Networks {
		if n == nil || n.Pod == nil {
			continue
		}
		podPath := func() *field.Path { return v.obj.SpecPath.Child("networks").Index(i).Child("pod") }
		if c := n.Pod.VMNetworkCIDR; c != "" && !validPodCIDR(c, false) {
			const short = "must be an IPv4 CIDR with prefix /30 or shorter"
			v.deny(field.Invalid(podPath().Child("vmNetworkCIDR"), vmspec.Clip(c),
				short+" (at least 4 addresses), e.g. 10.0.2.0/24"), short)
		}
		if c := n.Pod.VMIPv6NetworkCIDR; c != "" && !validPodCIDR(c, true) {
			const short = "must be an IPv6 CIDR with prefix /126 or shorter"
			v.deny(field.Invalid(podPath().Child("vmIPv6NetworkCIDR"), vmspec.Clip(c),
				short+" (at least 4 addresses), e.g. fd10:0:2::/120"), short)
		}
	}
}

// validPodCIDR accepts a CIDR of the family asked for that leaves at least
// 4 addresses; host bits are tolerated, as virt-launcher masks them.
func validPodCIDR(s string, ipv6 bool) bool {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return false
	}
	if ipv6 {
		return p.Addr().Is6() && !p.Addr().Is4In6() && p.Bits() <= 126
	}
	return p.Addr().Is4() && p.Bits() <= 30
}
