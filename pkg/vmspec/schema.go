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
	members map[string]member
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
	s := &Schema{members: make(map[string]member, len(want))}
	for name, f := range want {
		s.members[name] = member{name: name, schema: Compile(f)}
	}
	return s
}

// lookup says whether the object member named by the raw JSON string name
// is kept, under which key, and with which Schema.
func lookup(name jsontext.Value, want *Schema) (key string, child *Schema, keep bool) {
	raw := name[1 : len(name)-1]
	if !plain(raw) {
		// Escapes or non-ASCII; invalid UTF-8 comes back as U+FFFD.
		unquoted, _ := jsontext.AppendUnquote(nil, name)
		raw = unquoted
	}
	if want == nil {
		return string(raw), nil, true
	}
	// Looked up without converting raw to a string first: no allocation
	// for the names that are skipped, nor for those kept.
	m, keep := want.members[string(raw)]
	return m.name, m.schema, keep
}

// plain says whether a name's raw bytes are its value: ASCII, no escapes.
func plain(raw []byte) bool {
	for _, c := range raw {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}
