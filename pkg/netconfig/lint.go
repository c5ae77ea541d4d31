package netconfig

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"sigs.k8s.io/yaml"
)

// PodNIC is what the caller knows of the pod network's interface.
type PodNIC struct {
	MAC   string       // its macAddress as stored; "" for none
	Index int          // its position in domain.devices.interfaces
	IPv6  netip.Prefix // vmIPv6NetworkCIDR, or fd10:0:2::/120
	IPv4  netip.Prefix // vmNetworkCIDR; the zero Prefix for KubeVirt's default
}

// Report is what Lint finds.
type Report struct {
	// Warnings are whole sentences, one for each problem or fix; the caller
	// names the field and fits them to Warning headers.
	Warnings []string
	// Fix is the whole networkData to use instead, when the NIC has a MAC:
	// for a version 2 entry with gateway6 and the launcher's addresses,
	// alone in the text, what Write writes; for an entry keyed by a name
	// without match, in block style, the text with match and set-name
	// added; else "".
	Fix string
}

// defaultIPv4CIDR is KubeVirt's vmNetworkCIDR when a network sets none.
var defaultIPv4CIDR = netip.MustParsePrefix("10.0.2.0/24")

// Lint reports where the networkData a user wrote (decoded) would leave the
// pod network's NIC without the network it expects: the webhook never
// rewrites it. It reads the text as cloud-init reads a NoCloud
// network-config (YAML 1.1, version 1 or 2, perhaps under a network key),
// or, for a ConfigDrive, as OpenStack's network_data.json.
func Lint(text string, nic PodNIC, configDrive bool) Report {
	if configDrive {
		return Report{Warnings: lintConfigDrive(text, nic)}
	}
	cfg, err := parse(text)
	if err != nil {
		return Report{Warnings: []string{parseProblem(err) +
			"; cloud-init ignores it: IPv4 by DHCP on one NIC at best, no IPv6"}}
	} else if cfg == nil {
		return Report{Warnings: []string{"is not a YAML mapping: cloud-init cannot read it as network config"}}
	}
	if s, _ := cfg["config"].(string); s == "disabled" {
		return Report{Warnings: []string{"disables cloud-init's network config: the guest keeps its image's own, " +
			"with no IPv6 default route; delete it to get the webhook's"}}
	}
	switch v := cfg["version"]; {
	case v == 2.0 || v == "2":
		return lintNICs(text, readV2(cfg), nic)
	case v == 1.0 || v == "1":
		return lintNICs(text, readV1(cfg), nic)
	}
	return Report{Warnings: []string{"has no version: 1 or 2: cloud-init renders no network from it " +
		"and writes no fallback; the guest may have no network at all"}}
}

// parse reads a network config as cloud-init does; cfg is nil when it is
// not a mapping.
func parse(text string) (cfg map[string]any, err error) {
	var doc any
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	cfg, _ = doc.(map[string]any)
	if inner, ok := cfg["network"].(map[string]any); ok && len(cfg) == 1 {
		cfg = inner
	}
	return cfg, nil
}

// lintNICs finds the pod NIC's entry and checks it.
func lintNICs(text string, nics []nicConf, nic PodNIC) Report {
	var res Report
	warn := func(msg string) { res.Warnings = append(res.Warnings, msg) }
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
			warn("configures no NIC with the pod network's MAC " + nic.MAC +
				": cloud-init leaves that NIC down, with no fallback; add an entry")
		}
		return res
	}
	c := nics[pod]
	if c.matchMAC == "" {
		if c.matchOther {
			warn(c.where + " matches by name or driver: only netplan honours it; other renderers look for a NIC named " +
				c.name + " and the VM has no network at all on a guest that names its NIC otherwise")
		} else {
			warn(c.where + " has no match: on a guest whose NIC is not " + c.name +
				" (enp1s0 on q35) cloud-init sets up no NIC: the VM loses IPv4 too")
		}
		switch {
		case nic.MAC == "":
			warn("fix: set the pod interface's macAddress and match that MAC " + fixTail(c))
		case c.v1:
			warn("fix: add mac_address: \"" + nic.MAC + "\" to " + c.where +
				", or delete networkData: the webhook writes one that works")
		default:
			warn(fmt.Sprintf("fix: match: {macaddress: \"%s\"} ", nic.MAC) + fixTail(c))
			if !c.matchOther && !c.setName && c.gateway6 == "" {
				res.Fix = fixText(text, c.name, nic.MAC)
			}
		}
	}
	lintAddressing(c, nic, warn)
	if len(nics) == 1 && !c.v1 && c.gateway6 != "" {
		// gateway6 has no replacement in version 2 (see Write).
		res.Fix = fixVersion1(c, nic)
	}
	return res
}

// Printable returns s with each control character, and each byte that is
// not UTF-8, replaced by U+FFFD: the API server drops a warning with either.
func Printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return utf8.RuneError
		}
		return r
	}, s)
}
