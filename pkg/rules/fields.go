package rules

import "github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"

// What the rules read of an object. Decoding keeps these members and skips
// the rest unbuilt (vmspec.Decode), so a request costs what the rules read,
// not what the object holds: userData, disks' sources, resources and the
// like are never built. A rule that reads a member not named here sees it
// absent: the differential fuzz test FuzzPrunedEqualsWhole, which runs the
// rules over whole and pruned objects, is there to catch such a rule.
var (
	specFields = vmspec.Fields{
		"domain": {"devices": {
			"autoattachPodInterface": vmspec.Whole,
			"interfaces":             interfaceFields,
			"disks":                  {"name": vmspec.Whole},
		}},
		"networks": {"name": vmspec.Whole, "pod": vmspec.Whole},
		"volumes": {
			"name":                 vmspec.Whole,
			"cloudInitNoCloud":     cloudInitFields,
			"cloudInitConfigDrive": cloudInitFields,
		},
	}
	interfaceFields = func() vmspec.Fields {
		f := vmspec.Fields{
			"name": vmspec.Whole, "model": vmspec.Whole, "macAddress": vmspec.Whole,
			"ports":      {"port": vmspec.Whole},
			"portRanges": {"start": vmspec.Whole, "end": vmspec.Whole},
		}
		for _, b := range bindings {
			f[b] = vmspec.Whole
		}
		return f
	}()
	cloudInitFields = vmspec.Fields{
		"networkData": vmspec.Whole, "networkDataBase64": vmspec.Whole, "networkDataSecretRef": vmspec.Whole,
	}
	metadataFields = vmspec.Fields{
		"name": vmspec.Whole, "namespace": vmspec.Whole, "labels": vmspec.Whole,
		"annotations": vmspec.Whole, "ownerReferences": vmspec.Whole,
	}
	// preferenceFields are read where a VM spec is (shape.VM).
	preferenceFields = vmspec.Fields{"preference": {"name": vmspec.Whole}}
)

// objectSchema says what to decode of an object of any of the kinds: their
// paths differ (spec.domain, spec.template.spec.domain, ...), so one
// schema serves them all.
var objectSchema = func() *vmspec.Schema {
	root := vmspec.Fields{}
	for _, shape := range vmspec.Shapes() {
		for _, md := range shape.Metadata {
			at(root, md, metadataFields)
		}
		if shape.VM != nil {
			at(root, shape.VM, preferenceFields)
		}
		at(root, shape.Spec, specFields)
	}
	return vmspec.Compile(root)
}()

// at merges fields into root at the object the keys lead to.
func at(root vmspec.Fields, keys []string, fields vmspec.Fields) {
	m := root
	for _, k := range keys {
		if m[k] == nil {
			m[k] = vmspec.Fields{}
		}
		m = m[k]
	}
	for k, f := range fields {
		m[k] = f
	}
}

// decodeFunc decodes a request's object keeping at least what want names:
// vmspec.Decode, or in tests a reference that keeps everything.
type decodeFunc func(data []byte, want *vmspec.Schema) (*vmspec.Object, error)
