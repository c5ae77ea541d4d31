package e2e

import (
	"context"
	"fmt"
	"sort"
	"testing"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// What the KubeVirt CRDs installed on this control plane offer, read from
// the API server once in TestMain. make test-compat runs this package
// against the CRDs of older releases too; a test that needs a field or a
// version only newer releases have asks here and skips where it is missing,
// so that what decides is the schema served, never a version string.
var served struct {
	// poolVersions are the served versions of pool.kubevirt.io, storage last.
	poolVersions []string
	// interfaceFields and networkFields are the properties of the VM
	// template's interfaces[] and networks[] items.
	interfaceFields, networkFields map[string]bool
	// celRules: the VM schema has x-kubernetes-validations (KubeVirt 1.9's
	// does, 1.4's to 1.7's do not). Where it has, the API server adds a
	// line to schema errors saying those rules were not checked.
	celRules bool
}

// readServed fills served from the installed CRDs.
func readServed(ctx context.Context) error {
	cs, err := apiextclient.NewForConfig(cp.Config)
	if err != nil {
		return err
	}
	crds := cs.ApiextensionsV1().CustomResourceDefinitions()
	pool, err := crds.Get(ctx, "virtualmachinepools.pool.kubevirt.io", metav1.GetOptions{})
	if err != nil {
		return err
	}
	var storage string
	for _, v := range pool.Spec.Versions {
		switch {
		case v.Storage:
			storage = v.Name
		case v.Served:
			served.poolVersions = append(served.poolVersions, v.Name)
		}
	}
	if storage == "" {
		return fmt.Errorf("%s has no storage version", pool.Name)
	}
	served.poolVersions = append(served.poolVersions, storage)

	vm, err := crds.Get(ctx, "virtualmachines.kubevirt.io", metav1.GetOptions{})
	if err != nil {
		return err
	}
	for _, v := range vm.Spec.Versions {
		if v.Name != "v1" || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			continue
		}
		spec, err := schemaAt(v.Schema.OpenAPIV3Schema, "spec", "template", "spec")
		if err != nil {
			return fmt.Errorf("%s: %w", vm.Name, err)
		}
		ifaces, err := schemaAt(spec, "domain", "devices", "interfaces", "[]")
		if err != nil {
			return fmt.Errorf("%s: %w", vm.Name, err)
		}
		networks, err := schemaAt(spec, "networks", "[]")
		if err != nil {
			return fmt.Errorf("%s: %w", vm.Name, err)
		}
		served.interfaceFields, served.networkFields = propertyNames(ifaces), propertyNames(networks)
		served.celRules = hasRules(v.Schema.OpenAPIV3Schema)
	}
	if served.interfaceFields == nil {
		return fmt.Errorf("%s serves no v1 schema", vm.Name)
	}
	return nil
}

// schemaAt walks a schema along property names; "[]" steps into items.
func schemaAt(s *apiextv1.JSONSchemaProps, path ...string) (*apiextv1.JSONSchemaProps, error) {
	for i, p := range path {
		if p == "[]" {
			if s.Items == nil || s.Items.Schema == nil {
				return nil, fmt.Errorf("schema has no items at %v", path[:i+1])
			}
			s = s.Items.Schema
			continue
		}
		next, ok := s.Properties[p]
		if !ok {
			return nil, fmt.Errorf("schema has nothing at %v", path[:i+1])
		}
		s = &next
	}
	return s, nil
}

// hasRules tells whether s or any schema under it has CEL validation rules.
func hasRules(s *apiextv1.JSONSchemaProps) bool {
	if s == nil {
		return false
	}
	if len(s.XValidations) > 0 {
		return true
	}
	for _, p := range s.Properties {
		if hasRules(&p) {
			return true
		}
	}
	if s.Items != nil && hasRules(s.Items.Schema) {
		return true
	}
	return s.AdditionalProperties != nil && hasRules(s.AdditionalProperties.Schema)
}

func propertyNames(s *apiextv1.JSONSchemaProps) map[string]bool {
	out := map[string]bool{}
	for k := range s.Properties {
		out[k] = true
	}
	return out
}

// needInterfaceFields skips t where the served VM schema lacks one of the
// interface fields (the API server would prune it before the webhook sees it).
func needInterfaceFields(t *testing.T, fields ...string) {
	t.Helper()
	if missing := missingFields(served.interfaceFields, fields); len(missing) > 0 {
		t.Skipf("the served VirtualMachine schema has no interfaces[].%v", missing)
	}
}

func missingFields(have map[string]bool, want []string) []string {
	var missing []string
	for _, f := range want {
		if !have[f] {
			missing = append(missing, f)
		}
	}
	sort.Strings(missing)
	return missing
}
