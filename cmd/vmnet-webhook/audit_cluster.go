package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	admissionv1 "k8s.io/api/admission/v1"
	admv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/vmnet-webhook/vmnet-webhook/manifests/base"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// auditKinds are the kinds the webhook intercepts, in the order audit
// reports them (vmspec.Kinds).
var auditKinds = func() (kinds []auditKind) {
	for _, s := range vmspec.Kinds {
		kinds = append(kinds, auditKind{s.GroupKind(), s.Resource})
	}
	return kinds
}()

type auditKind struct {
	gk       schema.GroupKind
	resource string
}

var namespacesGVR = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// auditor lists the stored objects page by page and admits each through
// the previewer, the path serve and preview share.
type auditor struct {
	client    dynamic.Interface
	discovery discovery.DiscoveryInterface
	host      string
	webhooks  []base.Webhook // the base's, when none is installed
	calls     []base.Webhook // this run's: the installed configurations' when readable
	admission previewer
	selector  string
	chunkSize int64
	// progress, when set (stderr is a terminal), gets a running count.
	progress io.Writer

	nsLabels map[string]labels.Set
	// terminating are the namespaces being deleted, as listed.
	terminating map[string]bool
	seen        int
}

// run audits namespaces (all when empty) and returns the verdicts, in the
// order of auditKinds and, within a kind, the API server's.
func (a *auditor) run(ctx context.Context, namespaces []string) ([]auditItem, auditSummary, error) {
	var items []auditItem
	var sum auditSummary
	if a.progress != nil { // erase the running count, also before an error
		defer fmt.Fprint(a.progress, "\r\033[K")
	}
	gvrs, err := a.servedKinds()
	if err != nil {
		return nil, sum, err
	}
	if a.calls, sum.Note, err = a.selectingWebhooks(ctx); err != nil {
		return nil, sum, err
	}
	for _, k := range auditKinds {
		if _, ok := gvrs[k.gk]; !ok {
			sum.NotServed = append(sum.NotServed, k.resource+"."+k.gk.Group)
		}
	}
	a.nsLabels, a.terminating, a.seen = map[string]labels.Set{}, map[string]bool{}, 0
	var unique []string // -n a -n a audits a once
	for _, ns := range namespaces {
		if !slices.Contains(unique, ns) {
			unique = append(unique, ns)
		}
	}
	namespaces = unique
	for _, ns := range namespaces { // a misspelt -n is an error, not a clean audit
		if _, err := a.namespaceLabels(ctx, ns); err != nil {
			return nil, sum, err
		}
	}
	if len(namespaces) == 0 {
		if err := a.listNamespaces(ctx); err != nil {
			return nil, sum, err
		}
		namespaces = []string{metav1.NamespaceAll}
	}
	for i, k := range auditKinds {
		gvr, ok := gvrs[k.gk]
		if !ok {
			continue
		}
		for _, ns := range namespaces {
			err := a.list(ctx, gvr, ns, func(obj *unstructured.Unstructured) error {
				if madeFromTemplate(auditKinds[i].gk.Kind, obj) {
					sum.FromTemplate++
					return nil
				}
				it, err := a.judge(ctx, gvr, obj)
				if err != nil {
					return err
				}
				sum.count(it)
				items = append(items, it)
				return nil
			})
			if err != nil {
				return nil, sum, err
			}
		}
	}
	return items, sum, nil
}

// servedKinds finds the version the cluster serves of each audited kind
// (its group's preferred one). A kind not served, e.g. pools on a cluster
// without them, is left out (and named in the summary).
func (a *auditor) servedKinds() (map[schema.GroupKind]schema.GroupVersionResource, error) {
	groups, err := a.discovery.ServerGroups()
	if err != nil {
		return nil, a.apiError("discover", "/apis", "", err)
	}
	out := map[schema.GroupKind]schema.GroupVersionResource{}
	for _, k := range auditKinds {
		i := slices.IndexFunc(groups.Groups, func(g metav1.APIGroup) bool { return g.Name == k.gk.Group })
		if i < 0 {
			continue
		}
		gv := groups.Groups[i].PreferredVersion.GroupVersion
		resources, err := a.discovery.ServerResourcesForGroupVersion(gv)
		if err != nil {
			return nil, a.apiError("discover", "/apis/"+gv, "", err)
		}
		for _, r := range resources.APIResources {
			if r.Name == k.resource {
				out[k.gk] = schema.GroupVersionResource{Group: k.gk.Group, Version: groups.Groups[i].PreferredVersion.Version, Resource: k.resource}
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the cluster at %s serves none of KubeVirt's kinds (virtualmachines.kubevirt.io and others): is KubeVirt installed?", a.host)
	}
	return out, nil
}

// list calls f on every object of gvr in ns ("" for all), one page of
// chunkSize objects at a time.
func (a *auditor) list(ctx context.Context, gvr schema.GroupVersionResource, ns string, f func(*unstructured.Unstructured) error) error {
	opts := metav1.ListOptions{Limit: a.chunkSize, LabelSelector: a.selector}
	for {
		page, err := a.client.Resource(gvr).Namespace(ns).List(ctx, opts)
		if err != nil {
			return a.apiError("list", resourceName(gvr), ns, err)
		}
		for i := range page.Items {
			if err := f(&page.Items[i]); err != nil {
				return err
			}
		}
		a.seen += len(page.Items)
		if a.progress != nil {
			fmt.Fprintf(a.progress, "\r\033[K%s read (%s)", plural(a.seen, "object"), gvr.Resource)
		}
		if opts.Continue = page.GetContinue(); opts.Continue == "" {
			return nil
		}
	}
}

// listNamespaces reads every namespace's labels, page by page.
func (a *auditor) listNamespaces(ctx context.Context) error {
	opts := metav1.ListOptions{Limit: a.chunkSize}
	for {
		page, err := a.client.Resource(namespacesGVR).List(ctx, opts)
		if err != nil {
			return a.apiError("list", "namespaces", "", err)
		}
		for _, ns := range page.Items {
			a.nsLabels[ns.GetName()] = ns.GetLabels()
			if ns.GetDeletionTimestamp() != nil {
				a.terminating[ns.GetName()] = true
			}
		}
		if opts.Continue = page.GetContinue(); opts.Continue == "" {
			return nil
		}
	}
}

// namespaceLabels are the labels the webhook configurations' selectors
// see; read once per namespace.
func (a *auditor) namespaceLabels(ctx context.Context, name string) (labels.Set, error) {
	if l, ok := a.nsLabels[name]; ok {
		return l, nil
	}
	ns, err := a.client.Resource(namespacesGVR).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("namespace %q not found", name)
	}
	if err != nil {
		return nil, a.apiError("get", "namespaces", "", err)
	}
	l := labels.Set(ns.GetLabels())
	if l == nil {
		l = labels.Set{}
	}
	a.nsLabels[name] = l
	return l, nil
}

// selectingWebhooks returns the webhooks whose namespaceSelectors decide
// which objects the API server sends: the installed configurations', read
// at each run, so that an install's excluded namespaces count; else the
// base's. note says why the base's when the installed ones are forbidden.
func (a *auditor) selectingWebhooks(ctx context.Context) (ws []base.Webhook, note string, err error) {
	for _, gvr := range []schema.GroupVersionResource{validatingConfigsGVR, mutatingConfigsGVR} {
		obj, err := a.client.Resource(gvr).Get(ctx, webhookConfigurationName, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			continue
		case apierrors.IsForbidden(err):
			return a.webhooks, "namespaces chosen as manifests/base installs the webhook: this user may not get " +
				resourceName(gvr) + " " + webhookConfigurationName, nil
		case err != nil:
			return nil, "", a.apiError("get", resourceName(gvr), "", err)
		}
		data, err := obj.MarshalJSON()
		if err == nil {
			var installed []base.Webhook
			installed, err = base.ParseWebhooks(data)
			ws = append(ws, installed...)
		}
		if err != nil {
			return nil, "", fmt.Errorf("the installed %s %s: %v", obj.GetKind(), webhookConfigurationName, err)
		}
	}
	if ws == nil {
		return a.webhooks, "", nil
	}
	return ws, "", nil
}

// judge admits one stored object as a CREATE, unless the webhook
// configurations leave its namespace out.
func (a *auditor) judge(ctx context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) (auditItem, error) {
	it := auditItem{APIVersion: obj.GetAPIVersion(), Kind: obj.GetKind(), Namespace: obj.GetNamespace(), Name: obj.GetName(), uid: string(obj.GetUID())}
	nsLabels, err := a.namespaceLabels(ctx, it.Namespace)
	if err != nil {
		return it, err
	}
	if !slices.ContainsFunc(a.calls, func(w base.Webhook) bool { return w.Calls(admv1.Create, gvr, nsLabels) }) {
		it.Result, it.Reason = resultSkipped, "the webhook configurations' namespaceSelector leaves namespace "+it.Namespace+" out"
		if nsLabels["vmnet.kubevirt.io/ignore"] == "true" {
			it.Reason = "namespace " + it.Namespace + " is labelled vmnet.kubevirt.io/ignore=true"
		}
		return it, nil
	}
	raw, err := obj.MarshalJSON()
	if err != nil {
		return it, err
	}
	d := document{source: fmt.Sprintf("%s %s/%s", it.Kind, it.Namespace, it.Name), raw: raw}
	d.meta.APIVersion, d.meta.Kind = it.APIVersion, it.Kind
	d.meta.Metadata.Name, d.meta.Metadata.Namespace = it.Name, it.Namespace
	r, err := a.admission.admit(d, nil)
	if err != nil {
		return it, fmt.Errorf("%s: %v", d.source, err)
	}
	it.Result, it.Warnings = resultAdmitted, r.warnings
	it.deniedBy, it.warnedBy = r.denied, r.warned
	// What the rules could not read (network data in a Secret), of the
	// object as it would be stored.
	it.NotChecked = rules.Validate(a.admission.cfg, rules.Request{Kind: r.gvk, Operation: admissionv1.Create, Object: r.obj}).NotChecked
	if it.Additions, err = additions(r.patch); err != nil {
		return it, fmt.Errorf("%s: %v", d.source, err)
	}
	if r.denial != "" {
		it.Result = resultRefused
		if r.status.Details != nil {
			for _, c := range r.status.Details.Causes {
				it.Refusals = append(it.Refusals, refusal{Webhook: r.webhook, Field: c.Field, Message: c.Field + ": " + c.Message})
			}
		}
		if len(it.Refusals) == 0 {
			it.Refusals = []refusal{{Webhook: r.webhook, Message: r.status.Message}}
		}
	}
	return it, nil
}

// madeFromTemplate says whether a controller made obj from a template that
// is audited itself, as the rules decide which objects get no defaults.
func madeFromTemplate(kind string, obj *unstructured.Unstructured) bool {
	for _, ref := range obj.GetOwnerReferences() {
		if ref.Controller == nil || !*ref.Controller {
			continue
		}
		if gv, err := schema.ParseGroupVersion(ref.APIVersion); err == nil &&
			rules.MadeFromTemplate(kind, schema.GroupKind{Group: gv.Group, Kind: ref.Kind}) {
			return true
		}
	}
	return false
}

func resourceName(gvr schema.GroupVersionResource) string {
	if gvr.Group == "" {
		return gvr.Resource
	}
	return gvr.Resource + "." + gvr.Group
}

// apiError words a failed request in one line: for a refused permission,
// the verb and resource to grant.
func (a *auditor) apiError(verb, resource, ns string, err error) error {
	where := ""
	switch {
	case verb == "list" && resource != "namespaces" && ns == "":
		where = " in all namespaces"
	case ns != "":
		where = " in namespace " + ns
	}
	var status apierrors.APIStatus
	switch {
	case apierrors.IsForbidden(err) && verb == "discover":
		return fmt.Errorf("forbidden: this user may not read the API's discovery documents (%s), which the default ClusterRole system:discovery lets every authenticated user read", resource)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("forbidden: this user may not %s %s%s; grant %q on %s (manifests/audit has the roles with all that audit needs)",
			verb, resource, where, verb, resource)
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("unauthorized: the API server at %s does not accept the kubeconfig's credentials", a.host)
	case apierrors.IsResourceExpired(err):
		return fmt.Errorf("%s %s%s: the list expired between two pages; run audit again (%v)", verb, resource, where, err)
	case errors.As(err, &status):
		return fmt.Errorf("%s %s%s: %v", verb, resource, where, err)
	}
	return fmt.Errorf("cannot reach the API server at %s: %v", a.host, err)
}
