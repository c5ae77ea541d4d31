package manifests

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
)

// manifests/audit is a ClusterRole granting get and list on what
// `vmnet-webhook audit` reads cluster-wide, get on the webhook's two
// configurations alone, and a Role in the webhook's
// namespace to read its Service, Pods and ConfigMap; nothing else. The
// end-to-end test TestAuditAsLeastPrivilegedUser shows it is enough.
func TestAuditClusterRole(t *testing.T) {
	objs, err := Render("audit")
	if err != nil {
		t.Fatal(err)
	}
	scheme := runtime.NewScheme()
	utilruntime.Must(rbacv1.AddToScheme(scheme))
	dec := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	if len(objs) != 2 {
		t.Fatalf("manifests/audit renders %d objects, want the ClusterRole and the Role", len(objs))
	}
	got := map[string]string{}
	for _, u := range objs {
		b, err := json.Marshal(u.Object)
		if err != nil {
			t.Fatal(err)
		}
		obj, _, err := dec.Decode(b, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		var rules []rbacv1.PolicyRule
		scope := ""
		switch o := obj.(type) {
		case *rbacv1.ClusterRole:
			rules = o.Rules
			if o.Name != "vmnet-webhook-audit" {
				t.Errorf("ClusterRole %s, want vmnet-webhook-audit", o.Name)
			}
		case *rbacv1.Role:
			rules, scope = o.Rules, o.Namespace+":"
			if o.Name != "vmnet-webhook-audit" || o.Namespace != "vmnet-system" {
				t.Errorf("Role %s/%s, want vmnet-system/vmnet-webhook-audit", o.Namespace, o.Name)
			}
		default:
			t.Fatalf("manifests/audit renders a %T", obj)
		}
		for _, r := range rules {
			if len(r.NonResourceURLs) > 0 {
				t.Errorf("rule %v: URLs, want resources only", r)
			}
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					got[scope+g+"/"+res] = strings.Join(slices.Sorted(slices.Values(r.Verbs)), ",") + strings.Join(r.ResourceNames, ",")
				}
			}
		}
	}
	want := map[string]string{
		"kubevirt.io/virtualmachines": "get,list", "kubevirt.io/virtualmachineinstances": "get,list",
		"kubevirt.io/virtualmachineinstancereplicasets": "get,list", "pool.kubevirt.io/virtualmachinepools": "get,list",
		"/namespaces": "get,list", "vmnet-system:/services": "get", "vmnet-system:/configmaps": "get", "vmnet-system:/pods": "list",
		"admissionregistration.k8s.io/validatingwebhookconfigurations": "getvmnet-webhook",
		"admissionregistration.k8s.io/mutatingwebhookconfigurations":   "getvmnet-webhook",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("grants %s, which audit does not read", k)
		}
	}
}

// The in-cluster audit's ClusterRole reads what audit reads, get and list
// only (the webhook's configurations by name), and writes PolicyReports and
// nothing else.
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
	read, byName := []string{"get", "list"}, []string{"get", "name vmnet-webhook"}
	want := map[string][]string{
		"kubevirt.io/virtualmachines": read, "kubevirt.io/virtualmachineinstances": read,
		"kubevirt.io/virtualmachineinstancereplicasets": read, "pool.kubevirt.io/virtualmachinepools": read,
		"/namespaces": read, "wgpolicyk8s.io/policyreports": {"create", "delete", "get", "list", "update"},
		"admissionregistration.k8s.io/validatingwebhookconfigurations": byName,
		"admissionregistration.k8s.io/mutatingwebhookconfigurations":   byName,
	}
	got := map[string][]string{}
	for _, r := range role.Rules {
		if len(r.NonResourceURLs) > 0 {
			t.Errorf("rule %v: URLs, want resources only", r)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				got[g+"/"+res] = slices.Sorted(slices.Values(r.Verbs))
				for _, name := range r.ResourceNames {
					got[g+"/"+res] = append(got[g+"/"+res], "name "+name)
				}
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
