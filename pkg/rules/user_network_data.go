package rules

import (
	"encoding/base64"
	"net/netip"
	"strings"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/netconfig"
)

// User network data: the network config a user wrote is never rewritten,
// but when it would leave the pod network's NIC without the network it
// expects, the user is warned, with the fix (netconfig.Lint). A Secret's
// cannot be read here (NotChecked).
func userNetworkData(v *validation) {
	if v.obj.optedOut {
		return
	}
	podNet, _, iface, ifaceIdx := podNIC(v.spec, v.masquerade)
	if iface == nil {
		return // no masquerade NIC on the pod network: the launcher's addressing does not apply
	}
	ipv6, ok6 := podPrefix(podNet.Pod.VMIPv6NetworkCIDR, true, config.KubeVirtDefaultIPv6CIDR)
	ipv4, ok4 := podPrefix(podNet.Pod.VMNetworkCIDR, false, netip.Prefix{})
	ci, i, ok := bootCloudInit(v.spec)
	if !ok || !ok6 || !ok4 {
		return // no cloud-init source, or a CIDR validation refuses
	}
	path := v.obj.SpecPath.Child("volumes").Index(i).Child(ci.key)
	var text string
	switch set := ci.networkDataSources(); {
	case len(set) != 1:
		return // none, or several (cloudInitLimits refuses those)
	case set[0] == "networkDataSecretRef":
		v.notChecked = append(v.notChecked, path.Child("networkDataSecretRef").String())
		return
	case set[0] == "networkData":
		text, path = ci.NetworkData, path.Child("networkData")
	default:
		b, err := base64.StdEncoding.DecodeString(ci.NetworkDataBase64)
		if err != nil {
			return // cloudInitLimits refuses it
		}
		text, path = string(b), path.Child("networkDataBase64")
	}
	if strings.HasPrefix(text, netconfig.Marker) {
		return // the webhook's own
	}
	nic := netconfig.PodNIC{Index: ifaceIdx, MAC: iface.MacAddress, IPv4: ipv4, IPv6: ipv6}
	for _, msg := range netconfig.Lint(text, nic, ci.key == "cloudInitConfigDrive").Warnings {
		v.warn(path, msg)
	}
}
