package rules

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// MutateAnnotation on an object's metadata set to "false" turns mutation
// off for that object. Validation cannot be opted out of: a reserved port
// never works, so there is nothing to gain.
const MutateAnnotation = "vmnet.kubevirt.io/mutate"

// object is one decoded request object and what the rules need of its
// metadata; decoded once per call.
type object struct {
	root  *vmspec.Object
	shape vmspec.Shape
	// spec is the VM spec (domain, networks, volumes); nil if absent.
	spec     *vmspec.Object
	specPath *field.Path
	// ptrs are the JSON pointers into the spec that mutation writes under.
	ptrs *specPointers
	// windowsMeta is set when a label or annotation of the object or its
	// templates marks a Windows guest (marksWindows).
	windowsMeta bool
	// preference is the VM's spec.preference.name, if the kind has one.
	preference      string
	optedOut        bool
	controllerOwned bool
	// ownerKind is the kind of the controller that owns the object, if any.
	ownerKind string
	// namespace and name are the object's own; name is "" while the API
	// server is still to generate it.
	namespace, name string
}

// readObject finds the spec and reads the metadata. rd may be nil
// (lenient).
func readObject(root *vmspec.Object, shape vmspec.Shape, rd *reader) *object {
	o := &object{
		root:     root,
		shape:    shape,
		specPath: specPaths[shape.Kind],
		ptrs:     pointersByKind[shape.Kind],
	}
	o.spec = walk(root, shape.Spec, rd)
	for i, keys := range shape.Metadata {
		md := walk(root, keys, rd)
		if md == nil {
			continue
		}
		mdPath := func() *field.Path { return vmspec.FieldPath(keys...) }
		labels := rd.stringMap(md.Get("labels"), func() *field.Path { return mdPath().Child("labels") })
		annotations := rd.stringMap(md.Get("annotations"), func() *field.Path { return mdPath().Child("annotations") })
		for _, set := range []*vmspec.Object{labels, annotations} {
			for j := range set.Len() {
				val, ok := set.At(j).Value.(string)
				o.windowsMeta = o.windowsMeta || ok && marksWindows(set.At(j).Name, val)
			}
		}
		if i == 0 {
			o.namespace, _ = rd.str(md.Get("namespace"), func() *field.Path { return mdPath().Child("namespace") })
			o.name, _ = rd.str(md.Get("name"), func() *field.Path { return mdPath().Child("name") })
			o.optedOut = annotations.Get(MutateAnnotation) == "false"
			o.ownerKind = controllerOf(md, shape, rd)
			o.controllerOwned = o.ownerKind != ""
		}
	}
	if shape.VM != nil {
		if vm := walk(root, shape.VM, rd); vm != nil {
			prefPath := func() *field.Path { return vmspec.FieldPath(shape.VM...).Child("preference") }
			if pref := rd.object(vm.Get("preference"), prefPath); pref != nil {
				o.preference, _ = rd.str(pref.Get("name"), func() *field.Path { return prefPath().Child("name") })
			}
		}
	}
	return o
}

// specPointers are the JSON pointers to the members of a VM spec that
// mutation writes under, made once per kind rather than step by step for
// each request.
type specPointers struct {
	devices, interfaces, networks, volumes vmspec.Pointer
}

// The JSON pointers into each kind's VM spec and the field path to it, made
// once (a field.Path is never changed, only extended into new ones).
var pointersByKind, specPaths = func() (map[string]*specPointers, map[string]*field.Path) {
	ptrs, paths := map[string]*specPointers{}, map[string]*field.Path{}
	for _, shape := range vmspec.Shapes() {
		spec := vmspec.PointerTo(shape.Spec...)
		ptrs[shape.Kind] = &specPointers{
			devices:    spec.Key("domain").Key("devices"),
			interfaces: spec.Key("domain").Key("devices").Key("interfaces"),
			networks:   spec.Key("networks"),
			volumes:    spec.Key("volumes"),
		}
		paths[shape.Kind] = vmspec.FieldPath(shape.Spec...)
	}
	return ptrs, paths
}()

// walk follows keys from root; nil if a step is absent or not an object.
func walk(root *vmspec.Object, keys []string, rd *reader) *vmspec.Object {
	m := root
	for i, k := range keys {
		m = rd.object(m.Get(k), func() *field.Path { return vmspec.FieldPath(keys[:i+1]...) })
		if m == nil {
			return nil
		}
	}
	return m
}

// controllerOwners says which controllers' objects get no defaults, by the
// owned kind: their template got them (or opted out) when it was created,
// and a restart must not change an existing VM.
var controllerOwners = map[string][]schema.GroupKind{
	"VirtualMachineInstance": {
		{Group: "kubevirt.io", Kind: "VirtualMachine"},
		{Group: "kubevirt.io", Kind: "VirtualMachineInstanceReplicaSet"},
	},
	"VirtualMachine": {{Group: "pool.kubevirt.io", Kind: "VirtualMachinePool"}},
}

// MadeFromTemplate says whether an object of kind whose controller is of
// controller's group and kind was made from a template the webhook admitted
// when the controller's object was created: such objects get no defaults,
// and an audit judges their template instead of each of them.
func MadeFromTemplate(kind string, controller schema.GroupKind) bool {
	for _, gk := range controllerOwners[kind] {
		if gk == controller {
			return true
		}
	}
	return false
}

// bootsGuest says whether this object is where a guest's MAC and network
// config are fixed: a VM (its VMIs start from its template, also when a
// pool made it) or a VMI that no VM started. Not the templates of replica
// sets and pools: each of their replicas gets its own when it is created,
// so that no two share a MAC.
func (o *object) bootsGuest() bool {
	switch o.shape.Kind {
	case "VirtualMachine":
		return true
	case "VirtualMachineInstance":
		return o.ownerKind != "VirtualMachine"
	}
	return false
}

// controllerOf names the kind of the object's controller when it is one
// whose objects are not mutated, else "".
func controllerOf(md *vmspec.Object, shape vmspec.Shape, rd *reader) string {
	refsPath := func() *field.Path { return field.NewPath("metadata", "ownerReferences") }
	refs := rd.list(md.Get("ownerReferences"), refsPath)
	owner := ""
	for i, r := range refs {
		refPath := func() *field.Path { return refsPath().Index(i) }
		ref := rd.object(r, refPath)
		if ref == nil {
			continue
		}
		controller, _ := rd.boolean(ref.Get("controller"), func() *field.Path { return refPath().Child("controller") })
		apiVersion, _ := rd.str(ref.Get("apiVersion"), func() *field.Path { return refPath().Child("apiVersion") })
		refKind, _ := rd.str(ref.Get("kind"), func() *field.Path { return refPath().Child("kind") })
		if controller && controlsFromTemplate(shape.Kind, apiVersion, refKind) {
			owner = refKind
		}
	}
	return owner
}

// controlsFromTemplate says whether a controller reference to apiVersion
// and refKind makes an object of kind one made from a template (see
// MadeFromTemplate).
func controlsFromTemplate(kind, apiVersion, refKind string) bool {
	gv, err := schema.ParseGroupVersion(apiVersion)
	return err == nil && MadeFromTemplate(kind, schema.GroupKind{Group: gv.Group, Kind: refKind})
}
