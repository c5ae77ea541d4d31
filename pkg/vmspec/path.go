package vmspec

import (
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Pointer is a JSON Pointer (RFC 6901) built token by token.
type Pointer string

// PointerTo builds a pointer from object keys.
func PointerTo(keys ...string) Pointer {
	var p Pointer
	for _, k := range keys {
		p = p.Key(k)
	}
	return p
}

var tokenEscaper = strings.NewReplacer("~", "~0", "/", "~1")

// Key appends an object member name, escaping ~ and /.
func (p Pointer) Key(k string) Pointer {
	if strings.ContainsAny(k, "~/") {
		k = tokenEscaper.Replace(k)
	}
	return p + "/" + Pointer(k)
}

// Index appends an array index.
func (p Pointer) Index(i int) Pointer {
	return p + "/" + Pointer(strconv.Itoa(i))
}

// String returns the pointer text.
func (p Pointer) String() string { return string(p) }

// FieldPath builds the field path for object keys, e.g. spec.template.spec.
func FieldPath(keys ...string) *field.Path {
	if len(keys) == 0 {
		return nil
	}
	return field.NewPath(keys[0], keys[1:]...)
}
