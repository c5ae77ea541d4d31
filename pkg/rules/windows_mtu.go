package rules

import (
	"strings"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// Windows MTU: the Windows DHCP client does not read the MTU, and only
// VirtIO NICs learn it from libvirt, so a Windows guest with another model
// on the pod network keeps 1500 until someone sets it with netsh. Only a
// warning: the VM works, just not with jumbo frames.
func windowsMTU(v *validation) {
	if !v.obj.windows {
		return
	}
	for i, iface := range devices(v.spec).Interfaces {
		if iface != nil && iface.Model != "" && iface.Model != "virtio" && (v.masquerade(iface) || v.onPod(iface)) {
			v.warn(v.obj.ifacePath(i).Child("model"), "without virtio, Windows ignores the DHCP MTU; set it with netsh")
		}
	}
}

// marksWindows reports whether a label or annotation of md marks a Windows
// guest, as the common templates and preferences leave them.
func marksWindows(md *vmspec.Meta) bool {
	for _, set := range []map[string]string{md.Labels, md.Annotations} {
		for k, val := range set {
			if (k == "vm.kubevirt.io/os" || k == "kubevirt.io/os") && hasPrefixFold(val, "win") ||
				k == "vm.kubevirt.io/template" && hasPrefixFold(val, "windows") ||
				hasPrefixFold(k, "os.template.kubevirt.io/win") && val != "false" {
				return true
			}
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
