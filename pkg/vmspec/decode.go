package vmspec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

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

// Decode reads one JSON object in a single pass, keeping only the members
// want names (a nil want keeps all): the others are checked for syntax and skipped without being
// built, so what a call allocates follows what its caller reads, not the
// object's size. The values are those encoding/json builds into an any
// with UseNumber ([]any, string, json.Number, bool, nil), but objects as
// *Object rather than map[string]any; with encoding/json's leniency: the last of duplicate names wins, and invalid UTF-8
// reads as U+FFFD. Anything but a single JSON object is an error. The
// reader is the standard library's JSON v2 tokenizer (jsontext); a
// differential fuzz test holds Decode to encoding/json (vmspectest).
func Decode(data []byte, want *Schema) (*Object, error) {
	r := getReader()
	defer r.put()
	r.d.Reset(bytes.NewBuffer(data), decodeOptions...)

	var root *Object
	kind := r.d.PeekKind()
	var err error
	if kind == '{' {
		root, err = r.object(want)
	} else {
		err = r.d.SkipValue()
	}
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %s", reason(err))
	}
	if _, err := r.d.ReadToken(); !errors.Is(err, io.EOF) {
		return nil, errors.New("not valid JSON: data after the top-level value")
	}
	if kind != '{' {
		return nil, fmt.Errorf("must be a JSON object, not %s", kindName(kind))
	}
	return root, nil
}

// The leniency of encoding/json, whose Decode this replaces: the API
// server reads objects with it too.
var decodeOptions = []jsontext.Options{
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
}

// reader is one Decode's state. The members and elements read so far wait
// on two stacks, and each object or array takes exactly its own when it
// ends: one allocation each, rather than one per doubling.
type reader struct {
	d       *jsontext.Decoder
	members []Member
	values  []any
}

// Readers keep their tokenizer's buffers and their stacks between uses.
var readers = sync.Pool{New: func() any { return &reader{d: jsontext.NewDecoder(empty)} }}

func getReader() *reader { return readers.Get().(*reader) }

// put returns r to the pool: its stacks are empty and cleared (see pop),
// so it holds no request's data.
func (r *reader) put() {
	r.d.Reset(empty)
	readers.Put(r)
}

// pop takes a stack back to length n, clearing what it held above.
func pop[T any](stack []T, n int) []T {
	clear(stack[n:])
	return stack[:n]
}

// empty is what a pooled reader's tokenizer reads, so that it holds no
// request's bytes.
var empty = bytes.NewReader(nil)

func (r *reader) object(want *Schema) (*Object, error) {
	if _, err := r.d.ReadToken(); err != nil { // {
		return nil, err
	}
	base := len(r.members)
	defer func() { r.members = pop(r.members, base) }()
	for r.d.PeekKind() != '}' {
		name, err := r.d.ReadValue()
		if err != nil {
			return nil, err
		}
		key, child, keep := lookup(name, want)
		if !keep {
			if err := r.d.SkipValue(); err != nil {
				return nil, err
			}
			continue
		}
		v, err := r.value(child)
		if err != nil {
			return nil, err
		}
		r.members = append(r.members, Member{key, v})
	}
	if _, err := r.d.ReadToken(); err != nil { // }
		return nil, err
	}
	o := &Object{}
	if n := len(r.members) - base; n > 0 {
		o.members = make([]Member, n)
		copy(o.members, r.members[base:])
		o.dedupe()
	}
	return o, nil
}

func (r *reader) value(want *Schema) (any, error) {
	switch r.d.PeekKind() {
	case '{':
		o, err := r.object(want)
		if err != nil {
			return nil, err
		}
		return o, nil
	case '[':
		if _, err := r.d.ReadToken(); err != nil {
			return nil, err
		}
		base := len(r.values)
		defer func() { r.values = pop(r.values, base) }()
		for r.d.PeekKind() != ']' {
			v, err := r.value(want)
			if err != nil {
				return nil, err
			}
			r.values = append(r.values, v)
		}
		if _, err := r.d.ReadToken(); err != nil {
			return nil, err
		}
		list := make([]any, len(r.values)-base)
		copy(list, r.values[base:])
		return list, nil
	case '"':
		tok, err := r.d.ReadToken()
		if err != nil {
			return nil, err
		}
		return tok.String(), nil
	case '0':
		raw, err := r.d.ReadValue()
		if err != nil {
			return nil, err
		}
		return json.Number(raw), nil
	case 't', 'f':
		tok, err := r.d.ReadToken()
		if err != nil {
			return nil, err
		}
		return tok.Bool(), nil
	}
	// null, or the error at this point of the input.
	_, err := r.d.ReadToken()
	return nil, err
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

// kindName names the type of a JSON value of the kind a decoder peeked.
func kindName(k jsontext.Kind) string {
	switch k {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '[':
		return "an array"
	}
	return "an object"
}

// reason says what is wrong with the input and where, in a line of
// bounded length: without the JSON pointer the tokenizer adds, which
// quotes the input's own names.
func reason(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "unexpected end of JSON input"
	}
	var syntax *jsontext.SyntacticError
	if errors.As(err, &syntax) && syntax.Err != nil {
		return fmt.Sprintf("%v (at byte %d)", syntax.Err, syntax.ByteOffset)
	}
	return strings.TrimPrefix(err.Error(), "jsontext: ")
}
