package rules

import (
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
	"gomodules.xyz/jsonpatch/v2"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// mutation is one Mutate call's state. Rules change the object only through
// the methods below, which patch it and make the same change to the spec as
// read, so that each rule reads the object as patched so far.
type mutation struct {
	cfg      config.Config
	obj      object
	spec     *vmspec.Spec
	uid      string
	ops      []jsonpatch.Operation
	warnings []string
}

func (m *mutation) warn(path *field.Path, msg string) {
	m.warnings = append(m.warnings, m.obj.fit(path.String(), msg)...)
}

// setMasquerade, setMAC and setIPv6CIDR add to interface or pod network i
// a member it lacks: masquerade, a MAC address, an IPv6 CIDR.
func (m *mutation) setMasquerade(i int) {
	m.patch("add", m.obj.at(interfacesPtr, i, "/masquerade"), struct{}{})
	m.spec.Domain.Devices.Interfaces[i].Masquerade = &vmspec.Empty{}
}
func (m *mutation) setMAC(i int, mac string) {
	m.patch("add", m.obj.at(interfacesPtr, i, "/macAddress"), mac)
	m.spec.Domain.Devices.Interfaces[i].MacAddress = mac
}
func (m *mutation) setIPv6CIDR(i int, cidr string) {
	m.patch("add", m.obj.at(networksPtr, i, "/pod/vmIPv6NetworkCIDR"), cidr)
	m.spec.Networks[i].Pod.VMIPv6NetworkCIDR = cidr
}

// setNetworkData sets the networkData of ci, the cloud-init source of volume
// i: it adds the member when ci has none, and replaces it otherwise.
func (m *mutation) setNetworkData(i int, ci cloudInitSource, text string) {
	op := "add"
	if ci.NetworkData != "" {
		op = "replace"
	}
	m.patch(op, m.obj.at(volumesPtr, i, "/"+jsontext.Pointer(ci.key)+"/networkData"), text)
	ci.NetworkData = text
}

// addPodNIC adds KubeVirt's default interface and network, bound by
// masquerade. The caller has checked that domain is there.
func (m *mutation) addPodNIC() {
	view := &struct { // one allocation
		iface vmspec.Interface
		net   vmspec.Network
		pod   vmspec.PodNetwork
	}{iface: vmspec.Interface{Name: "default", Masquerade: &vmspec.Empty{}}}
	view.net = vmspec.Network{Name: "default", Pod: &view.pod}
	push(m, interfacesPtr, interfaces, podInterfaceJSON, &view.iface)
	push(m, networksPtr, networks, podNetworkJSON, &view.net)
}

// The entries addPodNIC adds, as patch values.
var (
	podInterfaceJSON any = jsontext.Value(`{"masquerade":{},"name":"default"}`)
	podNetworkJSON   any = jsontext.Value(`{"name":"default","pod":{}}`)
)

// addNoCloud adds a NoCloud volume that holds networkData, and a virtio disk
// for it, both named name. The caller has checked that domain is there.
func (m *mutation) addNoCloud(name, networkData string) {
	// One allocation holds the patch values (fields in name order, as a
	// map's) and the entries of the view.
	c := &struct {
		vol struct {
			CloudInitNoCloud struct {
				NetworkData string `json:"networkData"`
			} `json:"cloudInitNoCloud"`
			Name string `json:"name"`
		}
		disk struct {
			Disk struct {
				Bus string `json:"bus"`
			} `json:"disk"`
			Name string `json:"name"`
		}
		viewVol  vmspec.Volume
		viewCI   vmspec.CloudInit
		viewDisk vmspec.Disk
	}{}
	c.vol.Name, c.vol.CloudInitNoCloud.NetworkData = name, networkData
	c.disk.Name, c.disk.Disk.Bus = name, "virtio"
	c.viewCI.NetworkData, c.viewDisk.Name = networkData, name
	c.viewVol = vmspec.Volume{Name: name, CloudInitNoCloud: &c.viewCI}
	push(m, volumesPtr, volumes, &c.vol, &c.viewVol)
	push(m, disksPtr, disks, &c.disk, &c.viewDisk)
}

// push appends value to the spec's list, adding the list (or devices) when
// absent or null, and entry to the list as read.
func push[T any](m *mutation, list jsontext.Pointer, entries func(*vmspec.Spec) *[]*T, value any, entry *T) {
	name, underDevices := strings.CutPrefix(string(list), devicesPtr+"/")
	switch {
	case underDevices && m.spec.Domain.Devices == nil:
		m.patch("add", m.obj.SpecPtr+devicesPtr, map[string]any{name: []any{value}})
		m.spec.Domain.Devices = &vmspec.Devices{}
	case *entries(m.spec) != nil:
		m.patch("add", m.obj.at(list, len(*entries(m.spec)), ""), value)
	default:
		m.patch("add", m.obj.SpecPtr+list, []any{value})
	}
	*entries(m.spec) = append(*entries(m.spec), entry)
}

// The lists push appends to.
func interfaces(s *vmspec.Spec) *[]*vmspec.Interface { return &s.Domain.Devices.Interfaces }
func disks(s *vmspec.Spec) *[]*vmspec.Disk           { return &s.Domain.Devices.Disks }
func networks(s *vmspec.Spec) *[]*vmspec.Network     { return &s.Networks }
func volumes(s *vmspec.Spec) *[]*vmspec.Volume       { return &s.Volumes }

// patch appends one operation to the patch; only the methods above call it.
func (m *mutation) patch(op string, ptr jsontext.Pointer, value any) {
	if m.ops == nil {
		m.ops = make([]jsonpatch.Operation, 0, 6) // room for a bare VM's patch
	}
	m.ops = append(m.ops, jsonpatch.Operation{Operation: op, Path: string(ptr), Value: value})
}

// Where mutation writes, from the VM spec.
const (
	devicesPtr    = "/domain/devices"
	interfacesPtr = devicesPtr + "/interfaces"
	disksPtr      = devicesPtr + "/disks"
	networksPtr   = "/networks"
	volumesPtr    = "/volumes"
)

// at returns the pointer to member ("/macAddress", or "") of entry i of the
// spec's list; the names the rules write need no escaping.
func (o *object) at(list jsontext.Pointer, i int, member jsontext.Pointer) jsontext.Pointer {
	return o.SpecPtr + list + "/" + jsontext.Pointer(strconv.Itoa(i)) + member
}
