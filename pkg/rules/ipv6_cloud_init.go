package rules

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/netconfig"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// IPv6 cloud-init: virt-launcher's DHCPv6 gives the guest an address but no
// route, so a dual-stack guest needs its IPv6 address and gateway written
// down. The pod network's masquerade NIC gets a MAC if it has none (the
// config matches by it) and the config goes into the boot cloud-init volume,
// or into a NoCloud volume added for it. ConfigDrive (not netplan) and
// Windows guests get a warning instead; templates of replica sets and pools
// nothing, as each replica gets its own MAC and config when created.
func ipv6CloudInit(m *mutation) {
	o, s := m.obj, m.spec
	if o.ownerKind == "VirtualMachine" {
		return // a VMI a VM started: its template had its turn
	}
	pod, podIdx, iface, ifaceIdx := podNIC(s, isMasquerade)
	if iface == nil || !m.cfg.IPv6.Injects(pod.Pod.VMIPv6NetworkCIDR != "") {
		return
	}
	// The launcher's network for the guest's IPv6. A default other than
	// KubeVirt's is written into the network, so that guest and launcher agree.
	prefix, ok := podPrefix(pod.Pod.VMIPv6NetworkCIDR, true, m.cfg.IPv6.DefaultCIDR)
	if !ok || !prefix.IsValid() {
		return // validation refuses it
	}
	addCIDR := pod.Pod.VMIPv6NetworkCIDR == "" && prefix != config.KubeVirtDefaultIPv6CIDR
	if o.windows {
		gw := prefix.Masked().Addr().Next()
		m.warn(o.SpecPath.Child("networks").Index(podIdx).Child("pod"),
			fmt.Sprintf("Windows: set IPv6 %s/%d, gateway %s in the guest", gw.Next(), prefix.Bits(), gw))
		return
	}
	var mac net.HardwareAddr
	problem := ""
	if iface.MacAddress == "" {
		mac = assignedMAC(macSeed(o, m.uid))
	} else if mac, problem = parseMAC(iface.MacAddress); problem != "" {
		m.warn(o.ifacePath(ifaceIdx).Child("macAddress"), "IPv6 networkData not injected: no NIC can take this MAC")
		return
	}
	networkData := netconfig.Write(netconfig.NICName(m.cfg.IPv6.GuestInterface, ifaceIdx), mac, prefix)
	addIdentity := func() {
		if iface.MacAddress == "" {
			m.setMAC(ifaceIdx, mac.String())
		}
		if addCIDR {
			m.setIPv6CIDR(podIdx, prefix.String())
		}
	}
	// The cloud-init volume the guest boots with, if any, decides.
	if ci, i, found := bootCloudInit(s); i >= 0 {
		if !found {
			return // both NoCloud and ConfigDrive: not ours to choose
		}
		switch sources := ci.networkDataSources(); {
		case ci.key == "cloudInitConfigDrive":
			if len(sources) == 0 {
				m.warn(o.SpecPath.Child("volumes").Index(i).Child(ci.key), "IPv6 networkData not injected (ConfigDrive is not netplan)")
			}
		case !o.bootsGuest(): // templates of replicas get only warnings
		case len(sources) == 0:
			addIdentity()
			m.setNetworkData(i, ci, networkData)
		case strings.HasPrefix(ci.NetworkData, netconfig.Marker) && ci.NetworkData != networkData:
			// Ours, written for another MAC: another webhook (a MAC pool)
			// has set the MAC since, and we are called again.
			addIdentity()
			m.setNetworkData(i, ci, networkData)
		}
		return
	}
	// No cloud-init volume: add one, and its disk.
	if s.Domain == nil || !o.bootsGuest() {
		return
	}
	name := freeName("cloudinitdisk", s)
	addIdentity()
	m.addNoCloud(name, networkData)
}

// freeName returns base, or base-N, whichever no volume or disk uses.
func freeName(base string, s *vmspec.Spec) string {
	taken := map[string]bool{}
	for _, vol := range s.Volumes {
		if vol != nil {
			taken[vol.Name] = true
		}
	}
	for _, d := range devices(s).Disks {
		if d != nil {
			taken[d.Name] = true
		}
	}
	name := base
	for i := 1; taken[name]; i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	return name
}
