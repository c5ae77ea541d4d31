package manifests

import (
	"encoding/json"
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
)

// manifests/audit is one ClusterRole granting get and list on what
// `vmnet-webhook audit` reads, and nothing else. The end-to-end test
// TestAuditAsLeastPrivilegedUser shows it is enough.
func TestAuditClusterRole(t *testing.T) {
	objs, err := Render("audit")
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	utilruntime.Must(rbacv1.AddToScheme(scheme))
	dec := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	if len(objs) != 1 {
		t.Fatalf("manifests/audit renders %d objects, want the ClusterRole alone", len(objs))
	}
	b, err := json.Marshal(objs[0].Object)
	if err != nil {
		t.Fatal(err)
	}
	obj, _, err := dec.Decode(b, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	role, ok := obj.(*rbacv1.ClusterRole)
	if !ok || role.Name != "vmnet-webhook-audit" {
		t.Fatalf("manifests/audit renders %T %s, want ClusterRole vmnet-webhook-audit", obj, objs[0].GetName())
	}
	want := map[string]bool{
		"kubevirt.io/virtualmachines": true, "kubevirt.io/virtualmachineinstances": true,
		"kubevirt.io/virtualmachineinstancereplicasets": true, "pool.kubevirt.io/virtualmachinepools": true,
		"/namespaces": true,
	}
	got := map[string]bool{}
	for _, r := range role.Rules {
		if v := slices.Sorted(slices.Values(r.Verbs)); !slices.Equal(v, []string{"get", "list"}) {
			t.Errorf("rule %v: verbs %v, want get and list only", r, r.Verbs)
		}
		if len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
			t.Errorf("rule %v: names or URLs, want resources only", r)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				got[g+"/"+res] = true
			}
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("no get and list on %s", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("grants %s, which audit does not read", k)
		}
	}
}

// The in-cluster audit's ClusterRole reads what audit reads, get and list
// only, and writes PolicyReports and nothing else.
func TestAuditComponentClusterRole(t *testing.T) {
	objs := renderOverlay(t, settings{mode: "self-managed", audit: true})
	var role *rbacv1.ClusterRole
	for _, u := range objs {
		if u.GetKind() == "ClusterRole" && u.GetName() == "vmnet-webhook-audit-in-cluster" {
			obj, err := decode(u)
			if err != nil {
				t.Fatal(err)
			}
			role = obj.(*rbacv1.ClusterRole)
		}
	}
	if role == nil {
		t.Fatal("the overlay with components/audit has no ClusterRole vmnet-webhook-audit-in-cluster")
	}
	read := []string{"get", "list"}
	want := map[string][]string{
		"kubevirt.io/virtualmachines": read, "kubevirt.io/virtualmachineinstances": read,
		"kubevirt.io/virtualmachineinstancereplicasets": read, "pool.kubevirt.io/virtualmachinepools": read,
		"/namespaces": read, "wgpolicyk8s.io/policyreports": {"create", "delete", "get", "list", "update"},
	}
	got := map[string][]string{}
	for _, r := range role.Rules {
		if len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
			t.Errorf("rule %v: names or URLs, want resources only", r)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				got[g+"/"+res] = slices.Sorted(slices.Values(r.Verbs))
			}
		}
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			t.Errorf("%s: verbs %v, want %v", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("grants %s, which the audit does not use", k)
		}
	}
}
