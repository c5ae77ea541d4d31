package rules

import (
	"crypto/sha256"
	"net"
	"slices"
)

// parseMAC reads a MAC as KubeVirt does (net.ParseMAC); problem says why no
// NIC can take it, "" when one can.
func parseMAC(s string) (mac net.HardwareAddr, problem string) {
	mac, err := net.ParseMAC(s)
	switch {
	case err != nil || len(mac) != 6:
		return nil, "is not a MAC address of 6 bytes"
	case mac[0]&1 != 0:
		return nil, "is a multicast address"
	case !slices.ContainsFunc(mac, func(b byte) bool { return b != 0 }):
		return nil, "is all zeros"
	}
	return mac, ""
}

// assignedMAC returns the MAC given to a pod network NIC that has none: locally
// administered unicast, so it cannot clash with a vendor's address.
func assignedMAC(seed string) net.HardwareAddr {
	sum := sha256.Sum256([]byte("vmnet-webhook/mac/" + seed))
	mac := net.HardwareAddr(sum[:6])
	mac[0] = mac[0]&^1 | 2
	return mac
}

// macSeed returns what an object's MAC is drawn from: its namespace and
// name, so that preview, a dry run and the create agree; the request's UID
// while the name is to be generated.
func macSeed(o *object, uid string) string {
	if o.Meta.Name == "" {
		return "uid:" + uid
	}
	return o.Meta.Namespace + "/" + o.Meta.Name
}
