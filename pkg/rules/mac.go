package rules

import (
	"crypto/sha256"
	"net"
	"slices"
)

// parseMAC reads a MAC as KubeVirt does (net.ParseMAC), 48 bits only.
func parseMAC(s string) (net.HardwareAddr, bool) {
	mac, err := net.ParseMAC(s)
	return mac, err == nil && len(mac) == 6
}

// macProblem says why no NIC can take mac, "" when one can.
func macProblem(mac net.HardwareAddr) string {
	switch {
	case mac[0]&1 != 0:
		return "is a multicast address"
	case !slices.ContainsFunc(mac, func(b byte) bool { return b != 0 }):
		return "is all zeros"
	}
	return ""
}

// assignedMAC is the MAC given to a pod network NIC that has none: locally
// administered unicast, so it cannot clash with a vendor's address.
func assignedMAC(seed string) net.HardwareAddr {
	sum := sha256.Sum256([]byte("vmnet-webhook/mac/" + seed))
	mac := net.HardwareAddr(sum[:6])
	mac[0] = mac[0]&^1 | 2
	return mac
}

// macSeed is what an object's MAC is drawn from: its namespace and name, so
// that preview, a dry run and the create agree and no two VMs share one; the
// request's UID while the name is to be generated (a replica set's VMIs).
func macSeed(o *object, uid string) string {
	if o.Meta.Name == "" {
		return "uid:" + uid
	}
	return o.Meta.Namespace + "/" + o.Meta.Name
}
