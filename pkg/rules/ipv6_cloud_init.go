package rules

import (
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

// IPv6 cloud-init: virt-launcher's DHCPv6 hands the guest an address but no
// route, so on a dual-stack pod network the guest needs its IPv6 address and
// gateway written down. When the masquerade interface is on the pod network
// and the guest has no network config yet, give the interface a MAC if it
// has none (the config is matched by it, see guest_network.go) and write
// the config into the first cloud-init volume (keeping its userData), or
// add a NoCloud volume and disk for it. ConfigDrive volumes take
// OpenStack's network_data.json, not netplan: those get a warning instead.
// So do Windows guests: netplan means nothing to them, and many are set up
// by sysprep, not cloud-init. The templates of replica sets and pools get
// nothing: each replica gets its own MAC and config when it is created.
func ipv6CloudInit(m *mutation) {
	o, s := m.obj, m.spec
	if o.ownerKind == "VirtualMachine" {
		return // a VMI a VM started: its template had its turn
	}
	nv, iv, ok := podMasquerade(s)
	if !ok || !m.cfg.IPv6.Injects(nv.hasCIDR6) {
		return
	}
	prefix, addCIDR, ok := guestPrefix(nv, m.cfg)
	if !ok {
		return
	}
	if o.windows() {
		podPath := o.specPath.Child("networks").Index(nv.idx).Child("pod").String()
		gw := prefix.Masked().Addr().Next()
		m.warnings = append(m.warnings, fit(o.specPath.String(), podPath, fmt.Sprintf(
			"Windows: set IPv6 %s/%d, gateway %s in the guest", gw.Next(), prefix.Bits(), gw)))
		return
	}
	var mac net.HardwareAddr
	if iv.hasMAC {
		var ok bool
		if mac, ok = parseMAC(iv.mac); !ok || macProblem(mac) != "" {
			ifacePath := o.specPath.Child("domain", "devices", "interfaces").Index(iv.idx)
			m.warnings = append(m.warnings, fit(o.specPath.String(), ifacePath.Child("macAddress").String(),
				"IPv6 networkData not injected: no NIC can take this MAC"))
			return
		}
	} else {
		mac = assignedMAC(macSeed(o, m.uid))
	}
	networkData := guestNetworkConfig(guestNICName(m.cfg.IPv6.GuestInterface, iv.idx), mac, prefix)
	// The changes, made once the target is known, and only where the guest
	// boots from (templates of replicas still get the warnings).
	canInject := o.bootsGuest()
	addIdentity := func() {
		if !iv.hasMAC {
			m.add(o.ptrs.interfaces.Index(iv.idx).Key("macAddress"), mac.String())
		}
		if addCIDR {
			m.add(o.ptrs.networks.Index(nv.idx).Key("pod").Key("vmIPv6NetworkCIDR"), prefix.String())
		}
	}
	// The first volume with cloud-init decides.
	for _, vv := range s.vols {
		if len(vv.cloudInits) != 1 {
			if len(vv.cloudInits) > 1 {
				return // both NoCloud and ConfigDrive: not ours to choose
			}
			continue
		}
		ci := vv.cloudInits[0]
		ciPtr := o.ptrs.volumes.Index(vv.idx).Key(ci.key)
		switch {
		case ci.key == "cloudInitConfigDrive":
			if len(ci.sources) == 0 {
				m.warnings = append(m.warnings, fit(o.specPath.String(), o.specPath.Child("volumes").Index(vv.idx).Child(ci.key).String(),
					"IPv6 networkData not injected (ConfigDrive is not netplan)"))
			}
		case !canInject:
		case len(ci.sources) == 0:
			addIdentity()
			m.add(ciPtr.Key("networkData"), networkData)
		case strings.HasPrefix(ci.networkData, guestNetworkMarker) && ci.networkData != networkData:
			// Ours, written for another MAC: another webhook (a MAC pool)
			// has set the MAC since, and we are called again.
			addIdentity()
			m.replace(ciPtr.Key("networkData"), networkData)
		}
		return
	}
	// No cloud-init volume: add one, and its disk.
	if !s.hasDomain || !canInject {
		return
	}
	name := freeName("cloudinitdisk", s)
	addIdentity()
	m.push(o.ptrs.volumes, s.hasVolList, len(s.vols), noCloudVolume{Name: name, CloudInitNoCloud: networkDataOnly{networkData}})
	m.pushDevice("disks", s.hasDiskList, len(s.disks), virtioDisk{Name: name, Disk: diskBus{"virtio"}})
}

// The volume and disk ipv6CloudInit adds, as structs: cheaper to build and
// to encode than maps. Their fields are in name order, as encoding/json
// writes a map's, so that the patch reads the same either way.
type noCloudVolume struct {
	CloudInitNoCloud networkDataOnly `json:"cloudInitNoCloud"`
	Name             string          `json:"name"`
}

type networkDataOnly struct {
	NetworkData string `json:"networkData"`
}

type virtioDisk struct {
	Disk diskBus `json:"disk"`
	Name string  `json:"name"`
}

type diskBus struct {
	Bus string `json:"bus"`
}

// podMasquerade finds the pod network and the interface bound to it by
// masquerade (as written, or as defaulted earlier in this pass).
func podMasquerade(s *specView) (netView, ifaceView, bool) {
	if !s.hasPodNet {
		return netView{}, ifaceView{}, false
	}
	for _, nv := range s.nets {
		if !nv.pod || nv.name != s.podNet {
			continue
		}
		for _, iv := range s.ifaces {
			if iv.name == nv.name && iv.binding == "masquerade" {
				return nv, iv, true
			}
		}
		break
	}
	return netView{}, ifaceView{}, false
}

// guestPrefix is the network the launcher uses for the guest's IPv6: the
// pod network's own, or the configured default. addCIDR asks to write the
// default into the network when it is not KubeVirt's, so that guest and
// launcher agree. ok is false for a CIDR that validation will refuse.
func guestPrefix(nv netView, cfg config.Config) (p netip.Prefix, addCIDR, ok bool) {
	if !nv.hasCIDR6 {
		p = cfg.IPv6.DefaultCIDR
		return p, p != config.KubeVirtDefaultIPv6CIDR, p.IsValid()
	}
	if !validPodCIDR(nv.cidr6, true) {
		return netip.Prefix{}, false, false
	}
	return netip.MustParsePrefix(nv.cidr6), false, true
}

// freeName returns base, or base-N, whichever no volume or disk uses.
func freeName(base string, s *specView) string {
	taken := func(name string) bool {
		for _, vv := range s.vols {
			if vv.name == name {
				return true
			}
		}
		return slices.Contains(s.disks, name)
	}
	name := base
	for i := 1; taken(name); i++ {
		name = base + "-" + strconv.Itoa(i)
	}
	return name
}
