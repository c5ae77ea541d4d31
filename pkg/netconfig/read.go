package netconfig

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// yamlLine finds the position in a YAML parser's message.
var yamlLine = regexp.MustCompile(`line (\d+)(?:, column (\d+))?: (.*)$`)

// parseProblem reports where the text stops being YAML: go-yaml gives the
// line, and for some errors the column.
func parseProblem(err error) string {
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
	return where + ": " + msg
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
	for _, key := range slices.Sorted(maps.Keys(eths)) {
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

// isTrue reports whether v is a YAML 1.1 true, as a boolean or a string.
func isTrue(v any) bool {
	s, _ := v.(string)
	return v == true || slices.Contains([]string{"true", "yes", "on", "y"}, strings.ToLower(s))
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
