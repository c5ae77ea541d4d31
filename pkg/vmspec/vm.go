package vmspec

// The structs below hold only what the rules read of a VM. Lists hold
// pointers so that a null entry stays at its position, as a nil.

// VM is what the rules read of one object of any of the kinds.
type VM struct {
	*Shape               // the object's kind, and where it keeps its VM spec
	Meta         Meta    // the object's own metadata
	Preference   string  // spec.preference.name of a VM or of a pool's VM template; "" for none
	Spec         *Spec   // the VirtualMachineInstance spec; nil when the object has none
	TemplateMeta []*Meta // the metadata of its templates, outermost first
}

// Meta is what the rules read of an object's metadata.
type Meta struct {
	Name            string            `json:"name"`
	Namespace       string            `json:"namespace"`
	Labels          map[string]string `json:"labels"`
	Annotations     map[string]string `json:"annotations"`
	OwnerReferences []*OwnerReference `json:"ownerReferences"`
}

// OwnerReference is what the rules read of an owner reference.
type OwnerReference struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Controller bool   `json:"controller"`
}

// Spec is a VirtualMachineInstance spec.
type Spec struct {
	Domain   *Domain    `json:"domain"`
	Networks []*Network `json:"networks"`
	Volumes  []*Volume  `json:"volumes"`
}

// Domain is spec.domain.
type Domain struct {
	Devices *Devices `json:"devices"`
}

// Devices is spec.domain.devices.
type Devices struct {
	AutoattachPodInterface *bool        `json:"autoattachPodInterface"`
	Interfaces             []*Interface `json:"interfaces"`
	Disks                  []*Disk      `json:"disks"`
}

// Interface is one of spec.domain.devices.interfaces.
type Interface struct {
	Name       string       `json:"name"`
	Model      string       `json:"model"`      // "" means virtio
	MacAddress string       `json:"macAddress"` // "" for none, as for KubeVirt
	Ports      []Port       `json:"ports"`
	PortRanges []*PortRange `json:"portRanges"`
	// The bindings: an interface names at most one.
	Bridge       *Empty `json:"bridge"`
	Masquerade   *Empty `json:"masquerade"`
	SRIOV        *Empty `json:"sriov"`
	Slirp        *Empty `json:"slirp"`
	Macvtap      *Empty `json:"macvtap"`
	Passt        *Empty `json:"passt"`
	PasstBinding *Empty `json:"passtBinding"`
	Binding      *Empty `json:"binding"`
}

// BindingName names the interface's binding, the first in field order when
// several are set; "" for none.
func (i *Interface) BindingName() string {
	names := [...]string{"bridge", "masquerade", "sriov", "slirp", "macvtap", "passt", "passtBinding", "binding"}
	for j, set := range [...]*Empty{i.Bridge, i.Masquerade, i.SRIOV, i.Slirp, i.Macvtap, i.Passt, i.PasstBinding, i.Binding} {
		if set != nil {
			return names[j]
		}
	}
	return ""
}

// Port is one of an interface's ports; 0 when absent or null.
type Port struct {
	Port     Int    `json:"port"`
	Protocol string `json:"protocol"` // "" means TCP
}

// PortRange is one of an interface's portRanges; a bound is nil when absent.
type PortRange struct {
	Start    *Int   `json:"start"`
	End      *Int   `json:"end"`
	Protocol string `json:"protocol"`
}

// Network is one of spec.networks.
type Network struct {
	Name string      `json:"name"`
	Pod  *PodNetwork `json:"pod"`
}

// PodNetwork is a network's pod source; a CIDR is "" for KubeVirt's default.
type PodNetwork struct {
	VMNetworkCIDR     string `json:"vmNetworkCIDR"`
	VMIPv6NetworkCIDR string `json:"vmIPv6NetworkCIDR"`
}

// Disk is one of spec.domain.devices.disks.
type Disk struct {
	Name string `json:"name"`
}

// Volume is one of spec.volumes.
type Volume struct {
	Name                 string     `json:"name"`
	CloudInitNoCloud     *CloudInit `json:"cloudInitNoCloud"`
	CloudInitConfigDrive *CloudInit `json:"cloudInitConfigDrive"`
}

// CloudInit is a cloudInitNoCloud or cloudInitConfigDrive source. Inline
// network data is "" when absent, as KubeVirt reads it.
type CloudInit struct {
	NetworkData          string `json:"networkData"`
	NetworkDataBase64    string `json:"networkDataBase64"`
	NetworkDataSecretRef *Empty `json:"networkDataSecretRef"`
}

// Empty is an object whose members the rules do not read.
type Empty struct{}
