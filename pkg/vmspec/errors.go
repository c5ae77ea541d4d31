package vmspec

import (
	"bytes"
	"cmp"
	"errors"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Whole is the field path of an error about the object as a whole: missing,
// not JSON, or not an object.
const Whole = "object"

var wholePath = field.NewPath(Whole)

// readError turns the decoder's error into the field error a user reads:
// about the bytes as a whole, or about the first member the rules read that
// has the wrong type, by its field path and value, as the API server would
// name them (spec.template.spec.domain.devices.interfaces[0].ports[0].port).
func readError(raw []byte, err error) *field.Error {
	var se *json.SemanticError
	if !errors.As(err, &se) {
		return field.Invalid(wholePath, field.OmitValueType{}, "not valid JSON: "+strings.TrimPrefix(err.Error(), "jsontext: "))
	}
	var value jsontext.Value // the refused one, which starts where the error is
	if se.ByteOffset >= 0 && se.ByteOffset <= int64(len(raw)) {
		value, _ = jsontext.NewDecoder(bytes.NewReader(raw[se.ByteOffset:])).ReadValue()
	}
	if se.JSONPointer == "" {
		return field.Invalid(wholePath, field.OmitValueType{}, "must be a JSON object, not "+kindName(value))
	}
	detail := "must be " + wantName(se.GoType)
	var bad any = field.OmitValueType{}
	switch kind := kindName(value); kind {
	case "a string":
		s, _ := strconv.Unquote(string(value))
		bad = Clip(s)
	case "a boolean":
		bad = value[0] == 't'
	case "a number":
		bad = Clip(string(value))
		if se.GoType != reflect.TypeFor[Int]() {
			detail += ", not a number"
		}
	default:
		detail += ", not " + kind
	}
	return field.Invalid(pathOf(se.JSONPointer), bad, detail)
}

// wantName names the JSON the Go type t takes.
func wantName(t reflect.Type) string {
	if t == reflect.TypeFor[Int]() {
		return "an integer"
	} else if t == nil {
		return "an object"
	}
	return cmp.Or(wants[t.Kind()], "an object")
}

func kindName(v jsontext.Value) string { return cmp.Or(kindNames[v.Kind()], "null") }

// The JSON a message names for a Go kind, and for a JSON kind.
var (
	wants     = map[reflect.Kind]string{reflect.String: "a string", reflect.Bool: "a boolean", reflect.Slice: "an array"}
	kindNames = map[jsontext.Kind]string{'"': "a string", '0': "a number", 't': "a boolean", 'f': "a boolean", '{': "an object", '[': "an array"}
)

// pathOf turns a JSON pointer into a field path; the members of labels and
// annotations are keys (labels[vm.kubevirt.io/os]).
func pathOf(ptr jsontext.Pointer) *field.Path {
	var p *field.Path
	keys := false
	for tok := range ptr.Tokens() {
		i, err := strconv.Atoi(tok)
		switch {
		case p == nil:
			p = field.NewPath(tok)
		case keys:
			p = p.Key(tok)
		case err == nil:
			p = p.Index(i)
		default:
			p = p.Child(tok)
		}
		keys = tok == "labels" || tok == "annotations"
	}
	return p
}

// Clip keeps a bad value short enough to quote in a message.
func Clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return strings.ToValidUTF8(s[:max], "") + "..."
}
