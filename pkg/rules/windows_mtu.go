package rules

import "strings"

// Windows MTU: the Windows DHCP client does not read the MTU, and only
// VirtIO NICs learn it from libvirt, so a Windows guest with another model
// on the pod network keeps 1500 until someone sets it with netsh. Only a
// warning: the VM works, just not with jumbo frames.
func windowsMTU(v *validation) {
	if !v.obj.windows() {
		return
	}
	for _, iv := range v.spec.ifaces {
		if iv.model == "" || iv.model == "virtio" {
			continue
		}
		if !v.masquerade(iv) && !v.onPod(iv) {
			continue
		}
		v.warn(v.ifacePath(iv).Child("model"), "without virtio, Windows ignores the DHCP MTU; set it with netsh")
	}
}

// windows recognises a Windows guest by the markers the common templates
// and preferences leave, on the object and on its templates' metadata.
func (o *object) windows() bool {
	if hasPrefixFold(o.preference, "windows") {
		return true
	}
	for _, m := range o.meta {
		for k, val := range m {
			switch {
			case k == "vm.kubevirt.io/os" || k == "kubevirt.io/os":
				if hasPrefixFold(val, "win") {
					return true
				}
			case k == "vm.kubevirt.io/template":
				if hasPrefixFold(val, "windows") {
					return true
				}
			case hasPrefixFold(k, "os.template.kubevirt.io/win"):
				if val != "false" {
					return true
				}
			}
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
