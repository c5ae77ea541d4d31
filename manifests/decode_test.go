package manifests

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
)

// The kinds an install may contain, and nothing else: a kind not registered
// here (a Job, say, which the webhook must not need) fails decoding. RBAC is
// registered for the self-managed overlay, and TestRBAC allows it there only.
var decoder = func() runtime.Decoder {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, policyv1.AddToScheme,
		networkingv1.AddToScheme, admissionv1.AddToScheme, cmv1.AddToScheme, rbacv1.AddToScheme,
	} {
		utilruntime.Must(add(scheme))
	}
	// Strict: an unknown or duplicated field is an error, so a misspelt
	// field cannot slip through as silently ignored.
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}()

// install is one rendered kustomization, decoded into its Go types.
type install struct {
	dir          string
	namespace    *corev1.Namespace
	account      *corev1.ServiceAccount
	config       *corev1.ConfigMap
	service      *corev1.Service
	deployment   *appsv1.Deployment
	budget       *policyv1.PodDisruptionBudget
	policy       *networkingv1.NetworkPolicy
	mutating     *admissionv1.MutatingWebhookConfiguration
	validating   *admissionv1.ValidatingWebhookConfiguration
	certificates map[string]*cmv1.Certificate
	issuers      map[string]*cmv1.Issuer
	// secrets, and RBAC: the self-managed overlay's only.
	secrets             map[string]*corev1.Secret
	roles               map[string]*rbacv1.Role
	roleBindings        map[string]*rbacv1.RoleBinding
	clusterRoles        map[string]*rbacv1.ClusterRole
	clusterRoleBindings map[string]*rbacv1.ClusterRoleBinding
}

// decode turns one rendered object into its Go type, strictly.
func decode(u *unstructured.Unstructured) (runtime.Object, error) {
	data, err := json.Marshal(u.Object)
	if err != nil {
		return nil, err
	}
	obj, gvk, err := decoder.Decode(data, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", u.GetKind(), u.GetName(), err)
	}
	if *gvk != u.GroupVersionKind() {
		return nil, fmt.Errorf("%s %s decoded as %s", u.GetKind(), u.GetName(), gvk)
	}
	return obj, nil
}

// render renders and decodes dir; every object must be of a known kind and
// there must be exactly one of each singleton kind.
func render(t *testing.T, dir string) *install {
	t.Helper()
	objs, err := Render(dir)
	if err != nil {
		t.Fatal(err)
	}
	in := &install{dir: dir, certificates: map[string]*cmv1.Certificate{}, issuers: map[string]*cmv1.Issuer{},
		secrets: map[string]*corev1.Secret{}, roles: map[string]*rbacv1.Role{}, roleBindings: map[string]*rbacv1.RoleBinding{},
		clusterRoles: map[string]*rbacv1.ClusterRole{}, clusterRoleBindings: map[string]*rbacv1.ClusterRoleBinding{}}
	seen := map[string]bool{}
	once := func(kind string) {
		if seen[kind] {
			t.Fatalf("%s: more than one %s", dir, kind)
		}
		seen[kind] = true
	}
	for _, u := range objs {
		obj, err := decode(u)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		switch o := obj.(type) {
		case *corev1.Namespace:
			once("Namespace")
			in.namespace = o
		case *corev1.ServiceAccount:
			once("ServiceAccount")
			in.account = o
		case *corev1.ConfigMap:
			once("ConfigMap")
			in.config = o
		case *corev1.Service:
			once("Service")
			in.service = o
		case *appsv1.Deployment:
			once("Deployment")
			in.deployment = o
		case *policyv1.PodDisruptionBudget:
			once("PodDisruptionBudget")
			in.budget = o
		case *networkingv1.NetworkPolicy:
			once("NetworkPolicy")
			in.policy = o
		case *admissionv1.MutatingWebhookConfiguration:
			once("MutatingWebhookConfiguration")
			in.mutating = o
		case *admissionv1.ValidatingWebhookConfiguration:
			once("ValidatingWebhookConfiguration")
			in.validating = o
		case *cmv1.Certificate:
			in.certificates[o.Name] = o
		case *cmv1.Issuer:
			in.issuers[o.Name] = o
		case *corev1.Secret:
			in.secrets[o.Name] = o
		case *rbacv1.Role:
			in.roles[o.Name] = o
		case *rbacv1.RoleBinding:
			in.roleBindings[o.Name] = o
		case *rbacv1.ClusterRole:
			in.clusterRoles[o.Name] = o
		case *rbacv1.ClusterRoleBinding:
			in.clusterRoleBindings[o.Name] = o
		default:
			t.Fatalf("%s: unexpected %T %s", dir, obj, u.GetName())
		}
	}
	for _, kind := range []string{"Namespace", "ServiceAccount", "ConfigMap", "Service", "Deployment",
		"PodDisruptionBudget", "NetworkPolicy", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"} {
		if !seen[kind] {
			t.Fatalf("%s: no %s rendered", dir, kind)
		}
	}
	return in
}

// each runs f on every kustomization, as a subtest.
func each(t *testing.T, f func(t *testing.T, in *install)) {
	for _, dir := range Kustomizations {
		t.Run(dir, func(t *testing.T) { f(t, render(t, dir)) })
	}
}

func TestEveryKustomizationRendersAndDecodesStrictly(t *testing.T) {
	for _, dir := range Kustomizations {
		objs, err := Render(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range objs {
			if _, err := decode(u); err != nil {
				t.Errorf("%s: %v", dir, err)
			}
			// Namespaced objects belong to the webhook's namespace; the
			// webhook configurations are cluster-scoped.
			switch u.GetKind() {
			case "Namespace", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ClusterRole", "ClusterRoleBinding":
				if u.GetNamespace() != "" {
					t.Errorf("%s: %s %s is cluster-scoped but has namespace %q", dir, u.GetKind(), u.GetName(), u.GetNamespace())
				}
			default:
				if u.GetNamespace() != "vmnet-system" {
					t.Errorf("%s: %s %s in namespace %q, want vmnet-system", dir, u.GetKind(), u.GetName(), u.GetNamespace())
				}
			}
			if u.GetLabels()["app.kubernetes.io/name"] != "vmnet-webhook" {
				t.Errorf("%s: %s %s lacks label app.kubernetes.io/name=vmnet-webhook", dir, u.GetKind(), u.GetName())
			}
		}
	}
}

// The checks above are only worth something if the decoder refuses what it
// should.
func TestDecodeRefusesUnknownFieldsAndKinds(t *testing.T) {
	for _, tc := range []struct {
		name string
		obj  map[string]any
		want string
	}{
		{"misspelt field", map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "x"},
			"spec": map[string]any{"replicaz": 2},
		}, `unknown field "spec.replicaz"`},
		{"misspelt cert-manager field", map[string]any{
			"apiVersion": "cert-manager.io/v1", "kind": "Certificate", "metadata": map[string]any{"name": "x"},
			"spec": map[string]any{"dnsName": []any{"a"}},
		}, `unknown field "spec.dnsName"`},
		{"kind the webhook must not need", map[string]any{
			"apiVersion": "batch/v1", "kind": "Job", "metadata": map[string]any{"name": "x"},
		}, "no kind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decode(&unstructured.Unstructured{Object: tc.obj})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("decode: got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestRenderRefusesUnknownDirectory(t *testing.T) {
	if _, err := Render("overlays/nonexistent"); err == nil || !strings.Contains(err.Error(), "overlays/nonexistent") {
		t.Fatalf("Render: got %v, want an error naming the directory", err)
	}
}
