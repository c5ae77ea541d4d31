package rules

import (
	"net/netip"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Pod network CIDRs: virt-launcher gives the gateway network+1 and the VM
// network+2, so each CIDR must leave at least 4 addresses. KubeVirt checks
// neither at admission; a bad one only fails when the VM starts.
func podCIDRs(v *validation) {
	for _, nv := range v.spec.nets {
		if !nv.pod {
			continue
		}
		podPath := func() *field.Path { return v.obj.specPath.Child("networks").Index(nv.idx).Child("pod") }
		if nv.hasCIDR4 && !validPodCIDR(nv.cidr4, false) {
			const short = "must be an IPv4 CIDR with prefix /30 or shorter"
			v.deny(field.Invalid(podPath().Child("vmNetworkCIDR"), clip(nv.cidr4),
				short+" (at least 4 addresses), e.g. 10.0.2.0/24"), short)
		}
		if nv.hasCIDR6 && !validPodCIDR(nv.cidr6, true) {
			const short = "must be an IPv6 CIDR with prefix /126 or shorter"
			v.deny(field.Invalid(podPath().Child("vmIPv6NetworkCIDR"), clip(nv.cidr6),
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
