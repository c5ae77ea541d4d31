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

// mutation is one Mutate call's state. Rules read the spec's view and
// change it as they patch, so that each rule sees the spec as patched so
// far and the operations apply in order.
type mutation struct {
	cfg      config.Config
	obj      *object
	spec     *vmspec.Spec
	uid      string
	ops      []jsonpatch.Operation
	warnings []string
}

func (m *mutation) warn(path *field.Path, msg string) {
	m.warnings = append(m.warnings, m.obj.fit(path.String(), msg)...)
}

// add adds the member at ptr, or replaces a null there.
func (m *mutation) add(ptr jsontext.Pointer, value any) {
	if m.ops == nil {
		m.ops = make([]jsonpatch.Operation, 0, 6) // room for a bare VM's patch
	}
	m.ops = append(m.ops, jsonpatch.Operation{Operation: "add", Path: string(ptr), Value: value})
}

// replace replaces the member at ptr, which is present.
func (m *mutation) replace(ptr jsontext.Pointer, value any) {
	m.ops = append(m.ops, jsonpatch.Operation{Operation: "replace", Path: string(ptr), Value: value})
}

// push appends value to the spec's list (a suffix such as networksPtr),
// which has n entries, or adds the list when it is absent or null (present
// false). A list under domain.devices adds devices when that is absent, and
// to the spec read, so that later rules see it; the caller has checked that
// domain is there.
func (m *mutation) push(list jsontext.Pointer, present bool, n int, value any) {
	name, underDevices := strings.CutPrefix(string(list), devicesPtr+"/")
	switch {
	case present:
		m.add(m.obj.at(list, n, ""), value)
	case underDevices && m.spec.Domain.Devices == nil:
		m.add(m.obj.SpecPtr+devicesPtr, map[string]any{name: []any{value}})
		m.spec.Domain.Devices = &vmspec.Devices{}
	default:
		m.add(m.obj.SpecPtr+list, []any{value})
	}
}

// Where mutation writes, from the VM spec.
const (
	devicesPtr    = "/domain/devices"
	interfacesPtr = devicesPtr + "/interfaces"
	disksPtr      = devicesPtr + "/disks"
	networksPtr   = "/networks"
	volumesPtr    = "/volumes"
)

// at is the pointer to member (a suffix such as "/macAddress", or "") of
// entry i of the spec's list, made in one concatenation: the names the
// rules write need no escaping.
func (o *object) at(list jsontext.Pointer, i int, member jsontext.Pointer) jsontext.Pointer {
	return o.SpecPtr + list + "/" + jsontext.Pointer(strconv.Itoa(i)) + member
}
