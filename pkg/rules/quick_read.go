package rules

import (
	"bytes"
	"io"
	"strconv"
	"sync"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// quickRead reads what validation reads of an object, its metadata and its
// spec view, straight from JSON v2's tokens: no tree is built, the rest is
// checked and skipped. It takes only the common case, an object whose
// every field read has the type wanted and is named once. On anything else
// (a syntax error, a wrong type, a name given twice or written with
// escapes, a number that is not a plain integer) it gives up, and the
// caller reads the decoded tree (readObject, readSpec), which also says
// what is wrong. Given the same object, both give the same object fields
// and view: FuzzPrunedEqualsWhole holds them to it.
func quickRead(data []byte, shape vmspec.Shape) (*object, *specView, bool) {
	q := quickReaders.Get().(*quickReader)
	defer q.put()
	q.d.Reset(bytes.NewBuffer(data), decodeOptions...)
	q.o = &object{
		shape:    shape,
		specPtr:  pointersByKind[shape.Kind].spec,
		specPath: specPaths[shape.Kind],
		ptrs:     pointersByKind[shape.Kind],
	}
	q.s = &specView{}
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

// decodeOptions are vmspec.Decode's: encoding/json's leniency.
var decodeOptions = []jsontext.Options{
	jsontext.AllowDuplicateNames(true),
	jsontext.AllowInvalidUTF8(true),
}

type quickReader struct {
	d *jsontext.Decoder
	o *object
	s *specView
}

var quickReaders = sync.Pool{New: func() any { return &quickReader{d: jsontext.NewDecoder(bytes.NewReader(nil))} }}

func (q *quickReader) put() {
	q.d.Reset(bytes.NewReader(nil))
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

// The readers below each read one value. They return false to give up.
// A null reads as absent, as the tree's readers take it.

// node reads an object on the plan: its children, then what its role
// reads; absent (null) is fine.
func (q *quickReader) node(n *quickNode) bool {
	var seen uint64
	return q.members(func(name []byte) bool {
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
		k := string(name)
		isOptOut := ownAnnotations && k == MutateAnnotation
		if !isOptOut && !guestOSKey(k) {
			return true
		}
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
	return q.list(func(int) bool {
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

func (q *quickReader) spec(name []byte, seen *uint64) bool {
	s := q.s
	switch string(name) {
	case "domain":
		var seenDomain uint64
		return once(seen, 50) && q.members(func(name []byte) bool {
			if string(name) != "devices" {
				return q.skip()
			}
			var seenDevices uint64
			return once(&seenDomain, 0) && q.members(func(name []byte) bool {
				if string(name) != "interfaces" {
					return q.skip()
				}
				return once(&seenDevices, 0) && q.list(func(i int) bool {
					iv := ifaceView{idx: i}
					present, ok := q.iface(&iv)
					if present {
						s.ifaces = append(s.ifaces, iv)
					}
					return ok
				})
			})
		})
	case "networks":
		return once(seen, 51) && q.list(func(i int) bool {
			nv := netView{idx: i}
			present, ok := q.network(&nv)
			if present {
				s.nets = append(s.nets, nv)
				if nv.pod && !s.hasPodNet {
					s.podNet, s.hasPodNet = nv.name, true
				}
			}
			return ok
		})
	case "volumes":
		return once(seen, 52) && q.list(func(i int) bool {
			vv := volView{idx: i}
			present, ok := q.volume(&vv)
			if present {
				s.vols = append(s.vols, vv)
			}
			return ok
		})
	}
	return q.skip()
}

func (q *quickReader) iface(iv *ifaceView) (present, ok bool) {
	var seen, bound uint64
	present, ok = q.object(func(name []byte) bool {
		var ok bool
		switch string(name) {
		case "name":
			iv.name, _, ok = q.str()
			return ok && once(&seen, 0)
		case "model":
			iv.model, _, ok = q.str()
			return ok && once(&seen, 1)
		case "macAddress":
			iv.mac, iv.hasMAC, ok = q.str()
			return ok && once(&seen, 2)
		case "ports":
			return once(&seen, 3) && q.list(func(j int) bool {
				var seenPort uint64
				return q.members(func(name []byte) bool {
					if string(name) != "port" {
						return q.skip()
					}
					n, present, ok := q.integer()
					if present {
						iv.ports = append(iv.ports, portView{idx: j, port: n})
					}
					return ok && once(&seenPort, 0)
				})
			})
		case "portRanges":
			return once(&seen, 4) && q.list(func(j int) bool {
				r := rangeView{idx: j}
				var seenRange uint64
				var hasStart, hasEnd bool
				ok := q.members(func(name []byte) bool {
					var ok bool
					switch string(name) {
					case "start":
						r.start, hasStart, ok = q.integer()
						return ok && once(&seenRange, 0)
					case "end":
						r.end, hasEnd, ok = q.integer()
						return ok && once(&seenRange, 1)
					}
					return q.skip()
				})
				if hasStart && hasEnd {
					iv.ranges = append(iv.ranges, r)
				}
				return ok
			})
		default:
			b := indexOf(bindings, string(name))
			if b < 0 {
				return q.skip()
			}
			present, ok := q.object(func([]byte) bool { return q.skip() })
			if present {
				bound |= 1 << b
			}
			return ok && once(&seen, 8+b)
		}
	})
	if bound != 0 {
		for b := range bindings {
			if bound&(1<<b) != 0 {
				iv.binding = bindings[b]
				break
			}
		}
	}
	return present, ok
}

func (q *quickReader) network(nv *netView) (present, ok bool) {
	var seen uint64
	return q.object(func(name []byte) bool {
		switch string(name) {
		case "name":
			var ok bool
			nv.name, _, ok = q.str()
			return ok && once(&seen, 0)
		case "pod":
			var seenPod uint64
			pod, ok := q.object(func(name []byte) bool {
				var ok bool
				switch string(name) {
				case "vmNetworkCIDR":
					nv.cidr4, nv.hasCIDR4, ok = q.str()
					return ok && once(&seenPod, 0)
				case "vmIPv6NetworkCIDR":
					nv.cidr6, nv.hasCIDR6, ok = q.str()
					return ok && once(&seenPod, 1)
				}
				return q.skip()
			})
			nv.pod = pod
			return ok && once(&seen, 1)
		}
		return q.skip()
	})
}

// volume reads a volume's cloud-init sources, in readVol's order whatever
// the input's.
func (q *quickReader) volume(vv *volView) (present, ok bool) {
	var seen uint64
	var sources [2]*cloudInitView
	present, ok = q.object(func(name []byte) bool {
		i := indexOf(cloudInitKeys, string(name))
		if i < 0 {
			return q.skip()
		}
		cv := &cloudInitView{key: cloudInitKeys[i]}
		var seenCI uint64
		var has [3]bool // networkDataSources
		present, ok := q.object(func(name []byte) bool {
			var ok bool
			switch string(name) {
			case "networkData":
				cv.networkData, has[0], ok = q.str()
				return ok && once(&seenCI, 0)
			case "networkDataBase64":
				cv.networkData64, has[1], ok = q.str()
				return ok && once(&seenCI, 1)
			case "networkDataSecretRef":
				has[2], ok = q.object(func([]byte) bool { return q.skip() })
				return ok && once(&seenCI, 2)
			}
			return q.skip()
		})
		if present {
			for b, src := range networkDataSources {
				if has[b] {
					cv.sources = append(cv.sources, src)
				}
			}
			sources[i] = cv
		}
		return ok && once(&seen, i)
	})
	for _, cv := range sources {
		if cv != nil {
			vv.cloudInits = append(vv.cloudInits, *cv)
		}
	}
	return present, ok
}

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

// list reads an array, or a null, calling elem with each element's index;
// a null element is skipped, as the tree's readers skip it.
func (q *quickReader) list(elem func(i int) bool) bool {
	switch q.d.PeekKind() {
	case 'n':
		_, err := q.d.ReadToken()
		return err == nil
	case '[':
	default:
		return false
	}
	if _, err := q.d.ReadToken(); err != nil {
		return false
	}
	for i := 0; q.d.PeekKind() != ']'; i++ {
		if q.d.PeekKind() == 'n' {
			if _, err := q.d.ReadToken(); err != nil {
				return false
			}
			continue
		}
		if !elem(i) {
			return false
		}
	}
	_, err := q.d.ReadToken()
	return err == nil
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
