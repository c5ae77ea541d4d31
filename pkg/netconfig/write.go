// Package netconfig is the cloud-init network config of a VM's pod network
// NIC: the config the webhook writes for the guest (Write), and the lint of
// one a user wrote (Lint). It knows nothing of objects or admission: text
// and facts in, text out.
package netconfig

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Marker opens every networkData the webhook writes, so that a later pass
// (a reinvocation after another webhook set the MAC) can tell its own
// config from the user's.
const Marker = "# vmnet-webhook: pod network, IPv6 by static address\n"

// Write returns the cloud-init network config for the pod network's NIC, to be
// named name, in network config version 1:
//   - a physical entry with mac_address: the NIC is found by its MAC, since
//     the guest may call it eth0, enp1s0 or ens3 and a config for a name
//     that does not exist leaves the NIC down (cloud-init then writes no
//     fallback); cloud-init renames it to name, which its ifupdown renderer
//     needs;
//   - a dhcp4 subnet: IPv4 by DHCP, as the fallback config would have had it;
//   - a static6 subnet, address network+2 and gateway network+1:
//     virt-launcher's DHCPv6 gives the guest no route.
//
// Version 1 because it gives an IPv6 default route under every renderer of
// cloud-init 22.4 and 25.1 with no deprecated key: cloud-init reads version
// 2's gateway6 into the same subnet gateway (cloudinit/net/network_state.py)
// but reports gateway6 as deprecated since 22.4, and version 2 has no other
// way there (a route to ::/0 renders wrongly in 22.4 under ifupdown and
// NetworkManager, a route to "default" fails to parse under all renderers
// but netplan). docs/guests.md shows the guests that booted it.
func Write(name string, mac net.HardwareAddr, p netip.Prefix) string {
	gw := p.Masked().Addr().Next()
	var b strings.Builder
	b.Grow(len(Marker) + len(name) + 224) // one allocation
	var scratch [64]byte
	b.WriteString(Marker)
	b.WriteString("version: 1\nconfig:\n  - type: physical\n    name: ")
	b.WriteString(name)
	b.WriteString("\n    mac_address: \"")
	b.WriteString(mac.String())
	b.WriteString("\"\n    subnets:\n      - type: dhcp4\n      - type: static6\n        address: ")
	b.Write(gw.Next().AppendTo(scratch[:0]))
	b.WriteByte('/')
	b.Write(strconv.AppendInt(scratch[:0], int64(p.Bits()), 10))
	b.WriteString("\n        gateway: ")
	b.Write(gw.AppendTo(scratch[:0]))
	b.WriteString("\n")
	return b.String()
}

// NICName returns the name the pod network's NIC gets in the guest: the
// configured one for the VM's first interface, else eth<i>, which is what
// the kernel calls the i-th NIC without predictable names, so that no
// other NIC is renamed to make room.
func NICName(first string, idx int) string {
	if idx == 0 {
		return first
	}
	return "eth" + strconv.Itoa(idx)
}
