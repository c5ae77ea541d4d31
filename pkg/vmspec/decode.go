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
// with UseNumber (map[string]any, []any, string, json.Number, bool, nil),
// with its leniency: the last of duplicate names wins, and invalid UTF-8
// reads as U+FFFD. Anything but a single JSON object is an error. The
// reader is the standard library's JSON v2 tokenizer (jsontext); a
// differential fuzz test holds Decode to encoding/json (vmspectest).
func Decode(data []byte, want *Schema) (map[string]any, error) {
	d := decoders.Get().(*jsontext.Decoder)
	defer func() {
		d.Reset(empty)
		decoders.Put(d)
	}()
	d.Reset(bytes.NewBuffer(data), decodeOptions...)

	var root map[string]any
	kind := d.PeekKind()
	var err error
	if kind == '{' {
		root, err = readObject(d, want)
	} else {
		err = d.SkipValue()
	}
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %s", reason(err))
	}
	if _, err := d.ReadToken(); !errors.Is(err, io.EOF) {
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

// A decoder keeps buffers for its state between uses.
var decoders = sync.Pool{New: func() any { return jsontext.NewDecoder(empty) }}

// empty is what a pooled decoder reads, so that it holds no request's
// bytes.
var empty = bytes.NewReader(nil)

func readObject(d *jsontext.Decoder, want *Schema) (map[string]any, error) {
	if _, err := d.ReadToken(); err != nil { // {
		return nil, err
	}
	m := map[string]any{}
	for d.PeekKind() != '}' {
		name, err := d.ReadValue()
		if err != nil {
			return nil, err
		}
		key, child, keep := lookup(name, want)
		if !keep {
			if err := d.SkipValue(); err != nil {
				return nil, err
			}
			continue
		}
		v, err := readValue(d, child)
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
	if _, err := d.ReadToken(); err != nil { // }
		return nil, err
	}
	return m, nil
}

func readValue(d *jsontext.Decoder, want *Schema) (any, error) {
	switch d.PeekKind() {
	case '{':
		return readObject(d, want)
	case '[':
		if _, err := d.ReadToken(); err != nil {
			return nil, err
		}
		list := []any{}
		for d.PeekKind() != ']' {
			v, err := readValue(d, want)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err := d.ReadToken()
		return list, err
	case '"':
		tok, err := d.ReadToken()
		if err != nil {
			return nil, err
		}
		return tok.String(), nil
	case '0':
		raw, err := d.ReadValue()
		if err != nil {
			return nil, err
		}
		return json.Number(raw), nil
	case 't', 'f':
		tok, err := d.ReadToken()
		if err != nil {
			return nil, err
		}
		return tok.Bool(), nil
	}
	// null, or the error at this point of the input.
	_, err := d.ReadToken()
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
