package rules

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// Lint of the networkData a user wrote: the webhook never rewrites it, but
// it knows when cloud-init will make the pod network's NIC lose its network
// with it, and says so. The guide's own dual-stack recipe is the case in
// point: an ethernets entry keyed eth0 without match configures no NIC on
// a guest that names its NIC enp1s0 (Debian and Ubuntu on KubeVirt's q35),
// and since cloud-init writes no fallback once it has a network config, the
// VM loses IPv4 too. This file is pure: text and facts in, lines out.

// PodNIC is what the caller knows of the pod network's interface.
type PodNIC struct {
	// MAC is the interface's macAddress as stored; "" when it has none
	// (KubeVirt then makes a new one at every start).
	MAC string
	// Index is the interface's position in domain.devices.interfaces.
	Index int
	// IPv6 is the pod network's vmIPv6NetworkCIDR, or fd10:0:2::/120.
	IPv6 netip.Prefix
	// IPv4 is the pod network's vmNetworkCIDR; the zero Prefix when unset
	// (KubeVirt's 10.0.2.0/24).
	IPv4 netip.Prefix
}

// NetworkDataLint is what LintNetworkData finds.
type NetworkDataLint struct {
	// Warnings are lines of at most LintLineMax bytes; the caller puts the
	// field's path before each. Several lines may tell one problem.
	Warnings []string
	// Fix is the whole networkData with the pod NIC's entry matched by MAC
	// and given set-name, when the entry is keyed by a name without match,
	// the NIC has a MAC and the text is in block style; else "".
	Fix string
}

// LintLineMax leaves room for the path before a line within the 119
// characters of a warning: "volumes[10].cloudInitConfigDrive.networkDataBase64: " is 52.
const LintLineMax = 66

// defaultIPv4CIDR is KubeVirt's vmNetworkCIDR when a network sets none.
var defaultIPv4CIDR = netip.MustParsePrefix("10.0.2.0/24")

// LintNetworkData reads networkData (decoded from Base64 by the caller) as
// cloud-init reads a NoCloud network-config: YAML 1.1, network config v1
// or v2, optionally under a top-level network key. configDrive says the
// text is a ConfigDrive's, which cloud-init reads as OpenStack's
// network_data.json instead.
func LintNetworkData(text string, nic PodNIC, configDrive bool) NetworkDataLint {
	if configDrive {
		return NetworkDataLint{Warnings: lintConfigDrive(text, nic)}
	}
	var doc any
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return NetworkDataLint{Warnings: append(parseProblem(err),
			"cloud-init ignores it: IPv4 by DHCP on one NIC at best, no IPv6")}
	}
	cfg, _ := doc.(map[string]any)
	if inner, ok := cfg["network"].(map[string]any); ok && len(cfg) == 1 {
		cfg = inner
	}
	if cfg == nil {
		return NetworkDataLint{Warnings: []string{
			"is not a YAML mapping: cloud-init cannot read it as network config"}}
	}
	if s, _ := cfg["config"].(string); s == "disabled" {
		return NetworkDataLint{Warnings: []string{
			"disables cloud-init's network config: the guest keeps its image's",
			"own, with no IPv6 default route; delete it to get the webhook's"}}
	}
	var nics []nicConf
	switch v := cfg["version"]; {
	case v == 2.0 || v == "2":
		nics = readV2(cfg)
	case v == 1.0 || v == "1":
		nics = readV1(cfg)
	default:
		return NetworkDataLint{Warnings: []string{
			"has no version: 1 or 2: cloud-init renders no network from it",
			"and writes no fallback; the guest may have no network at all"}}
	}
	return lintNICs(text, nics, nic)
}

// yamlLine finds the position in a YAML parser's message.
var yamlLine = regexp.MustCompile(`line (\d+)(?:, column (\d+))?: (.*)$`)

// parseProblem says where the text stops being YAML, as far as the parser
// tells: go-yaml gives the line, and the column for some errors.
func parseProblem(err error) []string {
	msg := strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")
	msg = strings.TrimPrefix(msg, "yaml: ")
	where := "does not parse as YAML"
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		where += ", line " + m[1]
		if m[2] != "" {
			where += ", column " + m[2]
		}
		msg = m[3]
	}
	return []string{where + ":", lintClip(msg)}
}

// lintClip cuts s to LintLineMax bytes, on a rune boundary.
func lintClip(s string) string {
	if len(s) <= LintLineMax {
		return s
	}
	s = s[:LintLineMax-3]
	for len(s) > 0 && s[len(s)-1]&0xc0 == 0x80 {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] >= 0xc0 {
		s = s[:len(s)-1]
	}
	return s + "..."
}

// nicConf is one NIC's entry, v1 or v2, in the terms the lint needs.
type nicConf struct {
	name       string // the v2 key or the v1 name: the name cloud-init looks for without a match
	where      string // how messages name the entry: ethernets.eth0, config[0]
	v1         bool
	matchMAC   string // v2 match.macaddress or v1 mac_address
	matchOther bool   // v2 match by name or driver only
	setName    bool
	dhcp4      bool
	dhcp6      bool
	addrs      []string
	gateway6   string   // v2 gateway6, v1 gateway of an IPv6 subnet
	default6   []string // vias of routes to ::/0
}

func readV2(cfg map[string]any) []nicConf {
	eths, _ := cfg["ethernets"].(map[string]any)
	var out []nicConf
	for _, key := range sortedKeys(eths) {
		e, _ := eths[key].(map[string]any)
		c := nicConf{name: key, where: "ethernets." + key}
		if m, ok := e["match"].(map[string]any); ok {
			c.matchMAC, _ = m["macaddress"].(string)
			c.matchOther = c.matchMAC == ""
		}
		_, c.setName = e["set-name"]
		c.dhcp4, c.dhcp6 = isTrue(e["dhcp4"]), isTrue(e["dhcp6"])
		for _, a := range asList(e["addresses"]) {
			switch a := a.(type) {
			case string:
				c.addrs = append(c.addrs, a)
			case map[string]any: // netplan's "addr": {lifetime: ...}
				for k := range a {
					c.addrs = append(c.addrs, k)
				}
			}
		}
		c.gateway6, _ = e["gateway6"].(string)
		for _, r := range asList(e["routes"]) {
			r, _ := r.(map[string]any)
			to, _ := r["to"].(string)
			via, _ := r["via"].(string)
			if to == "::/0" || (to == "default" && strings.Contains(via, ":")) {
				c.default6 = append(c.default6, via)
			}
		}
		out = append(out, c)
	}
	return out
}

func readV1(cfg map[string]any) []nicConf {
	var out []nicConf
	for i, x := range asList(cfg["config"]) {
		e, _ := x.(map[string]any)
		if t, _ := e["type"].(string); t != "physical" {
			continue
		}
		name, _ := e["name"].(string)
		c := nicConf{name: name, where: fmt.Sprintf("config[%d] (%s)", i, name), v1: true}
		c.matchMAC, _ = e["mac_address"].(string)
		c.setName = c.matchMAC != "" // v1 renames a NIC matched by MAC to name
		for _, s := range asList(e["subnets"]) {
			s, _ := s.(map[string]any)
			t, _ := s["type"].(string)
			switch t {
			case "dhcp", "dhcp4":
				c.dhcp4 = true
			case "dhcp6", "ipv6_dhcpv6-stateful":
				c.dhcp6 = true
			case "static", "static6":
				if a, ok := s["address"].(string); ok {
					if n, ok := s["netmask"].(string); ok && !strings.Contains(a, "/") {
						a += "/" + n
					}
					c.addrs = append(c.addrs, a)
				}
				if g, _ := s["gateway"].(string); strings.Contains(g, ":") {
					c.gateway6 = g
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// lintNICs finds the pod NIC's entry and checks it.
func lintNICs(text string, nics []nicConf, nic PodNIC) NetworkDataLint {
	var res NetworkDataLint
	warn := func(lines ...string) { res.Warnings = append(res.Warnings, lines...) }
	pod := -1
	for i, c := range nics {
		if nic.MAC != "" && c.matchMAC != "" && strings.EqualFold(c.matchMAC, nic.MAC) {
			pod = i
		}
	}
	if pod < 0 {
		for i, c := range nics {
			if c.matchMAC == "" && (len(nics) == 1 || c.name == "eth"+strconv.Itoa(nic.Index)) {
				pod = i
			}
		}
	}
	if pod < 0 {
		if nic.MAC != "" && len(nics) > 0 {
			warn(lintClip("configures no NIC with the pod network's MAC "+nic.MAC+":"),
				"cloud-init leaves that NIC down, with no fallback; add an entry")
		}
		return res
	}
	c := nics[pod]
	if c.matchMAC == "" {
		if c.matchOther {
			warn(lintClip(c.where+" matches by name or driver: only netplan honours"),
				lintClip("it; other renderers look for a NIC named "+c.name+" and the VM"),
				"has no network at all on a guest that names its NIC otherwise")
		} else {
			warn(lintClip(c.where+" has no match: on a guest whose NIC is not "+c.name),
				lintClip("(enp1s0 on q35) cloud-init sets up no NIC: the VM loses IPv4 too"))
		}
		switch {
		case nic.MAC == "":
			warn("fix: set the pod interface's macAddress and match that MAC",
				lintClip(fixTail(c)))
		case c.v1:
			warn(lintClip("fix: add mac_address: \""+nic.MAC+"\" to "+c.where+","),
				"or delete networkData: the webhook writes one that works")
		default:
			warn(lintClip(fmt.Sprintf("fix: match: {macaddress: \"%s\"}", nic.MAC)),
				lintClip(fixTail(c)))
			if !c.matchOther && !c.setName {
				res.Fix = fixText(text, c.name, nic.MAC)
			}
		}
	}
	lintAddressing(c, nic, warn)
	return res
}

// fixTail is the second half of the fix for an entry without match.
func fixTail(c nicConf) string {
	if c.v1 {
		return "in mac_address, or delete networkData: the webhook writes it"
	}
	return "and set-name: " + c.name + ", or delete networkData: the webhook writes it"
}

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
				warn(lintClip(c.where + ": address " + a + " is not an address/prefix"))
				continue
			}
		}
		addr := pfx.Addr()
		switch {
		case addr.Is4():
			has4 = true
			if !p4.Contains(addr) {
				warn(lintClip(c.where+": "+a+" is outside vmNetworkCIDR"),
					lintClip(p4.String()+": no traffic reaches it through the launcher"))
			}
		case addr.IsLinkLocalUnicast():
		case !p6.Contains(addr):
			has6 = true
			warn(lintClip(c.where+": "+a+" is outside vmIPv6NetworkCIDR"),
				lintClip(p6.String()+": the launcher forwards IPv6 only to "+vm.String()),
				lintClip(addrFix))
		case addr != vm:
			has6 = true
			warn(lintClip(c.where+": "+a+": the launcher forwards IPv6"),
				lintClip("only to "+vm.String()+"; "+addrFix))
		default:
			has6 = true
		}
	}
	if !c.dhcp4 {
		if has4 {
			warn(lintClip(c.where+": static IPv4 without dhcp4: KubeVirt gives"),
				lintClip("the VM its IPv4 by DHCP (and the MTU); fix: dhcp4: true"))
		} else {
			warn(lintClip(c.where+": no dhcp4: the VM gets no IPv4 on the pod"),
				"network; fix: dhcp4: true, as KubeVirt gives IPv4 by DHCP")
		}
	}
	gwFix := "fix: gateway6: " + gw.String()
	switch {
	case c.gateway6 != "":
		if g, err := netip.ParseAddr(c.gateway6); err != nil || g != gw {
			warn(lintClip(c.where+": gateway6 "+c.gateway6+": the launcher answers"),
				lintClip("on "+gw.String()+" only; "+gwFix))
		}
	case len(c.default6) > 0:
		for _, via := range c.default6 {
			if g, err := netip.ParseAddr(via); err != nil || g != gw {
				warn(lintClip(c.where+": route to ::/0 via "+via+": the launcher"),
					lintClip("answers on "+gw.String()+" only; "+gwFix))
			} else {
				warn(lintClip(c.where+": a route to ::/0 renders wrong in cloud-init 22"),
					"(ifupdown, NetworkManager) and leaves no default route;",
					lintClip(gwFix+" instead"))
			}
		}
	case has6 || c.dhcp6:
		warn(lintClip(c.where+": IPv6 but no gateway6: DHCPv6 gives no route,"),
			lintClip("so IPv6 ends at the pod; "+gwFix))
	}
}

// fixText is text with match and set-name added to the block-style
// ethernets entry name, or "" when the text is not laid out so. What it
// returns is checked by parsing it again.
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
	var doc any
	if yaml.Unmarshal([]byte(text), &doc) != nil {
		return false
	}
	cfg, _ := doc.(map[string]any)
	if inner, ok := cfg["network"].(map[string]any); ok && len(cfg) == 1 {
		cfg = inner
	}
	for _, c := range readV2(cfg) {
		if c.name == name {
			return c.matchMAC == mac && c.setName
		}
	}
	return false
}

// lintConfigDrive checks a ConfigDrive's network data, which cloud-init
// reads as OpenStack's network_data.json.
func lintConfigDrive(text string, nic PodNIC) []string {
	var nd struct {
		Links []struct {
			MAC string `json:"ethernet_mac_address"`
		} `json:"links"`
		Version   any `json:"version"`
		Ethernets any `json:"ethernets"`
	}
	if err := json.Unmarshal([]byte(text), &nd); err != nil {
		var doc map[string]any
		if yaml.Unmarshal([]byte(text), &doc) == nil && (doc["version"] != nil || doc["network"] != nil) {
			return []string{
				"is netplan YAML, but a ConfigDrive's network data is OpenStack's",
				"network_data.json: cloud-init cannot use it; use cloudInitNoCloud"}
		}
		return []string{
			"is not JSON: a ConfigDrive's network data is OpenStack's",
			"network_data.json; cloud-init drops it, or the whole ConfigDrive"}
	}
	if nd.Version != nil || nd.Ethernets != nil {
		return []string{
			"is netplan, but a ConfigDrive's network data is OpenStack's",
			"network_data.json: cloud-init cannot use it; use cloudInitNoCloud"}
	}
	if nic.MAC == "" {
		return nil
	}
	for _, l := range nd.Links {
		if strings.EqualFold(l.MAC, nic.MAC) {
			return nil
		}
	}
	return []string{
		lintClip("has no link with the pod network's MAC " + nic.MAC + ":"),
		"cloud-init leaves that NIC down; add the link and a network"}
}

func isTrue(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		switch strings.ToLower(v) {
		case "true", "yes", "on", "y":
			return true
		}
	}
	return false
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
