package main

import (
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	virtv1 "kubevirt.io/api/core/v1"
	"kubevirt.io/api/pool"
	poolv1alpha1 "kubevirt.io/api/pool/v1alpha1"
	poolv1beta1 "kubevirt.io/api/pool/v1beta1"
)

// kind describes one CustomResourceDefinition: names and scope as KubeVirt
// registers them, and for each served version the OpenAPI definition of its
// Go type.
type kind struct {
	group      string
	names      apiextv1.CustomResourceDefinitionNames
	versions   []apiextv1.CustomResourceDefinitionVersion
	status     bool // status subresource
	scale      bool // scale subresource on .spec.replicas
	columns    []apiextv1.CustomResourceColumnDefinition
	definition func(version string) string
}

const ageColumn = ".metadata.creationTimestamp"

// kubevirtVersions are the versions of group kubevirt.io, as the API module
// declares them: v1 (storage) and the deprecated v1alpha3, same schema.
func kubevirtVersions() []apiextv1.CustomResourceDefinitionVersion {
	return append([]apiextv1.CustomResourceDefinitionVersion(nil), virtv1.ApiSupportedVersions...)
}

// poolVersions: KubeVirt 1.9's operator serves pool.kubevirt.io v1alpha1 and
// v1beta1 and stores v1beta1 (kubevirt.io/api has a package for each; their
// types are identical).
func poolVersions() []apiextv1.CustomResourceDefinitionVersion {
	return []apiextv1.CustomResourceDefinitionVersion{
		{Name: poolv1alpha1.SchemeGroupVersion.Version, Served: true},
		{Name: poolv1beta1.SchemeGroupVersion.Version, Served: true, Storage: true},
	}
}

func coreDef(typ string) func(string) string {
	// v1alpha3 is the same Go type served under an older name.
	return func(string) string { return "kubevirt.io/api/core/v1." + typ }
}

func kinds() []kind {
	replicaColumns := func(what string) []apiextv1.CustomResourceColumnDefinition {
		return []apiextv1.CustomResourceColumnDefinition{
			{Name: "Desired", Type: "integer", JSONPath: ".spec.replicas", Description: "Number of desired " + what},
			{Name: "Current", Type: "integer", JSONPath: ".status.replicas", Description: "Number of managed and not final or deleted " + what},
			{Name: "Ready", Type: "integer", JSONPath: ".status.readyReplicas", Description: "Number of managed " + what + " which are ready to receive traffic"},
			{Name: "Age", Type: "date", JSONPath: ageColumn},
		}
	}
	return []kind{
		{
			group: virtv1.VirtualMachineGroupVersionKind.Group,
			names: apiextv1.CustomResourceDefinitionNames{
				Plural: "virtualmachines", Singular: "virtualmachine", Kind: "VirtualMachine",
				ShortNames: []string{"vm", "vms"}, Categories: []string{"all"},
			},
			versions: kubevirtVersions(),
			status:   true,
			columns: []apiextv1.CustomResourceColumnDefinition{
				{Name: "Age", Type: "date", JSONPath: ageColumn},
				{Name: "Status", Type: "string", JSONPath: ".status.printableStatus", Description: "Human Readable Status"},
				{Name: "Ready", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].status"},
			},
			definition: coreDef("VirtualMachine"),
		},
		{
			group: virtv1.VirtualMachineInstanceGroupVersionKind.Group,
			names: apiextv1.CustomResourceDefinitionNames{
				Plural: "virtualmachineinstances", Singular: "virtualmachineinstance", Kind: "VirtualMachineInstance",
				ShortNames: []string{"vmi", "vmis"}, Categories: []string{"all"},
			},
			versions: kubevirtVersions(),
			// KubeVirt registers no status subresource for VMIs: virt-handler
			// writes their status through the main resource.
			columns: []apiextv1.CustomResourceColumnDefinition{
				{Name: "Age", Type: "date", JSONPath: ageColumn},
				{Name: "Phase", Type: "string", JSONPath: ".status.phase"},
				{Name: "IP", Type: "string", JSONPath: ".status.interfaces[0].ipAddress"},
				{Name: "NodeName", Type: "string", JSONPath: ".status.nodeName"},
				{Name: "Ready", Type: "string", JSONPath: ".status.conditions[?(@.type=='Ready')].status"},
				{Name: "Live-Migratable", Type: "string", JSONPath: ".status.conditions[?(@.type=='LiveMigratable')].status", Priority: 1},
				{Name: "Paused", Type: "string", JSONPath: ".status.conditions[?(@.type=='Paused')].status", Priority: 1},
			},
			definition: coreDef("VirtualMachineInstance"),
		},
		{
			group: virtv1.VirtualMachineInstanceReplicaSetGroupVersionKind.Group,
			names: apiextv1.CustomResourceDefinitionNames{
				Plural: "virtualmachineinstancereplicasets", Singular: "virtualmachineinstancereplicaset",
				Kind: "VirtualMachineInstanceReplicaSet", ShortNames: []string{"vmirs", "vmirss"}, Categories: []string{"all"},
			},
			versions:   kubevirtVersions(),
			status:     true,
			scale:      true,
			columns:    replicaColumns("VirtualMachineInstances"),
			definition: coreDef("VirtualMachineInstanceReplicaSet"),
		},
		{
			group: pool.GroupName,
			names: apiextv1.CustomResourceDefinitionNames{
				Plural: "virtualmachinepools", Singular: "virtualmachinepool", Kind: "VirtualMachinePool",
				ShortNames: []string{"vmpool", "vmpools"}, Categories: []string{"all"},
			},
			versions:   poolVersions(),
			status:     true,
			scale:      true,
			columns:    replicaColumns("VirtualMachines"),
			definition: func(v string) string { return "kubevirt.io/api/pool/" + v + ".VirtualMachinePool" },
		},
	}
}

// crd builds the CustomResourceDefinition of k, each version's schema from
// schemaOf.
func (k kind) crd(schemaOf func(version string) (*apiextv1.JSONSchemaProps, error)) (*apiextv1.CustomResourceDefinition, error) {
	names := k.names
	names.ListKind = names.Kind + "List"
	crd := &apiextv1.CustomResourceDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{Name: k.names.Plural + "." + k.group},
		Spec: apiextv1.CustomResourceDefinitionSpec{
			Group: k.group,
			Names: names,
			Scope: apiextv1.NamespaceScoped,
		},
	}
	for _, v := range k.versions {
		schema, err := schemaOf(v.Name)
		if err != nil {
			return nil, err
		}
		cv := v
		cv.Schema = &apiextv1.CustomResourceValidation{OpenAPIV3Schema: schema}
		cv.AdditionalPrinterColumns = k.columns
		if k.status || k.scale {
			cv.Subresources = &apiextv1.CustomResourceSubresources{}
		}
		if k.status {
			cv.Subresources.Status = &apiextv1.CustomResourceSubresourceStatus{}
		}
		if k.scale {
			cv.Subresources.Scale = &apiextv1.CustomResourceSubresourceScale{
				SpecReplicasPath:   ".spec.replicas",
				StatusReplicasPath: ".status.replicas",
				LabelSelectorPath:  ptr(".status.labelSelector"),
			}
		}
		crd.Spec.Versions = append(crd.Spec.Versions, cv)
	}
	return crd, nil
}
