package vmspec

import "github.com/go-json-experiment/json/jsontext"

// Fields names the members of a JSON object to keep, each with the Fields
// of its own value; a nil Fields keeps a value whole. The Fields of a
// member apply to every element when its value is an array. Scalars are
// kept as they are, so a value of the wrong type stays visible.
type Fields map[string]Fields

// Whole keeps a value whole, e.g. labels: Fields{"labels": Whole}.
var Whole Fields

// Schema is Fields made ready for Decode, once: see Compile.
type Schema struct {
	// members are searched in turn: schemas name a handful of members, and
	// comparing a few names costs less than hashing one.
	members []member
}

type member struct {
	// name is the member's name, kept once here rather than allocated for
	// every object decoded.
	name   string
	schema *Schema // nil keeps the value whole
}

// Compile makes want ready for Decode. A nil Fields gives a nil Schema,
// which keeps everything.
func Compile(want Fields) *Schema {
	if want == nil {
		return nil
	}
	s := &Schema{members: make([]member, 0, len(want))}
	for name, f := range want {
		s.members = append(s.members, member{name: name, schema: Compile(f)})
	}
	return s
}

// lookup says whether the object member named by the raw JSON string name
// is kept, under which key, and with which Schema.
func lookup(name jsontext.Value, want *Schema) (key string, child *Schema, keep bool) {
	raw := name[1 : len(name)-1]
	if !Plain(raw) {
		// Escapes or non-ASCII; invalid UTF-8 comes back as U+FFFD.
		unquoted, _ := jsontext.AppendUnquote(nil, name)
		raw = unquoted
	}
	if want == nil {
		return string(raw), nil, true
	}
	// Compared without converting raw to a string first: no allocation
	// for the names that are skipped, nor for those kept.
	for _, m := range want.members {
		if m.name == string(raw) {
			return m.name, m.schema, true
		}
	}
	return "", nil, false
}

// Plain says whether the raw bytes of a JSON string, quotes aside, are its
// value: ASCII, no escapes.
func Plain(raw []byte) bool {
	for _, c := range raw {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}
