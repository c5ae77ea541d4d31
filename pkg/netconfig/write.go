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

// Write is the cloud-init network config (netplan v2, which every
// cloud-init renderer reads) for the pod network's NIC, to be named name:
//   - matched by MAC: the guest may call the NIC eth0, enp1s0 or ens3, and
//     a config for a name that does not exist leaves the NIC down, since
//     cloud-init then writes no fallback;
//   - set-name: cloud-init's ifupdown renderer takes the entry's key as the
//     interface name, so the NIC is given that name;
//   - dhcp4: IPv4 by DHCP, as the fallback config would have had it;
//   - the address network+2 and gateway6 network+1: virt-launcher's DHCPv6
//     gives no route. gateway6 rather than routes to ::/0, which cloud-init
//     22.4 renders wrongly for ifupdown and NetworkManager.
func Write(name string, mac net.HardwareAddr, p netip.Prefix) string {
	gw := p.Masked().Addr().Next()
	var b strings.Builder
	b.Grow(len(Marker) + 2*len(name) + 192) // one allocation
	var scratch [64]byte
	b.WriteString(Marker)
	b.WriteString("version: 2\nethernets:\n  ")
	b.WriteString(name)
	b.WriteString(":\n    match:\n      macaddress: \"")
	b.WriteString(mac.String())
	b.WriteString("\"\n    set-name: ")
	b.WriteString(name)
	b.WriteString("\n    dhcp4: true\n    addresses: [")
	b.Write(gw.Next().AppendTo(scratch[:0]))
	b.WriteByte('/')
	b.Write(strconv.AppendInt(scratch[:0], int64(p.Bits()), 10))
	b.WriteString("]\n    gateway6: ")
	b.Write(gw.AppendTo(scratch[:0]))
	b.WriteString("\n")
	return b.String()
}

// NICName is the name the pod network's NIC gets in the guest: the
// configured one for the VM's first interface, else eth<i>, which is what
// the kernel calls the i-th NIC without predictable names, so that no
// other NIC is renamed to make room.
func NICName(first string, idx int) string {
	if idx == 0 {
		return first
	}
	return "eth" + strconv.Itoa(idx)
}
