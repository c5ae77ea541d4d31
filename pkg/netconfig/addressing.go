package netconfig

import "net/netip"

// lintAddressing checks the pod NIC's entry against what virt-launcher
// does: IPv4 by DHCP only, IPv6 network+2 with no route given, the gateway
// network+1.
func lintAddressing(c nicConf, nic PodNIC, warn func(...string)) {
	p6 := nic.IPv6.Masked()
	gw := p6.Addr().Next()
	vm := gw.Next()
	p4 := nic.IPv4
	if !p4.IsValid() {
		p4 = defaultIPv4CIDR
	}
	p4 = p4.Masked()
	var has4, has6 bool
	addrFix := "fix: addresses: [" + netip.PrefixFrom(vm, p6.Bits()).String() + "]"
	for _, a := range c.addrs {
		pfx, err := netip.ParsePrefix(a)
		if err != nil {
			if addr, err2 := netip.ParseAddr(a); err2 == nil {
				pfx = netip.PrefixFrom(addr, addr.BitLen())
			} else {
				warn(clip(c.where + ": address " + a + " is not an address/prefix"))
				continue
			}
		}
		addr := pfx.Addr()
		switch {
		case addr.Is4():
			has4 = true
			if !p4.Contains(addr) {
				warn(clip(c.where+": "+a+" is outside vmNetworkCIDR"),
					clip(p4.String()+": no traffic reaches it through the launcher"))
			}
		case addr.IsLinkLocalUnicast():
		case !p6.Contains(addr):
			has6 = true
			warn(clip(c.where+": "+a+" is outside vmIPv6NetworkCIDR"),
				clip(p6.String()+": the launcher forwards IPv6 only to "+vm.String()),
				clip(addrFix))
		case addr != vm:
			has6 = true
			warn(clip(c.where+": "+a+": the launcher forwards IPv6"),
				clip("only to "+vm.String()+"; "+addrFix))
		default:
			has6 = true
		}
	}
	if !c.dhcp4 {
		if has4 {
			warn(clip(c.where+": static IPv4 without dhcp4: KubeVirt gives"),
				clip("the VM its IPv4 by DHCP (and the MTU); fix: dhcp4: true"))
		} else {
			warn(clip(c.where+": no dhcp4: the VM gets no IPv4 on the pod"),
				"network; fix: dhcp4: true, as KubeVirt gives IPv4 by DHCP")
		}
	}
	gwFix := "fix: gateway6: " + gw.String()
	switch {
	case c.gateway6 != "":
		if g, err := netip.ParseAddr(c.gateway6); err != nil || g != gw {
			warn(clip(c.where+": gateway6 "+c.gateway6+": the launcher answers"),
				clip("on "+gw.String()+" only; "+gwFix))
		}
	case len(c.default6) > 0:
		for _, via := range c.default6 {
			if g, err := netip.ParseAddr(via); err != nil || g != gw {
				warn(clip(c.where+": route to ::/0 via "+via+": the launcher"),
					clip("answers on "+gw.String()+" only; "+gwFix))
			} else {
				warn(clip(c.where+": a route to ::/0 renders wrong in cloud-init 22"),
					"(ifupdown, NetworkManager) and leaves no default route;",
					clip(gwFix+" instead"))
			}
		}
	case has6 || c.dhcp6:
		warn(clip(c.where+": IPv6 but no gateway6: DHCPv6 gives no route,"),
			clip("so IPv6 ends at the pod; "+gwFix))
	}
}
