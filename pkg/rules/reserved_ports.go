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
	for _, iv := range v.spec.ifaces {
		if !v.masquerade(iv) {
			continue
		}
		for _, p := range iv.ports {
			if !v.cfg.IsReserved(p.port) {
				continue
			}
			path := v.ifacePath(iv).Child("ports").Index(p.idx).Child("port")
			if v.wasThere(iv.name, p.port) {
				v.warn(path, fmt.Sprintf("port %d is reserved by libvirt; move it", p.port))
				v.ratcheted = true
				continue
			}
			v.deny(field.Forbidden(path, fmt.Sprintf(
				"port %d is reserved by libvirt, which drops other incoming traffic to it; use a port other than %s",
				p.port, portList(v.cfg.ReservedPorts))),
				fmt.Sprintf("port %d is reserved by libvirt; use another port", p.port))
		}
		for _, r := range iv.ranges {
			for _, rp := range v.cfg.ReservedPorts {
				port := int64(rp)
				if port < r.start || port > r.end {
					continue
				}
				path := v.ifacePath(iv).Child("portRanges").Index(r.idx)
				if v.wasThere(iv.name, port) {
					v.warn(path, fmt.Sprintf("range covers reserved port %d; move the range", port))
					v.ratcheted = true
					continue
				}
				v.deny(field.Forbidden(path, fmt.Sprintf(
					"the range %d-%d covers reserved port %d, and libvirt drops other incoming traffic to it; use ports other than %s",
					r.start, r.end, port, portList(v.cfg.ReservedPorts))),
					fmt.Sprintf("range %d-%d covers port %d, reserved by libvirt", r.start, r.end, port))
			}
		}
	}
}

// wasThere says whether the stored object (on UPDATE) listed port on the
// interface of that name, as a port or inside a range, on any binding.
func (v *validation) wasThere(iface string, port int64) bool {
	old := v.oldSpec()
	if old == nil {
		return false
	}
	for _, iv := range old.ifaces {
		if iv.name != iface {
			continue
		}
		for _, p := range iv.ports {
			if p.port == port {
				return true
			}
		}
		for _, r := range iv.ranges {
			if r.start <= port && port <= r.end {
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
