package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// Reserved ports: the platform's documentation reserves 49152 and 49153 for
// libvirt's live migration. Launchers of KubeVirt's legacy TCP migration
// transport keep the pod's own connections to them for libvirt; those of the
// Unix socket transport, every one KubeVirt starts today, forward them like
// any other port (docs/behaviour.md). They are refused, as ports and in
// ranges, so that no VM depends on them. On UPDATE one the stored object had
// on the same interface only warns, so that existing VMs stay editable.
func reservedPorts(v *validation) {
	for i, iface := range devices(v.spec).Interfaces {
		if iface == nil || !v.masquerade(iface) {
			continue
		}
		for j, p := range iface.Ports {
			if port := int64(p.Port); v.cfg.IsReserved(port) {
				why, short := reservedFor(port)
				v.reserved(iface.Name, port, v.obj.ifacePath(i).Child("ports").Index(j).Child("port"),
					fmt.Sprintf("port %d is %s; use a port other than ", port, why),
					fmt.Sprintf("port %d is %s; use another port", port, short),
					fmt.Sprintf("port %d is %s; move it", port, short))
			}
		}
		for j, r := range iface.PortRanges {
			if r == nil || r.Start == nil || r.End == nil {
				continue
			}
			start, end := int64(*r.Start), int64(*r.End)
			for _, rp := range v.cfg.ReservedPorts {
				if port := int64(rp); start <= port && port <= end {
					why, short := reservedFor(port)
					v.reserved(iface.Name, port, v.obj.ifacePath(i).Child("portRanges").Index(j),
						fmt.Sprintf("the range %d-%d covers port %d, %s; use ports other than ", start, end, port, why),
						fmt.Sprintf("range %d-%d covers port %d, %s", start, end, port, short),
						fmt.Sprintf("range covers port %d, %s; move the range", port, short))
				}
			}
		}
	}
}

// reserved denies a reserved port at path (detail, ending in the ports to
// avoid; short as a warning), or only warns (ratchet) when the stored
// object listed it on the interface, on any binding.
func (v *validation) reserved(iface string, port int64, path *field.Path, detail, short, ratchet string) {
	if v.hadIt(iface, func(old *vmspec.Interface) bool { return lists(old, port) }) {
		v.warnRatchet(path, ratchet)
		return
	}
	v.deny(field.Forbidden(path, detail+portList(v.cfg.ReservedPorts)), short)
}

// reservedFor returns what a reserved port is reserved for: at length for a
// denial, and short for a warning.
func reservedFor(port int64) (why, short string) {
	if port == 49152 || port == 49153 {
		return "reserved for libvirt's live migration: on launchers that still migrate over TCP, " +
			"KubeVirt keeps the pod's own connections to it for libvirt", "reserved for libvirt's migration"
	}
	return "reserved on this cluster (the webhook's reservedPorts)", "reserved on this cluster"
}

// lists reports whether an interface lists port, as a port or in a range.
func lists(iface *vmspec.Interface, port int64) bool {
	return slices.ContainsFunc(iface.Ports, func(p vmspec.Port) bool { return int64(p.Port) == port }) ||
		slices.ContainsFunc(iface.PortRanges, func(r *vmspec.PortRange) bool {
			return r != nil && r.Start != nil && r.End != nil && int64(*r.Start) <= port && port <= int64(*r.End)
		})
}

// portList writes ports as "a", "a and b" or "a, b and c".
func portList(ports []int32) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.Itoa(int(p))
	}
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
