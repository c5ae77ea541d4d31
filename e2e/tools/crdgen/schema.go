package main

import (
	"fmt"
	"sort"
	"strings"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// Definitions that are not expanded from their OpenAPI definition because a
// CustomResourceDefinition schema must say something else about them.
const (
	objectMetaDef   = "k8s.io/apimachinery/pkg/apis/meta/v1.ObjectMeta"
	timeDef         = "k8s.io/apimachinery/pkg/apis/meta/v1.Time"
	microTimeDef    = "k8s.io/apimachinery/pkg/apis/meta/v1.MicroTime"
	durationDef     = "k8s.io/apimachinery/pkg/apis/meta/v1.Duration"
	quantityDef     = "k8s.io/apimachinery/pkg/api/resource.Quantity"
	intOrStringDef  = "k8s.io/apimachinery/pkg/util/intstr.IntOrString"
	rawExtensionDef = "k8s.io/apimachinery/pkg/runtime.RawExtension"
)

// quantityPattern is the grammar of resource.Quantity's string form, the
// same check a CRD generated from the Go types applies.
const quantityPattern = `^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$`

// Formats an API server validates; openapi-gen emits others ("int-or-string",
// "quantity") that carry no meaning in a CRD schema.
var knownFormats = map[string]bool{
	"int32": true, "int64": true, "float": true, "double": true, "byte": true,
	"date-time": true, "date": true, "duration": true, "uuid": true,
}

// Vendor extensions a CRD schema can carry. The patch-strategy and union
// extensions of built-in types have no place in a CRD.
var keptExtensions = map[string]bool{
	"x-kubernetes-list-type":               true,
	"x-kubernetes-list-map-keys":           true,
	"x-kubernetes-map-type":                true,
	"x-kubernetes-preserve-unknown-fields": true,
}

// converter turns OpenAPI definitions into structural CRD schemas: every $ref
// inlined, every node typed, nothing a structural schema forbids.
type converter struct {
	defs    map[string]common.OpenAPIDefinition
	markers markers
}

// root converts the definition of a kind: its metadata is `type: object`
// only, which is what the API server requires of a CRD's root metadata.
func (c *converter) root(def string) (*apiextv1.JSONSchemaProps, error) {
	s, err := c.definition(def, nil)
	if err != nil {
		return nil, err
	}
	s.Properties["metadata"] = apiextv1.JSONSchemaProps{Type: "object"}
	return s, nil
}

// definition converts one named definition. stack holds the definitions being
// expanded above this one, to cut recursion.
func (c *converter) definition(name string, stack []string) (*apiextv1.JSONSchemaProps, error) {
	switch name {
	case objectMetaDef:
		// Nested ObjectMeta (templates) is opaque to a CRD schema: only
		// markers on the field (nullable, preserve unknown fields) say more.
		return &apiextv1.JSONSchemaProps{Type: "object"}, nil
	case timeDef, microTimeDef:
		return &apiextv1.JSONSchemaProps{Type: "string", Format: "date-time"}, nil
	case durationDef:
		return &apiextv1.JSONSchemaProps{Type: "string"}, nil
	case quantityDef:
		return &apiextv1.JSONSchemaProps{
			AnyOf:        []apiextv1.JSONSchemaProps{{Type: "integer"}, {Type: "string"}},
			Pattern:      quantityPattern,
			XIntOrString: true,
		}, nil
	case intOrStringDef:
		return &apiextv1.JSONSchemaProps{
			AnyOf:        []apiextv1.JSONSchemaProps{{Type: "integer"}, {Type: "string"}},
			XIntOrString: true,
		}, nil
	case rawExtensionDef:
		// Free-form by design: any embedded object.
		return &apiextv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: ptr(true)}, nil
	}
	for _, s := range stack {
		if s == name {
			// A recursive type cannot be inlined. Keep the field and what it
			// holds rather than pruning it: an object of unchecked content.
			return &apiextv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: ptr(true)}, nil
		}
	}
	def, ok := c.defs[name]
	if !ok {
		return nil, fmt.Errorf("no OpenAPI definition for %s", name)
	}
	out, err := c.schema(def.Schema, name, append(stack, name))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := c.markers.applyType(out, name); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// schema converts one schema node; owner is the definition it belongs to,
// used to look up the markers of its fields.
func (c *converter) schema(in spec.Schema, owner string, stack []string) (*apiextv1.JSONSchemaProps, error) {
	if ref := in.Ref.String(); ref != "" {
		out, err := c.definition(ref, stack)
		if err != nil {
			return nil, err
		}
		if in.Description != "" {
			out.Description = in.Description
		}
		return out, nil
	}
	if len(in.AllOf) == 1 && in.AllOf[0].Ref.String() != "" {
		out, err := c.definition(in.AllOf[0].Ref.String(), stack)
		if err != nil {
			return nil, err
		}
		if in.Description != "" {
			out.Description = in.Description
		}
		return out, nil
	}
	if len(in.AllOf) > 0 || len(in.OneOf) > 0 || len(in.AnyOf) > 0 || in.Not != nil {
		return nil, fmt.Errorf("unsupported composition (allOf/oneOf/anyOf/not)")
	}
	out := &apiextv1.JSONSchemaProps{
		Description: in.Description,
		Format:      in.Format,
		Maximum:     in.Maximum, ExclusiveMaximum: in.ExclusiveMaximum,
		Minimum: in.Minimum, ExclusiveMinimum: in.ExclusiveMinimum,
		MaxLength: in.MaxLength, MinLength: in.MinLength,
		Pattern:  in.Pattern,
		MaxItems: in.MaxItems, MinItems: in.MinItems,
		MaxProperties: in.MaxProperties, MinProperties: in.MinProperties,
		Required: in.Required,
	}
	if !knownFormats[out.Format] {
		out.Format = ""
	}
	switch len(in.Type) {
	case 0:
	case 1:
		out.Type = in.Type[0]
	default:
		return nil, fmt.Errorf("several types %v", in.Type)
	}
	// in.Enum is dropped: openapi-gen derives it from +enum types of
	// k8s.io/api, which CRDs generated from Go types (KubeVirt's) do not
	// check. Enums come from +kubebuilder:validation:Enum markers only.
	if err := c.extensions(out, in.Extensions); err != nil {
		return nil, err
	}

	if len(in.Properties) > 0 {
		if out.Type == "" {
			out.Type = "object"
		}
		out.Properties = map[string]apiextv1.JSONSchemaProps{}
		for _, name := range sortedKeys(in.Properties) {
			p, err := c.schema(in.Properties[name], "", stack)
			if err != nil {
				return nil, fmt.Errorf(".%s: %w", name, err)
			}
			if err := c.markers.applyField(p, owner, name); err != nil {
				return nil, fmt.Errorf(".%s: %w", name, err)
			}
			out.Properties[name] = *p
		}
	}
	if ap := in.AdditionalProperties; ap != nil {
		if out.Type == "" {
			out.Type = "object"
		}
		if ap.Schema != nil {
			p, err := c.schema(*ap.Schema, "", stack)
			if err != nil {
				return nil, fmt.Errorf("[*]: %w", err)
			}
			out.AdditionalProperties = &apiextv1.JSONSchemaPropsOrBool{Allows: true, Schema: p}
		} else if ap.Allows {
			// A map of anything: structural schemas spell that as preserved
			// unknown fields, not as additionalProperties: true.
			out.XPreserveUnknownFields = ptr(true)
		}
	}
	if in.Items != nil {
		if in.Items.Schema == nil {
			return nil, fmt.Errorf("tuple items are not supported")
		}
		p, err := c.schema(*in.Items.Schema, "", stack)
		if err != nil {
			return nil, fmt.Errorf("[]: %w", err)
		}
		out.Items = &apiextv1.JSONSchemaPropsOrArray{Schema: p}
		if out.Type == "" {
			out.Type = "array"
		}
	}
	// An object without properties is an empty struct (masquerade: {}): it
	// stays `type: object`, so the API server prunes whatever is put in it,
	// as it does with KubeVirt's own CRDs.
	if out.Type == "" && out.XPreserveUnknownFields == nil {
		return nil, fmt.Errorf("schema without a type")
	}
	return out, nil
}

// extensions copies the vendor extensions a CRD understands.
func (c *converter) extensions(out *apiextv1.JSONSchemaProps, ext spec.Extensions) error {
	for k, v := range ext {
		if !keptExtensions[k] {
			continue
		}
		switch k {
		case "x-kubernetes-list-type":
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("%s is %T", k, v)
			}
			out.XListType = &s
		case "x-kubernetes-map-type":
			s, ok := v.(string)
			if !ok {
				return fmt.Errorf("%s is %T", k, v)
			}
			out.XMapType = &s
		case "x-kubernetes-list-map-keys":
			switch keys := v.(type) {
			case []string:
				out.XListMapKeys = keys
			case []interface{}:
				for _, key := range keys {
					s, ok := key.(string)
					if !ok {
						return fmt.Errorf("%s holds %T", k, key)
					}
					out.XListMapKeys = append(out.XListMapKeys, s)
				}
			default:
				return fmt.Errorf("%s is %T", k, v)
			}
		case "x-kubernetes-preserve-unknown-fields":
			if b, ok := v.(bool); ok && b {
				out.XPreserveUnknownFields = ptr(true)
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func ptr[T any](v T) *T { return &v }

// defPackage is the Go package of a definition name ("pkg/path.Type").
func defPackage(def string) string {
	i := strings.LastIndex(def, ".")
	if i < 0 {
		return ""
	}
	return def[:i]
}
