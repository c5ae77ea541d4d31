package rules

import (
	"fmt"
	"slices"
	"strings"
)

// Istio ports: with the Istio sidecar in the VM's pod, KubeVirt's
// masquerade binding forwards a listed port to the guest only through the
// sidecar, over TCP, and keeps Envoy's own ports for Envoy
// (pkg/network/setup/netpod/masquerade/masquerade.go and
// pkg/network/istio/ports.go, KubeVirt 1.4 to 1.9). Only a warning: the rest
// of the VM's ports work.
func istioPorts(v *validation) {
	if !v.obj.istio {
		return
	}
	for i, iface := range devices(v.spec).Interfaces {
		if iface == nil || !v.masquerade(iface) {
			continue
		}
		for j, p := range iface.Ports {
			path := v.obj.ifacePath(i).Child("ports").Index(j)
			if strings.EqualFold(p.Protocol, "UDP") {
				v.warn(path.Child("protocol"), noUDP)
			} else if port := int64(p.Port); slices.Contains(envoyPorts, port) {
				v.warn(path.Child("port"), fmt.Sprintf("port %d is Envoy's, in the Istio sidecar: it never reaches the guest", port))
			}
		}
		for j, r := range iface.PortRanges {
			if r == nil || r.Start == nil || r.End == nil {
				continue
			}
			path := v.obj.ifacePath(i).Child("portRanges").Index(j)
			if strings.EqualFold(r.Protocol, "UDP") {
				v.warn(path.Child("protocol"), noUDP)
				continue
			}
			for _, port := range envoyPorts {
				if int64(*r.Start) <= port && port <= int64(*r.End) {
					v.warn(path, fmt.Sprintf("covers port %d, Envoy's in the Istio sidecar: it never reaches the guest", port))
				}
			}
		}
	}
}

const noUDP = "with the Istio sidecar, KubeVirt forwards no UDP port to the guest"

// envoyPorts are KubeVirt's istio.ReservedPorts, the same in 1.4 and 1.9.
var envoyPorts = []int64{15000, 15001, 15004, 15006, 15008, 15009, 15020, 15021, 15053, 15090}

// IstioInjectAnnotation on a VMI's metadata, "true" in any case, asks for
// the Istio sidecar in its pod.
const IstioInjectAnnotation = "sidecar.istio.io/inject"
