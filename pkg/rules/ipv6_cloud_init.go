package rules

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/netconfig"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// IPv6 cloud-init: virt-launcher's DHCPv6 gives the guest an address but no
// route, so the pod network's masquerade NIC gets a MAC if it has none and a
// network config matched by it, in the boot cloud-init volume or a NoCloud
// volume added for it. Windows and ConfigDrive guests get a warning instead;
// templates of replica sets and pools nothing (each replica gets its own).
func ipv6CloudInit(m *mutation) {
	nic, ok := ipv6NIC(m)
	if !ok || warnWindows(m, nic) {
		return
	}
	if nic.mac, ok = chooseMAC(m, nic); !ok {
		return
	}
	ci, i, found := bootCloudInit(m.spec)
	if warnConfigDrive(m, ci, i, found) || !m.obj.bootsGuest() {
		return
	}
	writeNetworkData(m, nic, ci, i, found)
}

// ipv6Target is the NIC ipv6CloudInit writes a config for. addCIDR says the
// prefix is a configured default other than KubeVirt's, to be written into
// the pod network so that guest and launcher agree.
type ipv6Target struct {
	iface            *vmspec.Interface
	ifaceIdx, podIdx int
	prefix           netip.Prefix
	addCIDR          bool
	mac              net.HardwareAddr
}

// ipv6NIC returns the pod network's masquerade NIC; ok is false when there
// is none, when the config injects nothing for it, when its CIDR is invalid,
// and in a VMI a VM started (its template had its turn).
func ipv6NIC(m *mutation) (t ipv6Target, ok bool) {
	pod, podIdx, iface, ifaceIdx := podNIC(m.spec, isMasquerade)
	if m.obj.ownerKind == "VirtualMachine" || iface == nil || !m.cfg.IPv6.Injects(pod.Pod.VMIPv6NetworkCIDR != "") {
		return t, false
	}
	prefix, ok := podPrefix(pod.Pod.VMIPv6NetworkCIDR, true, m.cfg.IPv6.DefaultCIDR)
	addCIDR := pod.Pod.VMIPv6NetworkCIDR == "" && prefix != config.KubeVirtDefaultIPv6CIDR
	return ipv6Target{iface: iface, ifaceIdx: ifaceIdx, podIdx: podIdx, prefix: prefix, addCIDR: addCIDR}, ok && prefix.IsValid()
}

// warnWindows reports whether the guest is Windows, which reads no
// cloud-init network config, and warns with what to set in the guest.
func warnWindows(m *mutation, t ipv6Target) bool {
	if m.obj.windows {
		gw := t.prefix.Masked().Addr().Next()
		m.warn(m.obj.SpecPath.Child("networks").Index(t.podIdx).Child("pod"),
			fmt.Sprintf("Windows: set IPv6 %s/%d, gateway %s in the guest", gw.Next(), t.prefix.Bits(), gw))
	}
	return m.obj.windows
}

// chooseMAC returns the NIC's own MAC, or the one the webhook assigns; ok is
// false, with a warning, when no NIC can take its own.
func chooseMAC(m *mutation, t ipv6Target) (mac net.HardwareAddr, ok bool) {
	if t.iface.MacAddress == "" {
		return assignedMAC(macSeed(&m.obj, m.uid)), true
	}
	mac, problem := parseMAC(t.iface.MacAddress)
	if problem != "" {
		m.warn(m.obj.ifacePath(t.ifaceIdx).Child("macAddress"), "IPv6 networkData not injected: no NIC can take this MAC")
	}
	return mac, problem == ""
}

// warnConfigDrive reports whether the guest boots from a ConfigDrive source,
// whose network data is not netplan, and warns when that source has none.
func warnConfigDrive(m *mutation, ci cloudInitSource, i int, found bool) bool {
	if !found || ci.key != "cloudInitConfigDrive" {
		return false
	}
	if len(ci.networkDataSources()) == 0 {
		m.warn(m.obj.SpecPath.Child("volumes").Index(i).Child(ci.key), "IPv6 networkData not injected (ConfigDrive is not netplan)")
	}
	return true
}

// writeNetworkData writes the NIC's config, and the MAC and CIDR it names,
// into the boot cloud-init source ci of volume i when that has no network
// data or the webhook's own for another MAC (set by a MAC pool before a
// reinvocation), or into a NoCloud volume it adds when i is -1.
func writeNetworkData(m *mutation, t ipv6Target, ci cloudInitSource, i int, found bool) {
	networkData := netconfig.Write(netconfig.NICName(m.cfg.IPv6.GuestInterface, t.ifaceIdx), t.mac, t.prefix)
	stale := found && strings.HasPrefix(ci.NetworkData, netconfig.Marker) && ci.NetworkData != networkData
	switch {
	case i < 0 && m.spec.Domain == nil, i >= 0 && !found:
		return // no domain to add a disk to; a volume with both sources
	case i >= 0 && len(ci.networkDataSources()) > 0 && !stale:
		return // network data of the user's own, or the webhook's as it stands
	}
	if t.iface.MacAddress == "" {
		m.setMAC(t.ifaceIdx, t.mac.String())
	}
	if t.addCIDR {
		m.setIPv6CIDR(t.podIdx, t.prefix.String())
	}
	if i < 0 {
		m.addNoCloud(freeName("cloudinitdisk", m.spec), networkData)
	} else {
		m.setNetworkData(i, ci, networkData)
	}
}

// freeName returns base, or base-N, whichever no volume or disk uses.
func freeName(base string, s *vmspec.Spec) string {
	taken := func(name string) bool {
		return slices.ContainsFunc(s.Volumes, func(v *vmspec.Volume) bool { return v != nil && v.Name == name }) ||
			slices.ContainsFunc(devices(s).Disks, func(d *vmspec.Disk) bool { return d != nil && d.Name == name })
	}
	name := base
	for i := 1; taken(name); i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	return name
}
