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
	return o.windowsMeta || hasPrefixFold(o.preference, "windows")
}

// marksWindows says whether a label or annotation marks a Windows guest.
func marksWindows(k, val string) bool {
	switch {
	case k == "vm.kubevirt.io/os" || k == "kubevirt.io/os":
		return hasPrefixFold(val, "win")
	case k == "vm.kubevirt.io/template":
		return hasPrefixFold(val, "windows")
	case hasPrefixFold(k, "os.template.kubevirt.io/win"):
		return val != "false"
	}
	return false
}

// guestOSKey says whether a label or annotation named k is one that
// marksWindows reads.
func guestOSKey(k string) bool {
	return k == "vm.kubevirt.io/os" || k == "kubevirt.io/os" || k == "vm.kubevirt.io/template" ||
		hasPrefixFold(k, "os.template.kubevirt.io/win")
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
