package main

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	generated     []*apiextv1.CustomResourceDefinition
	generateErr   error
	generatedOnce sync.Once
)

// crds generates once for all tests (it parses KubeVirt's sources).
func crds(t *testing.T) map[string]*apiextv1.CustomResourceDefinition {
	t.Helper()
	generatedOnce.Do(func() { generated, generateErr = generate() })
	if generateErr != nil {
		t.Fatal(generateErr)
	}
	out := map[string]*apiextv1.CustomResourceDefinition{}
	for _, c := range generated {
		out[c.Spec.Names.Kind] = c
	}
	return out
}

func structural(t *testing.T, s *apiextv1.JSONSchemaProps) *structuralschema.Structural {
	t.Helper()
	var internal apiextensions.JSONSchemaProps
	if err := apiextv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(s, &internal, nil); err != nil {
		t.Fatal(err)
	}
	st, err := structuralschema.NewStructural(&internal)
	if err != nil {
		t.Fatalf("not structural: %v", err)
	}
	return st
}

func TestCRDsAreStructuralAndValid(t *testing.T) {
	for kind, crd := range crds(t) {
		t.Run(kind, func(t *testing.T) {
			for _, v := range crd.Spec.Versions {
				st := structural(t, v.Schema.OpenAPIV3Schema)
				if errs := structuralschema.ValidateStructural(field.NewPath("openAPIV3Schema"), st); len(errs) > 0 {
					t.Errorf("%s: not structural: %v", v.Name, errs.ToAggregate())
				}
			}
			// The checks the API server runs on create, CEL cost included.
			var internal apiextensions.CustomResourceDefinition
			if err := apiextv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(crd, &internal, nil); err != nil {
				t.Fatal(err)
			}
			// Set by the API server on create.
			for _, v := range crd.Spec.Versions {
				if v.Storage {
					internal.Status.StoredVersions = []string{v.Name}
				}
			}
			if errs := validation.ValidateCustomResourceDefinition(context.Background(), &internal); len(errs) > 0 {
				t.Errorf("rejected by CRD validation: %v", errs.ToAggregate())
			}
		})
	}
}

func TestCRDNamesAndVersions(t *testing.T) {
	type want struct {
		name, group, plural, singular string
		short                         []string
		versions                      string // name:served/storage, in order
		status, scale                 bool
	}
	wants := map[string]want{
		"VirtualMachine": {"virtualmachines.kubevirt.io", "kubevirt.io", "virtualmachines", "virtualmachine",
			[]string{"vm", "vms"}, "v1:ss v1alpha3:s-", true, false},
		"VirtualMachineInstance": {"virtualmachineinstances.kubevirt.io", "kubevirt.io", "virtualmachineinstances", "virtualmachineinstance",
			[]string{"vmi", "vmis"}, "v1:ss v1alpha3:s-", false, false},
		"VirtualMachineInstanceReplicaSet": {"virtualmachineinstancereplicasets.kubevirt.io", "kubevirt.io", "virtualmachineinstancereplicasets", "virtualmachineinstancereplicaset",
			[]string{"vmirs", "vmirss"}, "v1:ss v1alpha3:s-", true, true},
		"VirtualMachinePool": {"virtualmachinepools.pool.kubevirt.io", "pool.kubevirt.io", "virtualmachinepools", "virtualmachinepool",
			[]string{"vmpool", "vmpools"}, "v1alpha1:s- v1beta1:ss", true, true},
	}
	got := crds(t)
	if len(got) != len(wants) {
		t.Fatalf("generated %d CRDs, want %d", len(got), len(wants))
	}
	for kind, w := range wants {
		crd := got[kind]
		if crd == nil {
			t.Errorf("no CRD for %s", kind)
			continue
		}
		n := crd.Spec.Names
		if crd.Name != w.name || crd.Spec.Group != w.group || n.Plural != w.plural || n.Singular != w.singular ||
			!reflect.DeepEqual(n.ShortNames, w.short) || crd.Spec.Scope != apiextv1.NamespaceScoped {
			t.Errorf("%s: name %s group %s names %+v scope %s", kind, crd.Name, crd.Spec.Group, n, crd.Spec.Scope)
		}
		var vs []string
		for _, v := range crd.Spec.Versions {
			flag := func(b bool, c string) string {
				if b {
					return c
				}
				return "-"
			}
			vs = append(vs, v.Name+":"+flag(v.Served, "s")+flag(v.Storage, "s"))
			sub := v.Subresources
			if (sub != nil && sub.Status != nil) != w.status || (sub != nil && sub.Scale != nil) != w.scale {
				t.Errorf("%s %s: subresources %+v, want status=%v scale=%v", kind, v.Name, sub, w.status, w.scale)
			}
		}
		if strings.Join(vs, " ") != w.versions {
			t.Errorf("%s: versions %q, want %q", kind, strings.Join(vs, " "), w.versions)
		}
	}
}

// at walks a schema along property names; "[]" steps into array items.
func at(t *testing.T, s *apiextv1.JSONSchemaProps, path string) *apiextv1.JSONSchemaProps {
	t.Helper()
	for _, p := range strings.Split(path, ".") {
		if p == "[]" {
			if s.Items == nil || s.Items.Schema == nil {
				t.Fatalf("%s: no items at %q", path, p)
			}
			s = s.Items.Schema
			continue
		}
		next, ok := s.Properties[p]
		if !ok {
			t.Fatalf("%s: no property %q", path, p)
		}
		s = &next
	}
	return s
}

func TestVirtualMachineSchemaFields(t *testing.T) {
	vm := crds(t)["VirtualMachine"].Spec.Versions[0].Schema.OpenAPIV3Schema
	const tmpl = "spec.template.spec."
	const ifaces = tmpl + "domain.devices.interfaces"
	cases := []struct {
		path, typ string
	}{
		{ifaces + ".[].ports.[].port", "integer"},
		{ifaces + ".[].ports.[].protocol", "string"},
		{ifaces + ".[].portRanges.[].start", "integer"},
		{ifaces + ".[].portRanges.[].end", "integer"},
		{ifaces + ".[].passtBinding", "object"},
		{ifaces + ".[].masquerade", "object"},
		{ifaces + ".[].binding.name", "string"},
		{ifaces + ".[].model", "string"},
		{tmpl + "networks.[].pod.vmIPv6NetworkCIDR", "string"},
		{tmpl + "volumes.[].cloudInitNoCloud.networkData", "string"},
		{tmpl + "volumes.[].cloudInitConfigDrive.userData", "string"},
		{"spec.runStrategy", "string"},
		{"metadata", "object"},
	}
	for _, c := range cases {
		if got := at(t, vm, c.path).Type; got != c.typ {
			t.Errorf("%s: type %q, want %q", c.path, got, c.typ)
		}
	}
	if m := at(t, vm, ifaces).MaxItems; m == nil || *m != 256 {
		t.Errorf("interfaces maxItems = %v, want 256", m)
	}
	if len(vm.Properties["metadata"].Properties) != 0 {
		t.Errorf("root metadata must be `type: object` only")
	}
	meta := at(t, vm, "spec.template.metadata")
	if meta.XPreserveUnknownFields == nil || !*meta.XPreserveUnknownFields || !meta.Nullable {
		t.Errorf("template metadata: %+v, want nullable with preserved fields", meta)
	}
	mem := at(t, vm, tmpl+"domain.memory.guest")
	if !mem.XIntOrString || len(mem.AnyOf) != 2 {
		t.Errorf("memory.guest (a Quantity) is not int-or-string: %+v", mem)
	}
}

// Pruning and validation behave as on a cluster: unknown fields go, known
// ones and template labels stay.
func TestVirtualMachinePruningAndTypes(t *testing.T) {
	vm := crds(t)["VirtualMachine"].Spec.Versions[0].Schema.OpenAPIV3Schema
	st := structural(t, vm)
	var obj map[string]any
	const doc = `{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"a"},
	  "spec":{"bogus":1,"template":{"metadata":{"labels":{"k":"v"}},"spec":{"domain":{"devices":{
	    "interfaces":[{"name":"default","masquerade":{"junk":true},"ports":[{"port":80,"extra":"x"}]}]}}}}}}`
	if err := json.Unmarshal([]byte(doc), &obj); err != nil {
		t.Fatal(err)
	}
	pruning.Prune(obj, st, true)
	got, _ := json.Marshal(obj)
	const want = `{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"a"},"spec":{"template":{"metadata":{"labels":{"k":"v"}},"spec":{"domain":{"devices":{"interfaces":[{"masquerade":{},"name":"default","ports":[{"port":80}]}]}}}}}}`
	if string(got) != want {
		t.Errorf("pruned to\n%s\nwant\n%s", got, want)
	}
}
