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
// can tell its own config from the user's.
const Marker = "# vmnet-webhook: pod network, IPv6 by static address\n"

// Write returns the cloud-init network config, version 1, for the pod
// network's NIC of MAC mac, to be named name: IPv4 by DHCP, as without it,
// and IPv6 network+2 with gateway network+1 in a static6 subnet, since
// virt-launcher's DHCPv6 gives no route. The NIC is matched by its MAC,
// whatever the guest calls it. Version 1 is the one way to an IPv6 default
// route under every renderer of cloud-init 22.4 and 25.1 with no deprecated
// key (docs/behaviour.md).
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
// configured one for the VM's first interface, else the kernel's eth<i>, so
// that no other NIC is renamed to make room.
func NICName(first string, idx int) string {
	if idx == 0 {
		return first
	}
	return "eth" + strconv.Itoa(idx)
}
