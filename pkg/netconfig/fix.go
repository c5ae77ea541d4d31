package netconfig

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// fixTail ends the fix for an entry without match.
func fixTail(c nicConf) string {
	if c.v1 {
		return "in mac_address, or delete networkData: the webhook writes it"
	}
	return "and set-name: " + c.name + ", or delete networkData: the webhook writes it"
}

// fixText returns text with match and set-name added to the block-style
// ethernets entry name, checked by parsing it again; "" when it cannot.
func fixText(text, name, mac string) string {
	lines := strings.SplitAfter(text, "\n")
	indent := func(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }
	blank := func(l string) bool { t := strings.TrimSpace(l); return t == "" || t[0] == '#' }
	ethIndent := -1
	for i, l := range lines {
		if blank(l) {
			continue
		}
		key := strings.TrimSpace(l)
		if cut, _, ok := strings.Cut(key, " #"); ok {
			key = strings.TrimSpace(cut)
		}
		switch {
		case key == "ethernets:":
			ethIndent = indent(l)
		case ethIndent >= 0 && indent(l) <= ethIndent:
			ethIndent = -1
		case ethIndent >= 0 && (key == name+":" || key == strconv.Quote(name)+":"):
			// The entry's children decide the indentation of what is added.
			j := i + 1
			for j < len(lines) && blank(lines[j]) {
				j++
			}
			if j == len(lines) || indent(lines[j]) <= indent(l) {
				return ""
			}
			pad := strings.Repeat(" ", indent(lines[j]))
			add := pad + "match:\n" + pad + "  macaddress: \"" + mac + "\"\n" + pad + "set-name: " + name + "\n"
			if !strings.HasSuffix(l, "\n") {
				add = "\n" + add
			}
			fixed := strings.Join(lines[:i+1], "") + add + strings.Join(lines[i+1:], "")
			if !fixedMatches(fixed, name, mac) {
				return ""
			}
			return fixed
		}
	}
	return ""
}

// fixedMatches reports whether text parses with ethernets.name matched by
// mac and renamed to name.
func fixedMatches(text, name, mac string) bool {
	cfg, _ := parse(text) // nil when it does not parse
	for _, c := range readV2(cfg) {
		if c.name == name {
			return c.matchMAC == mac && c.setName
		}
	}
	return false
}

// fixVersion1 returns what Write writes for the entry, less its marker,
// when the entry asks for what the launcher gives; else "".
func fixVersion1(c nicConf, nic PodNIC) string {
	mac, err := net.ParseMAC(nic.MAC)
	if err != nil || len(mac) != 6 || !c.dhcp4 || c.dhcp6 || len(c.addrs) != 1 {
		return ""
	}
	p6 := nic.IPv6.Masked()
	gw := p6.Addr().Next()
	addr, err1 := netip.ParsePrefix(c.addrs[0])
	g, err2 := netip.ParseAddr(c.gateway6)
	if err1 != nil || err2 != nil || g != gw || addr != netip.PrefixFrom(gw.Next(), p6.Bits()) {
		return ""
	}
	return strings.TrimPrefix(Write(c.name, mac, nic.IPv6), Marker)
}
