package rules

import (
	"strconv"

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
	m.warnings = append(m.warnings, m.obj.fit(path.String(), msg))
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

// push appends value to the list at ptr, which has n entries, or adds the
// list when it is absent or null (present false).
func (m *mutation) push(ptr jsontext.Pointer, present bool, n int, value any) {
	if !present {
		m.add(ptr, []any{value})
		return
	}
	m.add(at(ptr, n), value)
}

// pushDevice appends value to domain.devices[list], which has n entries,
// adding devices itself when it is absent (and to the spec read, so that
// later rules see it). The caller has checked that domain is there.
func (m *mutation) pushDevice(list string, present bool, n int, value any) {
	if m.spec.Domain.Devices == nil {
		m.add(m.obj.SpecPtr+devicesPtr, map[string]any{list: []any{value}})
		m.spec.Domain.Devices = &vmspec.Devices{}
		return
	}
	m.push(m.obj.SpecPtr+devicesPtr+"/"+jsontext.Pointer(list), present, n, value)
}

// Where mutation writes, from the VM spec.
const (
	devicesPtr    = "/domain/devices"
	interfacesPtr = devicesPtr + "/interfaces"
	networksPtr   = "/networks"
	volumesPtr    = "/volumes"
)

// at is the pointer to the entry at index i of the list at ptr. The rules
// extend pointers by concatenation: the member names they write need no
// escaping.
func at(ptr jsontext.Pointer, i int) jsontext.Pointer {
	return ptr + "/" + jsontext.Pointer(strconv.Itoa(i))
}
