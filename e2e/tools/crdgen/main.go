// Command crdgen writes KubeVirt's CustomResourceDefinitions for
// VirtualMachine, VirtualMachineInstance, VirtualMachineInstanceReplicaSet and
// VirtualMachinePool, generated from the OpenAPI definitions that
// kubevirt.io/client-go publishes for the pinned KubeVirt release, so that a
// bare kube-apiserver prunes and validates these objects as a cluster running
// that release does.
//
//	crdgen -o DIR              writes DIR/<plural>.<group>.yaml, one per kind
//	crdgen -release SRC -o DIR the same CRDs as the KubeVirt release whose
//	                           kubevirt.io/kubevirt module is in SRC ships them
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/kube-openapi/pkg/validation/spec"
	kvapi "kubevirt.io/client-go/api"
	"sigs.k8s.io/yaml"
)

func main() {
	out := flag.String("o", "", "directory to write the CRDs to (created if missing)")
	release := flag.String("release", "", "source of a kubevirt.io/kubevirt release: write the CRDs it ships")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: crdgen [-release SRC] -o DIR")
		os.Exit(2)
	}
	var crds []*apiextv1.CustomResourceDefinition
	var err error
	if *release != "" {
		crds, err = shipped(*release)
	} else {
		crds, err = generate()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "crdgen:", err)
		os.Exit(1)
	}
	if err := write(*out, crds); err != nil {
		fmt.Fprintln(os.Stderr, "crdgen:", err)
		os.Exit(1)
	}
}

// generate builds the four CRDs.
func generate() ([]*apiextv1.CustomResourceDefinition, error) {
	defs := kvapi.GetOpenAPIDefinitions(func(path string) spec.Ref { return spec.MustCreateRef(path) })
	// KubeVirt's markers, and the +default markers of the Kubernetes types
	// it embeds (LocalObjectReference.name defaults to "").
	mk, err := loadMarkers(sortedKeys(defs), "kubevirt.io/", "k8s.io/api/")
	if err != nil {
		return nil, err
	}
	c := &converter{defs: defs, markers: mk}
	var crds []*apiextv1.CustomResourceDefinition
	for _, k := range kinds() {
		crd, err := k.crd(func(v string) (*apiextv1.JSONSchemaProps, error) { return c.root(k.definition(v)) })
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.names.Kind, err)
		}
		crds = append(crds, crd)
	}
	return crds, nil
}

func write(dir string, crds []*apiextv1.CustomResourceDefinition) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, crd := range crds {
		b, err := yaml.Marshal(crd)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, crd.Name+".yaml"), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
