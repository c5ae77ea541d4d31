package rules

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

// IPv6 cloud-init: virt-launcher's DHCPv6 hands the guest an address but no
// route, so on a dual-stack pod network the guest needs its IPv6 address and
// gateway written down. When the masquerade interface is on the pod network
// and the guest has no network config yet, write netplan v2 networkData
// into the first cloud-init volume (keeping its userData), or add a
// NoCloud volume and disk for it. ConfigDrive volumes take OpenStack's
// network_data.json, not netplan: those get a warning instead. So do
// Windows guests: netplan and the name eth0 mean nothing to them, and many
// are set up by sysprep, not cloud-init.
func ipv6CloudInit(m *mutation) {
	if !m.cfg.IPv6.Inject || m.cfg.IPv6.GuestInterface == "" {
		return
	}
	spec := m.obj.spec
	netIdx, podName, pod := podNetwork(spec)
	if pod == nil || !hasMasquerade(spec, podName) {
		return
	}
	prefix, addCIDR, ok := guestPrefix(pod, m.cfg)
	if !ok {
		return
	}
	if m.obj.windows() {
		gw := prefix.Masked().Addr().Next()
		podPath := m.obj.specPath.Child("networks").Index(netIdx).Child("pod").String()
		m.warnings = append(m.warnings, fit(m.obj.specPath.String(), podPath, fmt.Sprintf(
			"Windows: set IPv6 %s/%d, gateway %s in the guest", gw.Next(), prefix.Bits(), gw)))
		return
	}
	if spec["volumes"] != nil {
		if _, ok := spec["volumes"].([]any); !ok {
			return
		}
	}
	vols, _ := spec["volumes"].([]any)
	networkData := netplan(m.cfg.IPv6.GuestInterface, prefix)
	addCIDROp := func() {
		if addCIDR {
			podPtr := m.obj.specPtr.Key("networks").Index(netIdx).Key("pod")
			m.set(pod, podPtr, "vmIPv6NetworkCIDR", prefix.String())
		}
	}
	for i, raw := range vols {
		vol, ok := raw.(map[string]any)
		if !ok {
			return
		}
		noCloud, configDrive := vol["cloudInitNoCloud"], vol["cloudInitConfigDrive"]
		switch {
		case noCloud != nil && configDrive != nil:
			return
		case configDrive != nil:
			cd, ok := configDrive.(map[string]any)
			if ok && !hasNetworkData(cd) {
				volPath := m.obj.specPath.Child("volumes").Index(i).Child("cloudInitConfigDrive").String()
				m.warnings = append(m.warnings, fit(m.obj.specPath.String(), volPath,
					"IPv6 networkData not injected (ConfigDrive is not netplan)"))
			}
			return
		case noCloud != nil:
			nc, ok := noCloud.(map[string]any)
			if !ok || hasNetworkData(nc) {
				return
			}
			addCIDROp()
			m.set(nc, m.obj.specPtr.Key("volumes").Index(i).Key("cloudInitNoCloud"), "networkData", networkData)
			return
		}
	}
	// No cloud-init volume: add one, and its disk.
	domain, devices, ok := devicesOf(spec)
	if !ok {
		return
	}
	if disks := devices["disks"]; disks != nil {
		if _, ok := disks.([]any); !ok {
			return
		}
	}
	name := freeName("cloudinitdisk", vols, devices["disks"])
	addCIDROp()
	m.push(spec, m.obj.specPtr, "volumes", map[string]any{
		"name":             name,
		"cloudInitNoCloud": map[string]any{"networkData": networkData},
	})
	m.pushDevice(domain, devices, "disks", map[string]any{"name": name, "disk": map[string]any{"bus": "virtio"}})
}

// hasMasquerade says whether an interface on the named network is bound by
// masquerade (as written, or as defaulted earlier in this pass).
func hasMasquerade(spec map[string]any, network string) bool {
	domain, _ := spec["domain"].(map[string]any)
	devices, _ := domain["devices"].(map[string]any)
	ifaces, _ := devices["interfaces"].([]any)
	for _, raw := range ifaces {
		iface, _ := raw.(map[string]any)
		if iface != nil && iface["name"] == network && iface["masquerade"] != nil {
			return true
		}
	}
	return false
}

// guestPrefix is the network the launcher uses for the guest's IPv6: the
// pod network's own, or the configured default. addCIDR asks to write the
// default into the network when it is not KubeVirt's, so that guest and
// launcher agree. ok is false for a CIDR that validation will refuse.
func guestPrefix(pod map[string]any, cfg config.Config) (p netip.Prefix, addCIDR, ok bool) {
	raw := pod["vmIPv6NetworkCIDR"]
	if raw == nil {
		p = cfg.IPv6.DefaultCIDR
		return p, p != config.KubeVirtDefaultIPv6CIDR, p.IsValid()
	}
	s, isString := raw.(string)
	if !isString || !validPodCIDR(s, true) {
		return netip.Prefix{}, false, false
	}
	return netip.MustParsePrefix(s), false, true
}

// netplan writes the guest's network config: DHCP for IPv4, the static
// IPv6 address network+2 and the gateway network+1.
func netplan(iface string, p netip.Prefix) string {
	gw := p.Masked().Addr().Next()
	vm := gw.Next()
	return "version: 2\nethernets:\n  " + iface + ":\n    dhcp4: true\n    addresses: [" +
		vm.String() + "/" + strconv.Itoa(p.Bits()) + "]\n    gateway6: " + gw.String() + "\n"
}

func hasNetworkData(ci map[string]any) bool {
	for _, k := range networkDataSources {
		if ci[k] != nil {
			return true
		}
	}
	return false
}

// freeName returns base, or base-N, whichever no volume or disk uses.
func freeName(base string, lists ...any) string {
	taken := map[string]bool{}
	for _, l := range lists {
		items, _ := l.([]any)
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				if n, ok := m["name"].(string); ok {
					taken[n] = true
				}
			}
		}
	}
	name := base
	for i := 1; taken[name]; i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	return name
}
