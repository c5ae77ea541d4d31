package rules

import (
	"bytes"
	"io"
	"sync"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// quickRead reads what the rules read of an object, its metadata and its
// spec view, straight from JSON v2's tokens: no tree is built, the rest is
// checked and skipped. It takes only the common case, an object whose
// every field read has the type wanted and is named once. On anything else
// (a syntax error, a wrong type, a name given twice or written with
// escapes, a number that is not a plain integer, a null list entry) it
// gives up, and the caller reads the decoded tree (readObject, readSpec),
// which also says what is wrong. Given the same object, both give the same
// object fields and view: FuzzPrunedEqualsWhole holds them to it.
func quickRead(data []byte, shape vmspec.Shape) (*object, *specView, bool) {
	q := quickReaders.Get().(*quickReader)
	defer q.put()
	// A bytes.Buffer is read in place, without a copy; this one lives in the
	// pooled reader, so that it costs no allocation either.
	q.buf = *bytes.NewBuffer(data)
	q.d.Reset(&q.buf, vmspec.Options()...)
	read := &struct { // one allocation for both
		o object
		s specView
	}{o: object{
		shape:    shape,
		specPath: specPaths[shape.Kind],
		ptrs:     pointersByKind[shape.Kind],
	}}
	q.o, q.s = &read.o, &read.s
	if q.d.PeekKind() != '{' || !q.node(quickPlans[shape.Kind]) {
		return nil, nil, false
	}
	if _, err := q.d.ReadToken(); err != io.EOF {
		return nil, nil, false // data after the object: the tree path says so
	}
	return q.o, q.s, true
}

// quickReadIf is quickRead when quick is set, else a miss.
func quickReadIf(quick bool, data []byte, shape vmspec.Shape) (*object, *specView, bool) {
	if !quick {
		return nil, nil, false
	}
	return quickRead(data, shape)
}

type quickReader struct {
	d   *jsontext.Decoder
	buf bytes.Buffer
	o   *object
	s   *specView
}

var quickReaders = sync.Pool{New: func() any { return &quickReader{d: jsontext.NewDecoder(noInput)} }}

// noInput is what a pooled decoder holds between reads, so that it keeps
// no request alive; it is never read (each read resets the decoder first).
var noInput = bytes.NewReader(nil)

func (q *quickReader) put() {
	q.d.Reset(noInput)
	q.buf = bytes.Buffer{}
	q.o, q.s = nil, nil
	quickReaders.Put(q)
}

// quickNode is a step on a kind's paths to its metadata and specs (see
// vmspec.Shape), and what is read there.
type quickNode struct {
	names    []string // children's names
	children []*quickNode
	role     quickRole
}

type quickRole int

const (
	roleStep     quickRole = iota
	roleMetadata           // the object's own metadata
	roleTemplateMetadata
	roleVM
	roleSpec
)

// quickPlans holds each kind's plan, made once from its shape.
var quickPlans = func() map[string]*quickNode {
	plans := map[string]*quickNode{}
	for _, shape := range vmspec.Shapes() {
		root := &quickNode{}
		at := func(keys []string, role quickRole) {
			n := root
			for _, k := range keys {
				i := indexOf(n.names, k)
				if i < 0 {
					n.names, n.children = append(n.names, k), append(n.children, &quickNode{})
					i = len(n.names) - 1
				}
				n = n.children[i]
			}
			n.role = role
		}
		for i, md := range shape.Metadata {
			role := roleTemplateMetadata
			if i == 0 {
				role = roleMetadata
			}
			at(md, role)
		}
		if shape.VM != nil {
			at(shape.VM, roleVM)
		}
		at(shape.Spec, roleSpec)
		plans[shape.Kind] = root
	}
	return plans
}()

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

// The readers below each read one value of the plan, with the token
// readers of quick_tokens.go. They return false to give up.

// node reads an object on the plan: its children, then what its role
// reads; absent (null) is fine.
func (q *quickReader) node(n *quickNode) bool {
	var seen uint64
	present, ok := q.object(func(name []byte) bool {
		if i := indexOf(n.names, string(name)); i >= 0 {
			return once(&seen, i) && q.node(n.children[i])
		}
		switch n.role {
		case roleMetadata, roleTemplateMetadata:
			return q.metadata(name, n.role == roleMetadata, &seen)
		case roleVM:
			if string(name) == "preference" {
				var seenPref uint64
				return once(&seen, 60) && q.members(func(name []byte) bool {
					if string(name) != "name" {
						return q.skip()
					}
					var ok bool
					q.o.preference, _, ok = q.str()
					return ok && once(&seenPref, 0)
				})
			}
		case roleSpec:
			return q.spec(name, &seen)
		}
		return q.skip()
	})
	if n.role == roleSpec {
		q.s.present = present
	}
	return ok
}

// once marks member bit i of an object as read, and says whether it was
// not read before: a name given twice is left to the tree, where the last
// one wins.
func once(seen *uint64, i int) bool {
	if *seen&(1<<i) != 0 {
		return false
	}
	*seen |= 1 << i
	return true
}

func (q *quickReader) metadata(name []byte, own bool, seen *uint64) bool {
	switch string(name) {
	case "labels":
		return once(seen, 50) && q.labels(false)
	case "annotations":
		return once(seen, 51) && q.labels(own)
	}
	if !own {
		return q.skip()
	}
	var ok bool
	switch string(name) {
	case "name":
		q.o.name, _, ok = q.str()
		return ok && once(seen, 52)
	case "namespace":
		q.o.namespace, _, ok = q.str()
		return ok && once(seen, 53)
	case "ownerReferences":
		return once(seen, 54) && q.ownerReferences()
	}
	return q.skip()
}

// labels reads labels or annotations for the guest OS markers and, on the
// object's own annotations, the opt-out. A marker named twice is left to
// the tree, which keeps the last.
func (q *quickReader) labels(ownAnnotations bool) bool {
	var marked [4]string
	n := 0
	return q.members(func(name []byte) bool {
		val, present, ok := q.str()
		if !ok {
			return false
		}
		isOptOut := ownAnnotations && string(name) == MutateAnnotation
		if !isOptOut && !guestOSKey(string(name)) {
			return true // most labels: no string made
		}
		k := string(name)
		if n == len(marked) || indexOf(marked[:n], k) >= 0 {
			return false
		}
		marked[n] = k
		n++
		if !present {
			return true
		}
		if isOptOut {
			q.o.optedOut = val == "false"
		}
		q.o.windowsMeta = q.o.windowsMeta || marksWindows(k, val)
		return true
	})
}

func (q *quickReader) ownerReferences() bool {
	return q.elements(func(int) bool {
		var controller, present bool
		var apiVersion, kind string
		var seen uint64
		ok := q.members(func(name []byte) bool {
			var ok bool
			switch string(name) {
			case "controller":
				controller, present, ok = q.boolean()
				return ok && once(&seen, 0)
			case "apiVersion":
				apiVersion, _, ok = q.str()
				return ok && once(&seen, 1)
			case "kind":
				kind, _, ok = q.str()
				return ok && once(&seen, 2)
			}
			return q.skip()
		})
		if ok && present && controller && controlsFromTemplate(q.o.shape.Kind, apiVersion, kind) {
			q.o.ownerKind = kind
			q.o.controllerOwned = true
		}
		return ok
	})
}
