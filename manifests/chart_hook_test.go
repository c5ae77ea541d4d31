package manifests

import (
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/diff"
)

// withoutHooks drops Helm's hooks: they run around helm's own steps and
// have no counterpart in the overlays (make undeploy deletes the webhook
// configurations first itself).
func withoutHooks(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, u := range objs {
		if _, ok := u.GetAnnotations()["helm.sh/hook"]; !ok {
			out = append(out, u)
		}
	}
	return out
}

// hookObjects are the hooks of the rendering, by kind.
func hookObjects(t *testing.T, objs []*unstructured.Unstructured) map[string]*unstructured.Unstructured {
	t.Helper()
	out := map[string]*unstructured.Unstructured{}
	for _, u := range objs {
		if _, ok := u.GetAnnotations()["helm.sh/hook"]; ok {
			if out[u.GetKind()] != nil {
				t.Errorf("two hooks of kind %s", u.GetKind())
			}
			out[u.GetKind()] = u
		}
	}
	return out
}

func fromUnstructured[T any](t *testing.T, u *unstructured.Unstructured) *T {
	t.Helper()
	var v T
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, &v, true); err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
	return &v
}

// The chart's only hook is pre-delete: a Job running the webhook's image's
// uninstall-webhooks on the two configurations the chart installs, after
// (by weight) its ServiceAccount and RBAC, which allow get and delete of
// those two by name and nothing else. Every hook object carries the
// install's part-of label and is deleted by Helm once it succeeded; the
// Job's pod is as locked down as the webhook's, and placed as it is.
func TestChartUninstallHook(t *testing.T) {
	for _, s := range chartCases {
		t.Run(s.name, func(t *testing.T) {
			objs := renderChart(t, s, "vmnet-system")
			hooks := hookObjects(t, objs)
			var kinds []string
			for k := range hooks {
				kinds = append(kinds, k)
			}
			slices.Sort(kinds)
			if want := []string{"ClusterRole", "ClusterRoleBinding", "Job", "ServiceAccount"}; !slices.Equal(kinds, want) {
				t.Fatalf("hooks %v, want %v", kinds, want)
			}
			for kind, u := range hooks {
				a := u.GetAnnotations()
				weight := "-10"
				if kind == "Job" {
					weight = "0"
				}
				if u.GetName() != "vmnet-webhook-uninstall" || a["helm.sh/hook"] != "pre-delete" || a["helm.sh/hook-weight"] != weight ||
					a["helm.sh/hook-delete-policy"] != "before-hook-creation,hook-succeeded" {
					t.Errorf("%s %s: annotations %v", kind, u.GetName(), a)
				}
				if u.GetLabels()["app.kubernetes.io/part-of"] != "vmnet-webhook" {
					t.Errorf("%s %s: labels %v lack part-of", kind, u.GetName(), u.GetLabels())
				}
			}
			if a := hooks["Job"].GetAnnotations()["helm.sh/hook-output-log-policy"]; a != "hook-failed" {
				t.Errorf("Job: hook-output-log-policy %q, want hook-failed (helm prints the log of a failed hook)", a)
			}

			role := fromUnstructured[rbacv1.ClusterRole](t, hooks["ClusterRole"])
			want := []rbacv1.PolicyRule{{APIGroups: []string{"admissionregistration.k8s.io"},
				Resources:     []string{"mutatingwebhookconfigurations", "validatingwebhookconfigurations"},
				ResourceNames: []string{"vmnet-webhook"}, Verbs: []string{"get", "delete"}}}
			if !equality.Semantic.DeepEqual(role.Rules, want) {
				t.Errorf("ClusterRole rules:\n%s", diff.Diff(want, role.Rules))
			}
			binding := fromUnstructured[rbacv1.ClusterRoleBinding](t, hooks["ClusterRoleBinding"])
			if binding.RoleRef.Name != role.Name || len(binding.Subjects) != 1 || binding.Subjects[0].Kind != "ServiceAccount" ||
				binding.Subjects[0].Name != hooks["ServiceAccount"].GetName() || binding.Subjects[0].Namespace != "vmnet-system" {
				t.Errorf("ClusterRoleBinding %+v does not bind the ClusterRole to the hook's ServiceAccount", binding)
			}

			// The names the hook deletes are those the chart installs.
			var confNames []string
			var deploy *appsv1.Deployment
			for _, u := range withoutHooks(objs) {
				switch u.GetKind() {
				case "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration":
					confNames = append(confNames, u.GetName())
				case "Deployment":
					deploy = fromUnstructured[appsv1.Deployment](t, u)
				}
			}
			job := fromUnstructured[batchv1.Job](t, hooks["Job"])
			pod := job.Spec.Template.Spec
			c := pod.Containers[0]
			wc := deploy.Spec.Template.Spec.Containers[0]
			if want := []string{"uninstall-webhooks", "--name=" + confNames[0], "--timeout=60s"}; len(confNames) != 2 || confNames[0] != confNames[1] ||
				!slices.Equal(c.Args, want) {
				t.Errorf("Job args %v, configurations %v", c.Args, confNames)
			}
			if c.Image != wc.Image || c.ImagePullPolicy != wc.ImagePullPolicy {
				t.Errorf("Job image %s (%s), the webhook's %s (%s)", c.Image, c.ImagePullPolicy, wc.Image, wc.ImagePullPolicy)
			}
			if pod.ServiceAccountName != hooks["ServiceAccount"].GetName() || pod.RestartPolicy != corev1.RestartPolicyNever ||
				job.Spec.BackoffLimit == nil || job.Spec.ActiveDeadlineSeconds == nil {
				t.Errorf("Job: serviceAccountName %q restartPolicy %q backoffLimit %v activeDeadlineSeconds %v",
					pod.ServiceAccountName, pod.RestartPolicy, job.Spec.BackoffLimit, job.Spec.ActiveDeadlineSeconds)
			}
			wp := deploy.Spec.Template.Spec
			for what, pair := range map[string][2]any{
				"pod securityContext":       {pod.SecurityContext, wp.SecurityContext},
				"container securityContext": {c.SecurityContext, wc.SecurityContext},
				"nodeSelector":              {pod.NodeSelector, wp.NodeSelector},
				"tolerations":               {pod.Tolerations, wp.Tolerations},
				"imagePullSecrets":          {pod.ImagePullSecrets, wp.ImagePullSecrets},
			} {
				if !equality.Semantic.DeepEqual(pair[0], pair[1]) {
					t.Errorf("Job's %s differs from the webhook's (- webhook, + Job):\n%s", what, diff.Diff(pair[1], pair[0]))
				}
			}
			for k, v := range s.placement.podLabels {
				if job.Spec.Template.Labels[k] != v {
					t.Errorf("Job's pod labels %v lack %s=%v", job.Spec.Template.Labels, k, v)
				}
			}
			for k, v := range s.placement.podAnnotations {
				if job.Spec.Template.Annotations[k] != v {
					t.Errorf("Job's pod annotations %v lack %s=%v", job.Spec.Template.Annotations, k, v)
				}
			}
			// Not one of the pods the Service, PDB and NetworkPolicy select.
			if labels.SelectorFromSet(deploy.Spec.Selector.MatchLabels).Matches(labels.Set(job.Spec.Template.Labels)) {
				t.Errorf("the Job's pod labels %v match the webhook's selector", job.Spec.Template.Labels)
			}
		})
	}
}

// uninstallHook.enabled=false, for a chart rendered and applied without helm
// install: no hook, and the rest as with it.
func TestChartUninstallHookOff(t *testing.T) {
	with, err := helm(t, "template", "vmnet-webhook", chartDir, "--namespace", "vmnet-system")
	if err != nil {
		t.Fatal(err)
	}
	without, err := helm(t, "template", "vmnet-webhook", chartDir, "--namespace", "vmnet-system", "--set", "uninstallHook.enabled=false")
	if err != nil {
		t.Fatal(err)
	}
	a, err := splitYAML(with)
	if err != nil {
		t.Fatal(err)
	}
	b, err := splitYAML(without)
	if err != nil {
		t.Fatal(err)
	}
	if hooks := hookObjects(t, b); len(hooks) != 0 {
		t.Errorf("uninstallHook.enabled=false renders hooks %v", hooks)
	}
	if rest := withoutHooks(a); !equality.Semantic.DeepEqual(rest, b) {
		t.Errorf("uninstallHook.enabled=false changes more than the hook: %d objects, want %d", len(b), len(rest))
	}
}
