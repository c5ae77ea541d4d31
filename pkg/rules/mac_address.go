package rules

import (
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// MAC address: the guest's network config is matched by the pod network
// NIC's MAC, and KubeVirt takes a multicast or all-zero one, which no NIC
// can have. On UPDATE one the stored object had only warns.
func macAddress(v *validation) {
	for i, iface := range devices(v.spec).Interfaces {
		if iface == nil || iface.MacAddress == "" || !v.onPod(iface) || !v.masquerade(iface) {
			continue
		}
		given := iface.MacAddress
		path := v.obj.ifacePath(i).Child("macAddress")
		_, problem := parseMAC(given)
		if problem == "" {
			continue
		}
		if v.hadIt(iface.Name, func(old *vmspec.Interface) bool { return old.MacAddress == given }) {
			v.warn(path, problem+"; no NIC can take it")
			continue
		}
		v.deny(field.Invalid(path, vmspec.Clip(given), problem+
			", which no NIC can take; use a unicast address such as 02:00:00:00:00:01 (even first byte), or remove macAddress"),
			problem+"; no NIC can take it")
	}
}
