package vmspec

import (
	"bytes"
	stdjson "encoding/json"
	"errors"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
)

// object is an object or a template of one: metadata M, and a spec S that
// leads to the VM spec. Each kind nests them as it does (see read).
type object[M, S any] struct {
	Metadata M  `json:"metadata"`
	Spec     *S `json:"spec"`
}

// vmSpec is what the rules read of a VirtualMachine's spec.
type vmSpec struct {
	Preference *struct {
		Name string `json:"name"`
	} `json:"preference"`
	Template *object[*Meta, Spec] `json:"template"`
}

// options read an object as the API server does: names matched case
// sensitively, invalid UTF-8 read as U+FFFD. A name given twice is an error
// with them; Read then calls canonical.
var options = jsontext.AllowInvalidUTF8(true)

// canonical is the object as the API server reads it when names repeat
// (sigs.k8s.io/json into a map, the last value winning whole), written out
// again. Read calls it only then, as it costs more than reading.
func canonical(raw []byte) ([]byte, error) {
	var m map[string]any
	if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, &m); err != nil {
		return nil, err
	}
	return stdjson.Marshal(m)
}

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
	unmarshal := func(raw []byte, v any) error { return json.Unmarshal(raw, v, options) }
	vm, err := read(shape, raw, unmarshal)
	// When a name appears twice, the error may be about the first value,
	// which the API server discards for the second: read again what it reads.
	if err != nil && !jsontext.Value(raw).IsValid(options) {
		switch c, cerr := canonical(raw); {
		case cerr == nil:
			raw = c
			vm, err = read(shape, raw, unmarshal)
		case errors.Is(err, jsontext.ErrDuplicateName):
			err = cerr // what is wrong past the name given twice
		}
	}
	if err != nil {
		return nil, readError(raw, err)
	}
	return vm, nil
}

// read decodes raw with unmarshal into the object of the shape's kind and
// keeps what the rules read. The tests hand it the API server's decoder.
func read(shape *Shape, raw []byte, unmarshal func([]byte, any) error) (*VM, error) {
	vm := &VM{Shape: shape}
	var err error
	switch shape.Kind {
	case "VirtualMachine":
		var o object[Meta, vmSpec]
		err = unmarshal(raw, &o)
		vm.Meta = o.Metadata
		vm.readVMSpec(o.Spec)
	case "VirtualMachineInstance":
		var o object[Meta, Spec]
		err = unmarshal(raw, &o)
		vm.Meta, vm.Spec = o.Metadata, o.Spec
	case "VirtualMachineInstanceReplicaSet":
		var o object[Meta, struct {
			Template *object[*Meta, Spec] `json:"template"`
		}]
		err = unmarshal(raw, &o)
		vm.Meta = o.Metadata
		if o.Spec != nil {
			vm.readTemplate(o.Spec.Template)
		}
	case "VirtualMachinePool":
		var o object[Meta, struct {
			VirtualMachineTemplate *object[*Meta, vmSpec] `json:"virtualMachineTemplate"`
		}]
		err = unmarshal(raw, &o)
		vm.Meta = o.Metadata
		if t := o.Spec; t != nil && t.VirtualMachineTemplate != nil {
			vm.TemplateMeta = append(vm.TemplateMeta, t.VirtualMachineTemplate.Metadata)
			vm.readVMSpec(t.VirtualMachineTemplate.Spec)
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

func (vm *VM) readTemplate(t *object[*Meta, Spec]) {
	if t != nil {
		vm.TemplateMeta = append(vm.TemplateMeta, t.Metadata)
		vm.Spec = t.Spec
	}
}
