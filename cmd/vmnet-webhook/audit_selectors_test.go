package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clienttesting "k8s.io/client-go/testing"
)

// installedConfigs are the two webhook configurations as an install that
// excludes namespace legacy stores them (the chart's excludedNamespaces).
func installedConfigs() []runtime.Object {
	webhook := func(name string) []any {
		return []any{map[string]any{"name": name,
			"rules": []any{map[string]any{"operations": []any{"CREATE"}, "apiGroups": []any{"kubevirt.io"},
				"apiVersions": []any{"v1"}, "resources": []any{"virtualmachines"}}},
			"namespaceSelector": map[string]any{"matchExpressions": []any{map[string]any{
				"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": []any{"legacy"}}}}}}
	}
	return []runtime.Object{
		fakeObject("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "", webhookConfigurationName,
			map[string]any{"webhooks": webhook("validate.vmnet.kubevirt.io")}),
		fakeObject("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "", webhookConfigurationName,
			map[string]any{"webhooks": webhook("mutate.vmnet.kubevirt.io")}),
	}
}

// Audit picks the objects the API server sends as the installed webhook
// configurations choose them, at each run; the base's selectors when none
// is installed, or, with a note, when this user may not read them.
func TestAuditFollowsTheInstalledSelectors(t *testing.T) {
	objs := []runtime.Object{namespace("shop", false), namespace("legacy", false),
		fakeVM("shop", "web", 49152, false), fakeVM("legacy", "old", 49152, false)}
	for _, tc := range []struct {
		name      string
		installed bool
		forbidden string // the resource whose get is refused
		want      []string
		note      string
	}{
		{"installed, legacy excluded", true, "", []string{"legacy/old skipped", "shop/web refused"}, ""},
		{"none installed", false, "", []string{"legacy/old refused", "shop/web refused"}, ""},
		{"validating forbidden", true, "validatingwebhookconfigurations", []string{"legacy/old refused", "shop/web refused"},
			"namespaces chosen as manifests/base installs the webhook: this user may not get validatingwebhookconfigurations.admissionregistration.k8s.io vmnet-webhook"},
		{"mutating forbidden", true, "mutatingwebhookconfigurations", []string{"legacy/old refused", "shop/web refused"},
			"this user may not get mutatingwebhookconfigurations.admissionregistration.k8s.io vmnet-webhook"},
	} {
		all := slices.Clone(objs)
		if tc.installed {
			all = append(all, installedConfigs()...)
		}
		a, dyn := fakeCluster(t, false, all...)
		if tc.forbidden != "" {
			dyn.PrependReactor("get", tc.forbidden, func(clienttesting.Action) (bool, runtime.Object, error) {
				return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "admissionregistration.k8s.io", Resource: tc.forbidden}, webhookConfigurationName, nil)
			})
		}
		items, sum, err := a.run(context.Background(), nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got []string
		for _, it := range items {
			got = append(got, it.Namespace+"/"+it.Name+" "+it.Result)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
		if !strings.Contains(sum.Note, tc.note) || (tc.note == "") != (sum.Note == "") || tc.note != "" && !strings.HasSuffix(sum.String(), "; "+sum.Note) {
			t.Errorf("%s: note %q in %q, want %q", tc.name, sum.Note, sum.String(), tc.note)
		}
	}
}
