package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// Reserved ports: libvirt uses them on a masquerade interface and drops all
// other incoming traffic to them, so listing one never works. Applies to
// ports[].port and to portRanges[] that cover a reserved port. On UPDATE a
// reserved port the stored object already had on the same interface only
// warns, so that existing VMs stay editable; a new one is denied.
func reservedPorts(v *validation) {
	for i, iface := range devices(v.spec).Interfaces {
		if iface == nil || !v.masquerade(iface) {
			continue
		}
		for j, p := range iface.Ports {
			if port := int64(p.Port); v.cfg.IsReserved(port) {
				v.reserved(iface.Name, port, v.obj.ifacePath(i).Child("ports").Index(j).Child("port"),
					fmt.Sprintf("port %d is reserved by libvirt, which drops other incoming traffic to it; use a port other than ", port),
					fmt.Sprintf("port %d is reserved by libvirt; use another port", port),
					fmt.Sprintf("port %d is reserved by libvirt; move it", port))
			}
		}
		for j, r := range iface.PortRanges {
			if r == nil || r.Start == nil || r.End == nil {
				continue
			}
			start, end := int64(*r.Start), int64(*r.End)
			for _, rp := range v.cfg.ReservedPorts {
				if port := int64(rp); start <= port && port <= end {
					v.reserved(iface.Name, port, v.obj.ifacePath(i).Child("portRanges").Index(j),
						fmt.Sprintf("the range %d-%d covers reserved port %d, and libvirt drops other incoming traffic to it; use ports other than ", start, end, port),
						fmt.Sprintf("range %d-%d covers port %d, reserved by libvirt", start, end, port),
						fmt.Sprintf("range covers reserved port %d; move the range", port))
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
		v.warnings = append(v.warnings, v.obj.fit(path.String(), ratchet)) // not warn: not this rule firing
		v.ratcheted = true
		return
	}
	v.deny(field.Forbidden(path, detail+portList(v.cfg.ReservedPorts)), short)
}

// lists says whether an interface lists port, as a port or in a range.
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
