package vmspec

import (
	"bytes"
	"errors"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The objects of each kind, down to the parts the rules read.
type (
	vmObject struct {
		Metadata Meta    `json:"metadata"`
		Spec     *vmSpec `json:"spec"`
	}
	vmSpec struct {
		Preference *preference `json:"preference"`
		Template   *template   `json:"template"`
	}
	preference struct {
		Name string `json:"name"`
	}
	template struct {
		Metadata *Meta `json:"metadata"`
		Spec     *Spec `json:"spec"`
	}
	vmiObject struct {
		Metadata Meta  `json:"metadata"`
		Spec     *Spec `json:"spec"`
	}
	replicaSetObject struct {
		Metadata Meta            `json:"metadata"`
		Spec     *replicaSetSpec `json:"spec"`
	}
	replicaSetSpec struct {
		Template *template `json:"template"`
	}
	poolObject struct {
		Metadata Meta      `json:"metadata"`
		Spec     *poolSpec `json:"spec"`
	}
	poolSpec struct {
		VirtualMachineTemplate *vmTemplate `json:"virtualMachineTemplate"`
	}
	vmTemplate struct {
		Metadata *Meta   `json:"metadata"`
		Spec     *vmSpec `json:"spec"`
	}
)

// replace makes a JSON object decoded into a T replace what an earlier
// member of the same name left there, rather than merge into it: the API
// server keeps the last of duplicate names whole.
func replace[T any]() *json.Unmarshalers {
	return json.UnmarshalFromFunc(func(_ *jsontext.Decoder, v *T) error {
		var zero T
		*v = zero
		return errors.ErrUnsupported
	})
}

// options read an object as the API server does: names matched case
// sensitively, the last of duplicate names kept whole, invalid UTF-8 read
// as U+FFFD; members the structs do not name are skipped unread.
var options = json.JoinOptions(
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
	json.WithUnmarshalers(json.JoinUnmarshalers(
		replace[Meta](), replace[map[string]string](), replace[OwnerReference](),
		replace[Spec](), replace[Domain](), replace[Devices](), replace[Interface](), replace[Port](),
		replace[PortRange](), replace[Network](), replace[PodNetwork](), replace[Disk](),
		replace[Volume](), replace[CloudInit](),
		replace[vmSpec](), replace[preference](), replace[template](), replace[replicaSetSpec](),
		replace[poolSpec](), replace[vmTemplate](),
	)),
)

// Read reads what the rules read of an object of the kind gk, which
// ShapeOf knows. What cannot be read gets the field error a user reads: at
// Whole for a missing object or bytes that are not one JSON object, else at
// the first member the rules read that has the wrong type.
func Read(gk schema.GroupKind, raw []byte) (*VM, *field.Error) {
	shape, ok := ShapeOf(gk)
	if !ok {
		return nil, field.NotSupported[string](wholePath, gk.String(), nil)
	}
	if t := bytes.TrimSpace(raw); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return nil, field.Required(wholePath, "the request carries no object")
	}
	vm, err := read(shape, raw, func(raw []byte, v any) error { return json.Unmarshal(raw, v, options) })
	if err != nil {
		return nil, readError(raw, err)
	}
	return vm, nil
}

// read decodes raw with unmarshal into the object of the shape's kind and
// keeps what the rules read. The tests hand it the API server's decoder.
func read(shape Shape, raw []byte, unmarshal func([]byte, any) error) (*VM, error) {
	vm := &VM{Kind: shape.Kind}
	var err error
	switch shape.Kind {
	case "VirtualMachine":
		var o vmObject
		err = unmarshal(raw, &o)
		vm.Meta = o.Metadata
		vm.readVMSpec(o.Spec)
	case "VirtualMachineInstance":
		var o vmiObject
		err = unmarshal(raw, &o)
		vm.Meta, vm.Spec = o.Metadata, o.Spec
	case "VirtualMachineInstanceReplicaSet":
		var o replicaSetObject
		err = unmarshal(raw, &o)
		vm.Meta = o.Metadata
		if o.Spec != nil {
			vm.readTemplate(o.Spec.Template)
		}
	case "VirtualMachinePool":
		var o poolObject
		err = unmarshal(raw, &o)
		vm.Meta = o.Metadata
		if o.Spec != nil && o.Spec.VirtualMachineTemplate != nil {
			vm.TemplateMeta = append(vm.TemplateMeta, o.Spec.VirtualMachineTemplate.Metadata)
			vm.readVMSpec(o.Spec.VirtualMachineTemplate.Spec)
		}
	}
	return vm, err
}

func (vm *VM) readVMSpec(s *vmSpec) {
	if s == nil {
		return
	}
	if s.Preference != nil {
		vm.Preference = s.Preference.Name
	}
	vm.readTemplate(s.Template)
}

func (vm *VM) readTemplate(t *template) {
	if t == nil {
		return
	}
	vm.TemplateMeta = append(vm.TemplateMeta, t.Metadata)
	vm.Spec = t.Spec
}
