package main

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	discoveryfake "k8s.io/client-go/discovery/fake"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	clienttesting "k8s.io/client-go/testing"

	"github.com/vmnet-webhook/vmnet-webhook/manifests/base"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
)

// What audit says the webhook adds, for the examples' patches as the
// rules make them on a dual-stack cluster: every kind of operation the
// mutating rules make has its words.
func TestAuditAdditions(t *testing.T) {
	cfg := config.Default()
	cfg.IPv6.PodNetworkIPv6 = true
	p := previewer{cfg: cfg, mutate: rules.Mutate, validate: rules.Validate}
	for file, want := range map[string][]string{
		"bare-vm.yaml":             {"masquerade interface", "pod network", "MAC address", "IPv6 networkData", "cloud-init disk"},
		"replicaset.yaml":          {"masquerade binding"},
		"userdata-kept.yaml":       {"MAC address", "IPv6 networkData"},
		"own-mac.yaml":             {"IPv6 networkData", "cloud-init disk"},
		"guide-dual-stack-vm.yaml": nil,
		"opt-out.yaml":             nil,
	} {
		docs, err := readDocuments(filepath.Join("..", "..", "examples", file), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := docs[0].defaultNamespace("default"); err != nil {
			t.Fatal(err)
		}
		a, err := p.admit(docs[0], nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := additions(a.patch)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: additions %q, want %q (patch %s)", file, got, want, a.patch)
		}
	}
}

// Paths the examples do not reach: devices added whole, a key the words
// do not know, escaped keys.
func TestAuditAdditionsOfPaths(t *testing.T) {
	for patch, want := range map[string][]string{
		`[{"op":"add","path":"/spec/domain/devices","value":{"interfaces":[{"name":"default","masquerade":{}}]}}]`: {"masquerade interface"},
		`[{"op":"add","path":"/spec/domain/devices","value":{"disks":[{"name":"cloudinitdisk"}]}}]`:                {"cloud-init disk"},
		`[{"op":"add","path":"/spec/networks/0/pod/vmIPv6NetworkCIDR","value":"fd00::/64"}]`:                       {"vmIPv6NetworkCIDR"},
		`[{"op":"add","path":"/metadata/annotations/a~1b","value":"x"}]`:                                           {"a/b"},
		`[{"op":"add","path":"/spec/volumes/-","value":{}},{"op":"add","path":"/spec/volumes/2","value":{}}]`:      {"IPv6 networkData"},
		`[]`: nil,
	} {
		got, err := additions([]byte(patch))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: additions %q, want %q", patch, got, want)
		}
	}
	if _, err := additions([]byte(`{}`)); err == nil {
		t.Error("a patch that is not a list: no error")
	}
}

// Flags audit refuses before it reads a kubeconfig: exit status 2.
func TestAuditUsage(t *testing.T) {
	for _, args := range [][]string{
		{"audit", "-o", "wide"},
		{"audit", "-A", "-n", "vms"},
		{"audit", "--chunk-size", "0"},
		{"audit", "--enforcement", "warn"},
		{"audit", "-l", "a=(b"},
		{"audit", "--pod-ips", "not-an-ip"},
		{"audit", "extra"},
	} {
		if s, out, e := runCmd(t, "", args...); s != 2 || out != "" || e == "" {
			t.Errorf("%v: status %d stdout %q stderr %q, want 2 and a message", args, s, out, e)
		}
	}
}

// Each failed request is one line saying what to do; a refused permission
// names the verb and resource to grant.
func TestAuditAPIErrors(t *testing.T) {
	a := &auditor{host: "https://api.example:6443"}
	vms := schema.GroupResource{Group: "kubevirt.io", Resource: "virtualmachines"}
	for _, tc := range []struct {
		verb, resource, ns string
		err                error
		want               string
	}{
		{"list", "virtualmachines.kubevirt.io", "", apierrors.NewForbidden(vms, "", errors.New("no")),
			`forbidden: this user may not list virtualmachines.kubevirt.io in all namespaces; grant "list" on virtualmachines.kubevirt.io (manifests/audit has the roles with all that audit needs)`},
		{"list", "virtualmachines.kubevirt.io", "shop", apierrors.NewForbidden(vms, "", errors.New("no")),
			`forbidden: this user may not list virtualmachines.kubevirt.io in namespace shop; grant "list" on virtualmachines.kubevirt.io (manifests/audit has the roles with all that audit needs)`},
		{"discover", "/apis", "", apierrors.NewForbidden(schema.GroupResource{}, "", errors.New("no")),
			"forbidden: this user may not read the API's discovery documents (/apis), which the default ClusterRole system:discovery lets every authenticated user read"},
		{"get", "namespaces", "", apierrors.NewUnauthorized("who?"),
			"unauthorized: the API server at https://api.example:6443 does not accept the kubeconfig's credentials"},
		{"list", "virtualmachines.kubevirt.io", "", apierrors.NewResourceExpired("too old"),
			"list virtualmachines.kubevirt.io in all namespaces: the list expired between two pages; run audit again (too old)"},
		{"list", "namespaces", "", errors.New("dial tcp 10.0.0.1:6443: connect: connection refused"),
			"cannot reach the API server at https://api.example:6443: dial tcp 10.0.0.1:6443: connect: connection refused"},
	} {
		if got := a.apiError(tc.verb, tc.resource, tc.ns, tc.err).Error(); got != tc.want {
			t.Errorf("%s %s %q: %v\n got %q\nwant %q", tc.verb, tc.resource, tc.ns, tc.err, got, tc.want)
		}
	}
}

// The auditor against fake clients: a cluster without pools, a VM with a
// reserved port, a VMI its VM controls, a namespace opted out. The real
// API server (paging included) is in e2e/audit_test.go.
func TestAuditorOnFakeCluster(t *testing.T) {
	vm := func(ns, name string, port int) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
			"metadata": map[string]any{"name": name, "namespace": ns},
			"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
				"domain": map[string]any{"devices": map[string]any{"interfaces": []any{
					map[string]any{"name": "default", "masquerade": map[string]any{}, "ports": []any{map[string]any{"port": int64(port)}}}}}},
				"networks": []any{map[string]any{"name": "default", "pod": map[string]any{}}}}}},
		}}
	}
	// Network data in a Secret: audit cannot read it, and says so.
	secret := vm("shop", "cfg", 8080)
	_ = unstructured.SetNestedSlice(secret.Object, []any{map[string]any{"name": "ci",
		"cloudInitNoCloud": map[string]any{"networkDataSecretRef": map[string]any{"name": "cfg-network"}}}},
		"spec", "template", "spec", "volumes")
	vmi := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
		"metadata": map[string]any{"name": "web", "namespace": "shop", "ownerReferences": []any{map[string]any{
			"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "name": "web", "uid": "1", "controller": true}}},
		"spec": map[string]any{},
	}}
	ns := func(name string, labels map[string]any) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace",
			"metadata": map[string]any{"name": name, "labels": labels}}}
	}
	scheme := runtime.NewScheme()
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme, map[schema.GroupVersionResource]string{
		{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachines"}:                   "VirtualMachineList",
		{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachineinstances"}:           "VirtualMachineInstanceList",
		{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachineinstancereplicasets"}: "VirtualMachineInstanceReplicaSetList",
		{Version: "v1", Resource: "namespaces"}:                                              "NamespaceList",
	},
		ns("shop", map[string]any{"kubernetes.io/metadata.name": "shop"}),
		ns("legacy", map[string]any{"kubernetes.io/metadata.name": "legacy", "vmnet.kubevirt.io/ignore": "true"}),
		vm("shop", "web", 49152), vm("shop", "db", 5432), vm("legacy", "old", 49153), secret, vmi)
	disco := &discoveryfake.FakeDiscovery{Fake: &clienttesting.Fake{Resources: []*metav1.APIResourceList{{
		GroupVersion: "kubevirt.io/v1",
		APIResources: []metav1.APIResource{{Name: "virtualmachines"}, {Name: "virtualmachineinstances"}, {Name: "virtualmachineinstancereplicasets"}},
	}}}}
	wh, err := base.Webhooks()
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.IPv6.Inject = config.InjectNever
	a := &auditor{client: dyn, discovery: disco, host: "fake", webhooks: wh, chunkSize: 500,
		admission: previewer{cfg: cfg, mutate: rules.Mutate, validate: rules.Validate}}
	items, sum, err := a.run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.Namespace+"/"+it.Name+" "+it.Result)
	}
	if want := []string{"legacy/old skipped", "shop/cfg admitted", "shop/db admitted", "shop/web refused"}; !slices.Equal(got, want) {
		t.Errorf("items %q, want %q", got, want)
	}
	const notChecked = "spec.template.spec.volumes[0].cloudInitNoCloud.networkDataSecretRef"
	for _, it := range items {
		if want := it.Name == "cfg"; want != slices.Equal(it.NotChecked, []string{notChecked}) {
			t.Errorf("%s: not checked %q", it.Name, it.NotChecked)
		}
	}
	var table strings.Builder
	if err := writeTable(&table, items); err != nil || !strings.Contains(table.String(), "not checked   "+notChecked+": in a Secret") {
		t.Errorf("table (%v):\n%s", err, table.String())
	}
	// A namespace named twice is audited once.
	items, _, err = a.run(context.Background(), []string{"shop", "shop"})
	if err != nil || len(items) != 3 {
		t.Errorf("-n shop -n shop: %d items, %v; want 3", len(items), err)
	}
	want := "audited 3 objects: 1 would be refused, 0 would be changed, 0 would get warnings; not audited: " +
		"1 in a namespace the webhook skips, 1 made by a controller from a template audited here; " +
		"not served by the cluster: virtualmachinepools.pool.kubevirt.io"
	if sum.String() != want {
		t.Errorf("summary\n %q\nwant\n %q", sum, want)
	}
}

// --help says what audit judges, its exit statuses and its flags; exit 0.
func TestAuditHelp(t *testing.T) {
	s, out, e := runCmd(t, "", "audit", "--help")
	if s != 0 || out != "" || !strings.HasPrefix(e, "Usage: vmnet-webhook audit [flags]\n") ||
		!strings.Contains(e, "Exit status: 0 nothing would be refused, 1 something would, 2 an error.") ||
		!strings.Contains(e, "--pod-ips string") || strings.Contains(e, "--enforcement") {
		t.Errorf("audit --help: status %d stdout %q stderr:\n%s", s, out, e)
	}
}
