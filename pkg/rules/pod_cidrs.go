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
		if _, ok := podPrefix(n.Pod.VMNetworkCIDR, false, netip.Prefix{}); !ok {
			const short = "must be an IPv4 CIDR with prefix /30 or shorter"
			v.deny(field.Invalid(podPath().Child("vmNetworkCIDR"), vmspec.Clip(n.Pod.VMNetworkCIDR),
				short+" (at least 4 addresses), e.g. 10.0.2.0/24"), short)
		}
		if _, ok := podPrefix(n.Pod.VMIPv6NetworkCIDR, true, netip.Prefix{}); !ok {
			const short = "must be an IPv6 CIDR with prefix /126 or shorter"
			v.deny(field.Invalid(podPath().Child("vmIPv6NetworkCIDR"), vmspec.Clip(n.Pod.VMIPv6NetworkCIDR),
				short+" (at least 4 addresses), e.g. fd10:0:2::/120"), short)
		}
	}
}

// podPrefix is a pod network's CIDR of the family asked for, or def when it
// sets none. ok is false for one virt-launcher cannot use: it must leave at
// least 4 addresses (host bits are tolerated, as virt-launcher masks them).
func podPrefix(cidr string, ipv6 bool, def netip.Prefix) (netip.Prefix, bool) {
	if cidr == "" {
		return def, true
	}
	p, err := netip.ParsePrefix(cidr)
	if ipv6 {
		return p, err == nil && p.Addr().Is6() && !p.Addr().Is4In6() && p.Bits() <= 126
	}
	return p, err == nil && p.Addr().Is4() && p.Bits() <= 30
}
