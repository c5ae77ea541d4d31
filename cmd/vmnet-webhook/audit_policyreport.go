package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
)

// The PolicyReport of the Kubernetes Policy working group
// (wgpolicyk8s.io/v1alpha2), which Kyverno's Policy Reporter reads.
var policyReportsGVR = schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "policyreports"}

const (
	// reportName is the one report the audit keeps in each namespace.
	reportName = "vmnet-webhook-audit"
	// reportLabel marks the reports the audit owns: only those are
	// updated or deleted.
	reportLabel      = "app.kubernetes.io/managed-by"
	reportLabelValue = "vmnet-webhook-audit"
	// maxReportResults bounds one report's size: etcd refuses objects
	// over about 1.5 MiB, and a result with its messages takes up to a
	// few hundred bytes.
	maxReportResults = 1000
)

// reportsServed reports whether the cluster serves PolicyReports.
func reportsServed(disco discovery.DiscoveryInterface) (bool, error) {
	list, err := disco.ServerResourcesForGroupVersion(policyReportsGVR.GroupVersion().String())
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("discover %s: %v", policyReportsGVR.GroupVersion(), err)
	}
	return slices.ContainsFunc(list.APIResources, func(r metav1.APIResource) bool { return r.Name == policyReportsGVR.Resource }), nil
}

// reportResult is the result of one object that would be refused or
// warned: fail for refused, warn for warnings only.
func reportResult(it auditItem, now time.Time) (map[string]any, bool) {
	var result, severity string
	var rules, messages []string
	switch {
	case it.Result == resultRefused:
		result, severity = "fail", "high"
		rules = append(rules, it.deniedBy...)
		for _, r := range it.Refusals {
			messages = append(messages, r.Message)
		}
	case it.Result == resultAdmitted && len(it.Warnings) > 0:
		result, severity = "warn", "low"
	default:
		return nil, false
	}
	for _, r := range it.warnedBy {
		if !slices.Contains(rules, r) {
			rules = append(rules, r)
		}
	}
	messages = append(messages, it.Warnings...)
	return map[string]any{
		"source":   "vmnet-webhook",
		"policy":   "vmnet-webhook",
		"rule":     strings.Join(rules, ","),
		"category": "KubeVirt pod network",
		"severity": severity,
		"result":   result,
		"scored":   true,
		"message":  strings.Join(messages, "\n"),
		"resources": []any{map[string]any{
			"apiVersion": it.APIVersion, "kind": it.Kind, "namespace": it.Namespace, "name": it.Name, "uid": it.uid,
		}},
		"timestamp": map[string]any{"seconds": now.Unix(), "nanos": int64(0)},
	}, true
}

// policyReports builds one report per namespace that has an object that
// would be refused or warned, leaving out the namespaces being deleted.
func policyReports(items []auditItem, terminating map[string]bool, now time.Time) map[string]*unstructured.Unstructured {
	reports := map[string]*unstructured.Unstructured{}
	counts := map[string]map[string]int64{}
	for _, it := range items {
		if terminating[it.Namespace] {
			continue
		}
		res, ok := reportResult(it, now)
		if !ok {
			continue
		}
		r := reports[it.Namespace]
		if r == nil {
			r = &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": policyReportsGVR.GroupVersion().String(), "kind": "PolicyReport",
				"metadata": map[string]any{"name": reportName, "namespace": it.Namespace,
					"labels": map[string]any{reportLabel: reportLabelValue}},
				"results": []any{},
			}}
			reports[it.Namespace] = r
			counts[it.Namespace] = map[string]int64{"pass": 0, "fail": 0, "warn": 0, "error": 0, "skip": 0}
		}
		counts[it.Namespace][res["result"].(string)]++
		if results := r.Object["results"].([]any); len(results) < maxReportResults {
			r.Object["results"] = append(results, res)
		}
	}
	for ns, r := range reports {
		summary := map[string]any{}
		for k, v := range counts[ns] {
			summary[k] = v
		}
		r.Object["summary"] = summary
	}
	return reports
}

// writeReports makes the cluster's reports those given: each created or
// replaced, and the audit's reports in other namespaces deleted.
func writeReports(ctx context.Context, client dynamic.Interface, reports map[string]*unstructured.Unstructured) error {
	res := client.Resource(policyReportsGVR)
	opts := metav1.ListOptions{LabelSelector: reportLabel + "=" + reportLabelValue, Limit: 500}
	existing := map[string]string{} // namespace: resourceVersion
	for {
		page, err := res.List(ctx, opts)
		if err != nil {
			return fmt.Errorf("list policyreports: %v", err)
		}
		for _, r := range page.Items {
			if r.GetName() == reportName {
				existing[r.GetNamespace()] = r.GetResourceVersion()
			}
		}
		if opts.Continue = page.GetContinue(); opts.Continue == "" {
			break
		}
	}
	for ns, r := range reports {
		var err error
		if rv, ok := existing[ns]; ok {
			r.SetResourceVersion(rv)
			_, err = res.Namespace(ns).Update(ctx, r, metav1.UpdateOptions{FieldManager: reportLabelValue})
		} else {
			_, err = res.Namespace(ns).Create(ctx, r, metav1.CreateOptions{FieldManager: reportLabelValue})
		}
		// A namespace deleted since it was listed takes its report along.
		if err != nil && !apierrors.IsNotFound(err) && !isNamespaceTerminating(err) {
			return fmt.Errorf("write policyreport %s/%s: %v", ns, reportName, err)
		}
	}
	for ns := range existing {
		if _, keep := reports[ns]; keep {
			continue
		}
		if err := res.Namespace(ns).Delete(ctx, reportName, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete policyreport %s/%s: %v", ns, reportName, err)
		}
	}
	return nil
}

// isNamespaceTerminating reports whether the API server refused a create
// because the namespace is being deleted.
func isNamespaceTerminating(err error) bool {
	return apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause)
}
