package manifests

import (
	"slices"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// The paths the server serves (issue 3): one for mutation, one for all
// validation.
const (
	mutatePath   = "/mutate"
	validatePath = "/validate"
)

// webhook is what the mutating and validating webhooks have in common.
type webhook struct {
	name                    string
	client                  admissionv1.WebhookClientConfig
	rules                   []admissionv1.RuleWithOperations
	failurePolicy           *admissionv1.FailurePolicyType
	matchPolicy             *admissionv1.MatchPolicyType
	namespaceSelector       *metav1.LabelSelector
	objectSelector          *metav1.LabelSelector
	sideEffects             *admissionv1.SideEffectClass
	timeoutSeconds          *int32
	admissionReviewVersions []string
}

func (in *install) webhooks() []webhook {
	var all []webhook
	for _, w := range in.mutating.Webhooks {
		all = append(all, webhook{w.Name, w.ClientConfig, w.Rules, w.FailurePolicy, w.MatchPolicy,
			w.NamespaceSelector, w.ObjectSelector, w.SideEffects, w.TimeoutSeconds, w.AdmissionReviewVersions})
	}
	for _, w := range in.validating.Webhooks {
		all = append(all, webhook{w.Name, w.ClientConfig, w.Rules, w.FailurePolicy, w.MatchPolicy,
			w.NamespaceSelector, w.ObjectSelector, w.SideEffects, w.TimeoutSeconds, w.AdmissionReviewVersions})
	}
	return all
}

func TestWebhookNamesPathsAndFailurePolicies(t *testing.T) {
	// The failure policies are argued at the top of webhook-configurations.yaml
	// and in the README.
	want := map[string]struct {
		path   string
		policy admissionv1.FailurePolicyType
	}{
		"mutate.vmnet.kubevirt.io":          {mutatePath, admissionv1.Ignore},
		"validate.vmnet.kubevirt.io":        {validatePath, admissionv1.Fail},
		"validate-vmi.vmnet.kubevirt.io":    {validatePath, admissionv1.Ignore},
		"validate-update.vmnet.kubevirt.io": {validatePath, admissionv1.Ignore},
	}
	each(t, func(t *testing.T, in *install) {
		if n := len(in.mutating.Webhooks); n != 1 {
			t.Errorf("%d mutating webhooks, want 1", n)
		}
		got := map[string]bool{}
		for _, w := range in.webhooks() {
			got[w.name] = true
			exp, ok := want[w.name]
			if !ok {
				t.Errorf("unexpected webhook %s", w.name)
				continue
			}
			if w.client.Service == nil || w.client.Service.Path == nil || *w.client.Service.Path != exp.path {
				t.Errorf("%s: service path is not %s", w.name, exp.path)
			}
			if w.client.URL != nil {
				t.Errorf("%s: calls a URL, want the Service", w.name)
			}
			if w.failurePolicy == nil || *w.failurePolicy != exp.policy {
				t.Errorf("%s: failurePolicy %v, want %s", w.name, deref(w.failurePolicy), exp.policy)
			}
		}
		for name := range want {
			if !got[name] {
				t.Errorf("webhook %s missing", name)
			}
		}
		if in.mutating.Webhooks[0].Name != "mutate.vmnet.kubevirt.io" {
			t.Errorf("mutating configuration holds %s", in.mutating.Webhooks[0].Name)
		}
	})
}

func TestWebhookCallSettings(t *testing.T) {
	each(t, func(t *testing.T, in *install) {
		for _, w := range in.webhooks() {
			// None lets dry-run requests (kubectl --dry-run=server) through.
			if deref(w.sideEffects) != admissionv1.SideEffectClassNone {
				t.Errorf("%s: sideEffects %v, want None", w.name, deref(w.sideEffects))
			}
			if !slices.Equal(w.admissionReviewVersions, []string{"v1"}) {
				t.Errorf("%s: admissionReviewVersions %v, want [v1]", w.name, w.admissionReviewVersions)
			}
			// Equivalent: a request through another version of the same
			// kinds (kubevirt.io/v1alpha3) is still sent to us.
			if deref(w.matchPolicy) != admissionv1.Equivalent {
				t.Errorf("%s: matchPolicy %v, want Equivalent", w.name, deref(w.matchPolicy))
			}
			// Short: a webhook that hangs holds every VM create up to this long.
			if w.timeoutSeconds == nil || *w.timeoutSeconds < 1 || *w.timeoutSeconds > 10 {
				t.Errorf("%s: timeoutSeconds %v, want 1-10", w.name, deref(w.timeoutSeconds))
			}
			// Per-object opt-out is an annotation the server reads; a label
			// selector here would make it a second, inconsistent mechanism.
			if w.objectSelector != nil && (len(w.objectSelector.MatchLabels) > 0 || len(w.objectSelector.MatchExpressions) > 0) {
				t.Errorf("%s: has an objectSelector", w.name)
			}
			// Filled at install time by cainjector or the service CA.
			if len(w.client.CABundle) != 0 {
				t.Errorf("%s: caBundle is set in the manifests", w.name)
			}
		}
		// The rules are idempotent, so being called again after another
		// webhook changed the object is safe, and needed if it touched ours.
		if p := in.mutating.Webhooks[0].ReinvocationPolicy; deref(p) != admissionv1.IfNeededReinvocationPolicy {
			t.Errorf("reinvocationPolicy %v, want IfNeeded", deref(p))
		}
	})
}

// kinds are the four KubeVirt kinds that carry a VM spec.
var kinds = []struct{ group, resource string }{
	{"kubevirt.io", "virtualmachines"},
	{"kubevirt.io", "virtualmachineinstances"},
	{"kubevirt.io", "virtualmachineinstancereplicasets"},
	{"pool.kubevirt.io", "virtualmachinepools"},
}

// covers reports whether any of the rules sends op on group/resource.
func covers(rules []admissionv1.RuleWithOperations, op admissionv1.OperationType, group, resource string) bool {
	for _, r := range rules {
		if (slices.Contains(r.Operations, op) || slices.Contains(r.Operations, admissionv1.OperationAll)) &&
			(slices.Contains(r.APIGroups, group) || slices.Contains(r.APIGroups, "*")) &&
			(slices.Contains(r.Resources, resource) || slices.Contains(r.Resources, "*")) &&
			len(r.APIVersions) > 0 {
			return true
		}
	}
	return false
}

func TestWebhookOperations(t *testing.T) {
	each(t, func(t *testing.T, in *install) {
		var validating []admissionv1.RuleWithOperations
		for _, w := range in.validating.Webhooks {
			validating = append(validating, w.Rules...)
		}
		mutating := in.mutating.Webhooks[0].Rules
		for _, k := range kinds {
			if !covers(mutating, admissionv1.Create, k.group, k.resource) {
				t.Errorf("CREATE of %s.%s is not mutated", k.resource, k.group)
			}
			// An update must not change an existing VM.
			if covers(mutating, admissionv1.Update, k.group, k.resource) {
				t.Errorf("UPDATE of %s.%s is mutated", k.resource, k.group)
			}
			for _, op := range []admissionv1.OperationType{admissionv1.Create, admissionv1.Update} {
				if !covers(validating, op, k.group, k.resource) {
					t.Errorf("%s of %s.%s is not validated", op, k.resource, k.group)
				}
			}
		}
		for _, w := range in.webhooks() {
			for _, r := range w.rules {
				for _, op := range r.Operations {
					if op != admissionv1.Create && op != admissionv1.Update {
						t.Errorf("%s: operation %s: the rules only judge creates and updates", w.name, op)
					}
				}
				if deref(r.Scope) != admissionv1.NamespacedScope {
					t.Errorf("%s: scope %v, want Namespaced", w.name, deref(r.Scope))
				}
			}
		}
	})
}

func TestWebhookNamespaceSelector(t *testing.T) {
	ns := func(name string, extra ...string) labels.Set {
		l := labels.Set{"kubernetes.io/metadata.name": name}
		for i := 0; i+1 < len(extra); i += 2 {
			l[extra[i]] = extra[i+1]
		}
		return l
	}
	each(t, func(t *testing.T, in *install) {
		for _, tc := range []struct {
			namespace labels.Set
			called    bool
		}{
			{ns("kube-system"), false},
			{ns(in.deployment.Namespace), false}, // the webhook's own namespace
			{ns("vms", "vmnet.kubevirt.io/ignore", "true"), false},
			{ns("vms"), true},
			{ns("default"), true},
			{ns("vms", "vmnet.kubevirt.io/ignore", "false"), true},
		} {
			for _, w := range in.webhooks() {
				sel, err := metav1.LabelSelectorAsSelector(w.namespaceSelector)
				if err != nil {
					t.Fatalf("%s: namespaceSelector: %v", w.name, err)
				}
				if w.namespaceSelector == nil || sel.Matches(tc.namespace) != tc.called {
					t.Errorf("%s: namespace %v called=%v, want %v", w.name, tc.namespace, !tc.called, tc.called)
				}
			}
		}
	})
}

func TestWebhooksCallTheService(t *testing.T) {
	each(t, func(t *testing.T, in *install) {
		for _, w := range in.webhooks() {
			s := w.client.Service
			if s == nil {
				t.Errorf("%s: no service", w.name)
				continue
			}
			if s.Name != in.service.Name || s.Namespace != in.service.Namespace {
				t.Errorf("%s: calls service %s/%s, rendered is %s/%s", w.name, s.Namespace, s.Name, in.service.Namespace, in.service.Name)
			}
			port := int32(443)
			if s.Port != nil {
				port = *s.Port
			}
			if port != 443 || servicePort(in.service, port) == nil {
				t.Errorf("%s: calls port %d, want 443 on the Service", w.name, port)
			}
		}
	})
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
