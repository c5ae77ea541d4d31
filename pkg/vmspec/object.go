package vmspec

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Object is a decoded JSON object: its members, each name once. It stands
// where encoding/json would build a map[string]any: a few members in a
// slice cost a third of a map's memory, and the rules look up names among
// a handful.
type Object struct {
	members []Member
}

// Member is one name and its decoded value.
type Member struct {
	Name  string
	Value any
}

// FromMaps copies a value made of maps, arrays and scalars, as
// encoding/json builds one with UseNumber, into the decoded form, every
// map[string]any an *Object: the tests' reference decoder is built on it.
// Any other type is a programming error, and panics naming it.
func FromMaps(v any) any {
	switch t := v.(type) {
	case map[string]any:
		o := &Object{members: make([]Member, 0, len(t))}
		for k, e := range t {
			o.members = append(o.members, Member{k, FromMaps(e)})
		}
		return o
	case []any:
		c := make([]any, len(t))
		for i, e := range t {
			c[i] = FromMaps(e)
		}
		return c
	case nil, string, bool, json.Number:
		return v
	}
	panic(fmt.Sprintf("vmspec.FromMaps: %T is not a decoded JSON value", v))
}

// Get returns the value of the member name, nil when there is none (as for
// JSON null). A nil Object has no members.
func (o *Object) Get(name string) any {
	if o == nil {
		return nil
	}
	for i := range o.members {
		if o.members[i].Name == name {
			return o.members[i].Value
		}
	}
	return nil
}

// Len is the number of members.
func (o *Object) Len() int {
	if o == nil {
		return 0
	}
	return len(o.members)
}

// At returns the i-th member in the input's order, for a caller that reads
// every member, 0 <= i < Len().
func (o *Object) At(i int) Member { return o.members[i] }

// Members returns the members, sorted by name, for a caller that reads them
// all in an order that does not depend on the input's.
func (o *Object) Members() []Member {
	if o == nil {
		return nil
	}
	out := slices.Clone(o.members)
	slices.SortFunc(out, func(a, b Member) int {
		switch {
		case a.Name < b.Name:
			return -1
		case a.Name > b.Name:
			return 1
		}
		return 0
	})
	return out
}

// dedupe keeps the last value of members of the same name, as
// encoding/json does, once decoding has appended them all: checking each as
// it came would take quadratic time on a large object.
func (o *Object) dedupe() {
	n := len(o.members)
	if n < 2 {
		return
	}
	var index map[string]int // for larger objects, where a scan would not do
	if n > 8 {
		index = make(map[string]int, n)
	}
	kept := o.members[:0]
	for _, m := range o.members {
		j := -1
		if index != nil {
			if k, ok := index[m.Name]; ok {
				j = k
			} else {
				index[m.Name] = len(kept)
			}
		} else {
			for k := range kept {
				if kept[k].Name == m.Name {
					j = k
					break
				}
			}
		}
		if j >= 0 {
			kept[j].Value = m.Value
			continue
		}
		kept = append(kept, m)
	}
	clear(o.members[len(kept):])
	o.members = kept
}
