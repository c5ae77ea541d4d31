package rules

import "k8s.io/apimachinery/pkg/util/validation/field"

// MAC address: the guest's network config is matched by the MAC of the pod
// network's NIC, and KubeVirt's own admission takes a multicast or
// all-zero macAddress, which no NIC can have. On UPDATE a MAC the stored
// object already had on the same interface only warns, so that existing
// VMs stay editable.
func macAddress(v *validation) {
	for _, iv := range v.spec.ifaces {
		if !iv.hasMAC || !v.onPod(iv) || !v.masquerade(iv) {
			continue
		}
		path := v.ifacePath(iv).Child("macAddress")
		mac, ok := parseMAC(iv.mac)
		problem := "is not a MAC address of 6 bytes"
		if ok {
			if problem = macProblem(mac); problem == "" {
				continue
			}
		}
		if v.hadMAC(iv.name, iv.mac) {
			v.warn(path, problem+"; no NIC can take it")
			continue
		}
		v.deny(field.Invalid(path, clip(iv.mac), problem+
			", which no NIC can take; use a unicast address such as 02:00:00:00:00:01 (even first byte), or remove macAddress"),
			problem+"; no NIC can take it")
	}
}

// hadMAC says whether the stored object (on UPDATE) gave the interface of
// that name the same macAddress.
func (v *validation) hadMAC(iface, mac string) bool {
	old := v.oldSpec()
	if old == nil {
		return false
	}
	for _, iv := range old.ifaces {
		if iv.name == iface && iv.hasMAC && iv.mac == mac {
			return true
		}
	}
	return false
}
