package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/vmnet-webhook/vmnet-webhook/manifests"
)

// certManagerCRDs is where `make e2e-tools` generates cert-manager's CRDs
// from its Go API types.
const certManagerCRDs = "bin/crds-cert-manager"

// prometheusOperatorCRDs is where `make e2e-tools` copies the
// ServiceMonitor and PrometheusRule CRDs the prometheus-operator release ships.
const prometheusOperatorCRDs = "bin/crds-prometheus-operator"

// withComponents are the overlays checked again with every monitoring
// component, in the order docs/operations.md gives.
var withComponents = map[string][]string{
	"overlays/self-managed": {"prometheus-rule", "service-monitor", "metrics-auth"},
	"overlays/cert-manager": {"prometheus-rule", "service-monitor", "metrics-auth"},
	"overlays/openshift":    {"prometheus-rule", "service-monitor", "metrics-auth", "metrics-auth-openshift"},
}

// Every object the base and both overlays render passes server-side dry-run
// (`kubectl apply --server-side --dry-run=server`): the API server decodes it
// strictly (cert-manager's kinds against CRDs generated from cert-manager's
// Go types; cert-manager's own validating webhook is not there), validates it, runs its admission (the priority class, and Pod
// Security "restricted", which the Namespace enforces, on a Pod made from the
// Deployment's template) and stores nothing. No warning is returned. The
// Namespace and ServiceAccount are created for real first, since a dry run
// never stores them and the namespaced objects and the Pod need them.
func TestManifestsPassServerSideDryRun(t *testing.T) {
	ctx := context.Background()
	dc, warns := client(t)
	cfg := rest.CopyConfig(cp.Config)
	cfg.QPS = -1
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	haveCertManager := installCertManagerCRDs(t)
	havePrometheusOperator := installCRDs(t, prometheusOperatorCRDs)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))

	apply := func(t *testing.T, obj *unstructured.Unstructured, dryRun bool) {
		t.Helper()
		gvk := obj.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) && gvk.Group == "cert-manager.io" && !haveCertManager {
			t.Skipf("%s: cert-manager's CRDs are not installed (%s is missing: run make e2e-tools)", gvk, certManagerCRDs)
		}
		if meta.IsNoMatchError(err) && gvk.Group == "monitoring.coreos.com" && !havePrometheusOperator {
			t.Skipf("%s: the prometheus-operator CRDs are not installed (%s is missing: run make e2e-tools)", gvk, prometheusOperatorCRDs)
		}
		if err != nil {
			t.Fatalf("%s: %v", gvk, err)
		}
		body, err := json.Marshal(obj.Object)
		if err != nil {
			t.Fatal(err)
		}
		opts := metav1.PatchOptions{FieldManager: "vmnet-e2e", Force: new(true), FieldValidation: "Strict"}
		if dryRun {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		ri := dc.Resource(m.Resource)
		var res *unstructured.Unstructured
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			res, err = ri.Namespace(obj.GetNamespace()).Patch(ctx, obj.GetName(), types.ApplyPatchType, body, opts)
		} else {
			res, err = ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, body, opts)
		}
		if err != nil {
			t.Fatalf("apply %s %s/%s: %v", gvk.Kind, obj.GetNamespace(), obj.GetName(), err)
		}
		if res.GetName() != obj.GetName() || res.GetKind() != obj.GetKind() {
			t.Errorf("answer is %s %s", res.GetKind(), res.GetName())
		}
	}

	// The webhook configurations have the names of those the shared webhook
	// registered: take those away meanwhile, so that the dry run is a create.
	withoutWebhooks(t, func() {
		type render struct {
			name       string
			dir        string
			components []string
		}
		var renders []render
		for _, k := range manifests.Kustomizations {
			renders = append(renders, render{k, k, nil})
			if c := withComponents[k]; c != nil {
				renders = append(renders, render{k + "+" + strings.Join(c, "+"), k, c})
			}
		}
		for _, r := range renders {
			k := r.name
			objs, err := manifests.RenderWith(r.dir, r.components...)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range objs {
				if o.GetKind() == "Namespace" || o.GetKind() == "ServiceAccount" {
					apply(t, o, false)
				}
			}
			for _, o := range objs {
				t.Run(k+"/"+o.GetKind()+"/"+o.GetName(), func(t *testing.T) {
					before := len(warns.get())
					apply(t, o, true)
					if w := warns.get()[before:]; len(w) > 0 {
						t.Errorf("warnings: %q", w)
					}
					if o.GetKind() == "Deployment" {
						apply(t, podOf(t, o), true)
					}
				})
			}
		}
		// Only the namespace was stored.
		if _, err := kubernetesClient(t).AppsV1().Deployments("vmnet-system").Get(ctx, "vmnet-webhook", metav1.GetOptions{}); err == nil {
			t.Errorf("the dry run stored the Deployment")
		}
		if _, err := kubernetesClient(t).AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "vmnet-webhook", metav1.GetOptions{}); err == nil {
			t.Errorf("the dry run stored the ValidatingWebhookConfiguration")
		}
	})
}

// podOf is a Pod with a Deployment's pod template.
func podOf(t *testing.T, deploy *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	// Through JSON: rendered objects hold Go ints, which NestedMap cannot copy.
	b, err := json.Marshal(deploy.Object)
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	tmpl, ok, err := unstructured.NestedMap(d, "spec", "template")
	if !ok || err != nil {
		t.Fatalf("Deployment %s has no pod template: %v", deploy.GetName(), err)
	}
	pod := &unstructured.Unstructured{Object: tmpl}
	pod.SetAPIVersion("v1")
	pod.SetKind("Pod")
	pod.SetNamespace(deploy.GetNamespace())
	pod.SetName(deploy.GetName() + "-template")
	return pod
}

// installCertManagerCRDs installs the CRDs in bin/crds-cert-manager, if
// they were generated, and waits until they are served.
func installCertManagerCRDs(t *testing.T) bool {
	t.Helper()
	return installCRDs(t, certManagerCRDs)
}

// installCRDs installs the CRDs in the directory crds (relative to the
// repository), if it is there, and waits until they are served.
func installCRDs(t *testing.T, crds string) bool {
	t.Helper()
	dir := filepath.Join(root, crds)
	if _, err := os.Stat(dir); err != nil {
		return false
	}
	mustKubectl(t, "", "apply", "--server-side", "-f", dir)
	mustKubectl(t, "", "wait", "--for=condition=Established", "--timeout=60s", "-f", dir)
	return true
}
