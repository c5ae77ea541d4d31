package rules

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Reserved ports: libvirt uses them on a masquerade interface and drops all
// other incoming traffic to them, so listing one never works. Applies to
// ports[].port and to portRanges[] that cover a reserved port. On UPDATE a
// reserved port the stored object already had on the same interface only
// warns, so that existing VMs stay editable; a new one is denied.
func reservedPorts(v *validation) {
	if len(v.cfg.ReservedPorts) == 0 {
		return
	}
	for i, iface := range interfaces(v.spec) {
		if iface == nil || !v.masquerade(iface) {
			continue
		}
		for j, p := range iface.Ports {
			port := int64(p.Port)
			if !v.cfg.IsReserved(port) {
				continue
			}
			path := v.obj.ifacePath(i).Child("ports").Index(j).Child("port")
			if v.wasThere(iface.Name, port) {
				v.warn(path, fmt.Sprintf("port %d is reserved by libvirt; move it", port))
				v.ratcheted = true
				continue
			}
			v.deny(field.Forbidden(path, fmt.Sprintf(
				"port %d is reserved by libvirt, which drops other incoming traffic to it; use a port other than %s",
				port, portList(v.cfg.ReservedPorts))),
				fmt.Sprintf("port %d is reserved by libvirt; use another port", port))
		}
		for j, r := range iface.PortRanges {
			if r == nil || r.Start == nil || r.End == nil {
				continue
			}
			start, end := int64(*r.Start), int64(*r.End)
			for _, rp := range v.cfg.ReservedPorts {
				port := int64(rp)
				if port < start || port > end {
					continue
				}
				path := v.obj.ifacePath(i).Child("portRanges").Index(j)
				if v.wasThere(iface.Name, port) {
					v.warn(path, fmt.Sprintf("range covers reserved port %d; move the range", port))
					v.ratcheted = true
					continue
				}
				v.deny(field.Forbidden(path, fmt.Sprintf(
					"the range %d-%d covers reserved port %d, and libvirt drops other incoming traffic to it; use ports other than %s",
					start, end, port, portList(v.cfg.ReservedPorts))),
					fmt.Sprintf("range %d-%d covers port %d, reserved by libvirt", start, end, port))
			}
		}
	}
}

// wasThere says whether the stored object (on UPDATE) listed port on the
// interface of that name, as a port or inside a range, on any binding.
func (v *validation) wasThere(iface string, port int64) bool {
	for _, old := range v.oldInterfaces() {
		if old == nil || old.Name != iface {
			continue
		}
		for _, p := range old.Ports {
			if int64(p.Port) == port {
				return true
			}
		}
		for _, r := range old.PortRanges {
			if r != nil && r.Start != nil && r.End != nil && int64(*r.Start) <= port && port <= int64(*r.End) {
				return true
			}
		}
	}
	return false
}

// portList writes ports as "a", "a and b" or "a, b and c".
func portList(ports []int32) string {
	var b strings.Builder
	for i, p := range ports {
		switch {
		case i == 0:
		case i == len(ports)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(int(p)))
	}
	return b.String()
}
