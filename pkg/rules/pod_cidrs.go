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
		check := func(name, cidr string, ipv6 bool, short, example string) {
			if _, ok := podPrefix(cidr, ipv6, netip.Prefix{}); !ok {
				path := v.obj.SpecPath.Child("networks").Index(i).Child("pod", name)
				v.deny(field.Invalid(path, vmspec.Clip(cidr), short+" (at least 4 addresses), e.g. "+example), short)
			}
		}
		check("vmNetworkCIDR", n.Pod.VMNetworkCIDR, false, "must be an IPv4 CIDR with prefix /30 or shorter", "10.0.2.0/24")
		check("vmIPv6NetworkCIDR", n.Pod.VMIPv6NetworkCIDR, true, "must be an IPv6 CIDR with prefix /126 or shorter", "fd10:0:2::/120")
	}
}

// podPrefix returns a pod network's CIDR of the family asked for, or def when it
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
