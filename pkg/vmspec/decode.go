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

// Decode reads one JSON object in a single pass, keeping only the members
// want names (a nil want keeps all): the others are checked for syntax and
// skipped without being built, so what a call allocates follows what its
// caller reads, not the object's size. The values are those encoding/json
// builds into an any with UseNumber ([]any, string, json.Number, bool,
// nil), objects aside: *Object rather than map[string]any. The leniency is
// encoding/json's too: the last of duplicate names wins, and invalid UTF-8
// reads as U+FFFD. Anything but a single JSON object is an error. The
// reader is JSON v2's tokenizer (jsontext); a differential fuzz test holds
// Decode to encoding/json (vmspectest).
func Decode(data []byte, want *Schema) (*Object, error) {
	r := readers.Get().(*reader)
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

// Options are the tokenizer options Decode reads with, for other readers of
// objects (the rules' quick reader) to read alike.
func Options() []jsontext.Options { return decodeOptions }

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
	// objects and slab hand out this call's objects and their members a
	// chunk at a time, rather than two allocations an object. They belong
	// to the objects returned, never to the next call.
	objects []Object
	slab    []Member
}

// Readers keep their tokenizer's buffers and their stacks between uses.
var readers = sync.Pool{New: func() any { return &reader{d: jsontext.NewDecoder(empty)} }}

// put returns r to the pool: its stacks are empty and cleared (see pop),
// so it holds no request's data.
func (r *reader) put() {
	r.d.Reset(empty)
	r.objects, r.slab = nil, nil
	readers.Put(r)
}

// chunk is how many objects, or members, a slab allocation holds.
const chunk = 16

// newObject returns an object holding a copy of members.
func (r *reader) newObject(members []Member) *Object {
	if len(r.objects) == 0 {
		r.objects = make([]Object, chunk)
	}
	o := &r.objects[0]
	r.objects = r.objects[1:]
	n := len(members)
	if n == 0 {
		return o
	}
	if n > len(r.slab) {
		if n > chunk/2 {
			o.members = append([]Member(nil), members...)
			return o
		}
		r.slab = make([]Member, chunk)
	}
	o.members = r.slab[:n:n] // capped: a member added later reallocates
	r.slab = r.slab[n:]
	copy(o.members, members)
	return o
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
	o := r.newObject(r.members[base:])
	o.dedupe()
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
