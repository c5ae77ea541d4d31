package e2e

import "testing"

// On an IPv4-only cluster (the webhook's Pod has no IPv6 address), with
// ipv6.inject auto, the guide VM is stored with no MAC and no cloud-init
// disk; a VM that names its own vmIPv6NetworkCIDR still gets both.
func TestIPv4OnlyClusterInjectsOnlyWhenAsked(t *testing.T) {
	ns := newNamespace(t, nil)
	instead(t, "--pod-ips", "10.244.0.5")

	mustKubectl(t, "", "create", "-n", ns, "-f", "examples/guide-vm.yaml")
	sameJSON(t, "guide VM", stored(t, vmGVR, ns, "example-vm").Object["spec"], toJSON(t, example(t, "guide-vm.yaml").Object["spec"]))

	mustKubectl(t, "", "create", "-n", ns, "-f", "examples/custom-ipv6-cidr.yaml")
	spec := field(t, stored(t, vmGVR, ns, "custom-ipv6-cidr").Object, "spec", "template", "spec").(map[string]any)
	mac := assignedMAC(t, spec)
	want := networkDataFor(mac, "fd20:0:1::2/120", "fd20:0:1::1")
	if nd := field(t, spec, "volumes", 1, "cloudInitNoCloud", "networkData"); nd != want {
		t.Errorf("networkData %q, want %q", nd, want)
	}
}
