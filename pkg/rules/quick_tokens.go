package rules

import (
	"strconv"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// The token readers quickRead is made of. Each reads one value and returns
// ok false to give up; a null reads as absent, as the tree's readers take
// it.

// members reads an object, or a null, calling member for each member's
// name with the decoder at its value, which member must read.
func (q *quickReader) members(member func(name []byte) bool) bool {
	_, ok := q.object(member)
	return ok
}

func (q *quickReader) object(member func(name []byte) bool) (present, ok bool) {
	switch q.d.PeekKind() {
	case 'n':
		_, err := q.d.ReadToken()
		return false, err == nil
	case '{':
	default:
		return false, false
	}
	if _, err := q.d.ReadToken(); err != nil {
		return true, false
	}
	for q.d.PeekKind() != '}' {
		raw, err := q.d.ReadValue()
		if err != nil {
			return true, false
		}
		name := raw[1 : len(raw)-1]
		if !vmspec.Plain(name) || !member(name) {
			return true, false
		}
	}
	_, err := q.d.ReadToken()
	return true, err == nil
}

// elements reads an array, or a null, as list does.
func (q *quickReader) elements(elem func(i int) bool) bool {
	_, ok := q.list(elem)
	return ok
}

// list reads an array, or a null, calling elem with each element's index.
// A null element is left to the tree (mutation leaves such an object
// alone, see specView.nullEntry).
func (q *quickReader) list(elem func(i int) bool) (present, ok bool) {
	switch q.d.PeekKind() {
	case 'n':
		_, err := q.d.ReadToken()
		return false, err == nil
	case '[':
	default:
		return false, false
	}
	if _, err := q.d.ReadToken(); err != nil {
		return true, false
	}
	for i := 0; q.d.PeekKind() != ']'; i++ {
		if q.d.PeekKind() == 'n' || !elem(i) {
			return true, false
		}
	}
	_, err := q.d.ReadToken()
	return true, err == nil
}

func (q *quickReader) str() (s string, present, ok bool) {
	switch q.d.PeekKind() {
	case 'n':
		_, err := q.d.ReadToken()
		return "", false, err == nil
	case '"':
		tok, err := q.d.ReadToken()
		return tok.String(), true, err == nil
	}
	return "", false, false
}

// integer reads a plain integer; 80.0, 8e1 and the like are left to the
// tree, which reads them as vmspec.Int does.
func (q *quickReader) integer() (n int64, present, ok bool) {
	switch q.d.PeekKind() {
	case 'n':
		_, err := q.d.ReadToken()
		return 0, false, err == nil
	case '0':
		raw, err := q.d.ReadValue()
		if err != nil {
			return 0, false, false
		}
		n, err := strconv.ParseInt(string(raw), 10, 64)
		return n, true, err == nil
	}
	return 0, false, false
}

func (q *quickReader) boolean() (b, present, ok bool) {
	switch q.d.PeekKind() {
	case 'n':
		_, err := q.d.ReadToken()
		return false, false, err == nil
	case 't', 'f':
		tok, err := q.d.ReadToken()
		return err == nil && tok.Bool(), true, err == nil
	}
	return false, false, false
}

// skip checks a value's syntax and passes it by.
func (q *quickReader) skip() bool { return q.d.SkipValue() == nil }
