package base

import (
	"slices"
	"testing"

	admv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// The shipped configurations, as audit reads them: which webhooks the API
// server calls for a CREATE, by namespace.
func TestWebhooksCalls(t *testing.T) {
	webhooks, err := Webhooks()
	if err != nil {
		t.Fatal(err)
	}
	vm := schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachines"}
	vmi := vm
	vmi.Resource = "virtualmachineinstances"
	pool := schema.GroupVersionResource{Group: "pool.kubevirt.io", Version: "v1beta1", Resource: "virtualmachinepools"}
	pod := schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	ns := func(name string, kv ...string) labels.Set {
		l := labels.Set{"kubernetes.io/metadata.name": name}
		for i := 0; i < len(kv); i += 2 {
			l[kv[i]] = kv[i+1]
		}
		return l
	}
	for _, tc := range []struct {
		op        admv1.OperationType
		resource  schema.GroupVersionResource
		namespace labels.Set
		want      []string
	}{
		{admv1.Create, vm, ns("vms"), []string{"mutate.vmnet.kubevirt.io", "validate.vmnet.kubevirt.io"}},
		{admv1.Create, vmi, ns("vms"), []string{"mutate.vmnet.kubevirt.io", "validate-vmi.vmnet.kubevirt.io"}},
		{admv1.Create, pool, ns("vms"), []string{"mutate.vmnet.kubevirt.io", "validate.vmnet.kubevirt.io"}},
		{admv1.Update, vm, ns("vms"), []string{"validate-update.vmnet.kubevirt.io"}},
		{admv1.Create, vm, ns("vms", "vmnet.kubevirt.io/ignore", "true"), nil},
		{admv1.Create, vm, ns("vms", "vmnet.kubevirt.io/ignore", "false"), []string{"mutate.vmnet.kubevirt.io", "validate.vmnet.kubevirt.io"}},
		{admv1.Create, vm, ns("kube-system"), nil},
		{admv1.Create, vm, ns("vmnet-system"), nil},
		{admv1.Create, pod, ns("vms"), nil},
		{admv1.Delete, vm, ns("vms"), nil},
	} {
		var got []string
		for _, w := range webhooks {
			if w.Calls(tc.op, tc.resource, tc.namespace) {
				got = append(got, w.Name)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s %s in %v: calls %v, want %v", tc.op, tc.resource.Resource, tc.namespace, got, tc.want)
		}
	}
}
