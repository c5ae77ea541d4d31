package netconfig

import (
	"cmp"
	"net/netip"
)

// lintAddressing checks the pod NIC's entry against what virt-launcher
// does: IPv4 by DHCP only, IPv6 network+2 with no route given, the gateway
// network+1.
func lintAddressing(c nicConf, nic PodNIC, warn func(string)) {
	p6 := nic.IPv6.Masked()
	gw := p6.Addr().Next()
	vm := gw.Next()
	p4 := cmp.Or(nic.IPv4, defaultIPv4CIDR).Masked()
	var has4, has6 bool
	addrFix := "; fix: addresses: [" + netip.PrefixFrom(vm, p6.Bits()).String() + "]"
	for _, a := range c.addrs {
		addr, err := netip.ParseAddr(a)
		if pfx, perr := netip.ParsePrefix(a); perr == nil {
			addr, err = pfx.Addr(), nil
		}
		if err != nil {
			warn(c.where + ": address " + a + " is not an address/prefix")
			continue
		}
		switch {
		case addr.Is4():
			has4 = true
			if !p4.Contains(addr) {
				warn(c.where + ": " + a + " is outside vmNetworkCIDR " + p4.String() + ": no traffic reaches it through the launcher")
			}
		case addr.IsLinkLocalUnicast():
		case !p6.Contains(addr):
			has6 = true
			warn(c.where + ": " + a + " is outside vmIPv6NetworkCIDR " + p6.String() +
				": the launcher forwards IPv6 only to " + vm.String() + addrFix)
		case addr != vm:
			has6 = true
			warn(c.where + ": " + a + ": the launcher forwards IPv6 only to " + vm.String() + addrFix)
		default:
			has6 = true
		}
	}
	if !c.dhcp4 {
		if has4 {
			warn(c.where + ": static IPv4 without dhcp4: KubeVirt gives the VM its IPv4 by DHCP (and the MTU); fix: dhcp4: true")
		} else {
			warn(c.where + ": no dhcp4: the VM gets no IPv4 on the pod network; fix: dhcp4: true, as KubeVirt gives IPv4 by DHCP")
		}
	}
	// The fix is the gateway of a static6 subnet, in version 1: version 2
	// has no IPv6 default route that is not deprecated and that every
	// renderer of cloud-init 22.4 renders (see Write).
	key, gwFix := "gateway6", "; fix: network config version 1, with gateway "+gw.String()+" on a static6 subnet"
	if c.v1 {
		key, gwFix = "gateway", "; fix: gateway: "+gw.String()+" on the static6 subnet"
	}
	switch {
	case c.gateway6 != "":
		if g, err := netip.ParseAddr(c.gateway6); err != nil || g != gw {
			warn(c.where + ": " + key + " " + c.gateway6 + ": the launcher answers on " + gw.String() + " only" + gwFix)
		} else if !c.v1 {
			warn(c.where + ": gateway6 is deprecated in cloud-init 22.4 and set to go in 27.4, and newer guests " +
				"report a degraded boot for it" + gwFix + ", or delete networkData: the webhook writes one that works")
		}
	case len(c.default6) > 0:
		for _, via := range c.default6 {
			if g, err := netip.ParseAddr(via); err != nil || g != gw {
				warn(c.where + ": route to ::/0 via " + via + ": the launcher answers on " + gw.String() + " only" + gwFix)
			} else {
				warn(c.where + ": a route to ::/0 renders wrong in cloud-init 22.4 (ifupdown, NetworkManager) " +
					"and leaves no default route" + gwFix)
			}
		}
	case has6 || c.dhcp6:
		warn(c.where + ": IPv6 but no " + key + ": DHCPv6 gives no route, so IPv6 ends at the pod" + gwFix)
	}
}
