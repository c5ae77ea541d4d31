package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
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

func fakeObject(apiVersion, kind, ns, name string, fields map[string]any) *unstructured.Unstructured {
	obj := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": name, "namespace": ns}}
	maps.Copy(obj, fields)
	return &unstructured.Unstructured{Object: obj}
}

// fakeVM is a VM on the pod network whose masquerade interface lists port,
// with an e1000 NIC and a Windows preference when windows is set.
func fakeVM(ns, name string, port int64, windows bool) *unstructured.Unstructured {
	iface := map[string]any{"name": "default", "masquerade": map[string]any{}, "ports": []any{map[string]any{"port": port}}}
	spec := map[string]any{"template": map[string]any{"spec": map[string]any{
		"domain":   map[string]any{"devices": map[string]any{"interfaces": []any{iface}}},
		"networks": []any{map[string]any{"name": "default", "pod": map[string]any{}}}}}}
	if windows {
		iface["model"] = "e1000"
		spec["preference"] = map[string]any{"name": "windows.2k22"}
	}
	return fakeObject("kubevirt.io/v1", "VirtualMachine", ns, name, map[string]any{"spec": spec})
}

// fakeCluster serves VMs and namespaces, and PolicyReports when reports is
// set.
func fakeCluster(t *testing.T, reports bool, objs ...runtime.Object) (*auditor, *dynamicfake.FakeDynamicClient) {
	t.Helper()
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{
		{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachines"}: "VirtualMachineList",
		{Version: "v1", Resource: "namespaces"}:                            "NamespaceList",
		{Version: "v1", Resource: "pods"}:                                  "PodList",
		policyReportsGVR:                                                   "PolicyReportList",
	}, objs...)
	resources := []*metav1.APIResourceList{{GroupVersion: "kubevirt.io/v1", APIResources: []metav1.APIResource{{Name: "virtualmachines"}}}}
	if reports {
		resources = append(resources, &metav1.APIResourceList{GroupVersion: "wgpolicyk8s.io/v1alpha2", APIResources: []metav1.APIResource{{Name: "policyreports"}}})
	}
	wh, err := base.Webhooks()
	if err != nil {
		t.Fatal(err)
	}
	a := &auditor{client: dyn, discovery: &discoveryfake.FakeDiscovery{Fake: &clienttesting.Fake{Resources: resources}},
		host: "fake", webhooks: wh, chunkSize: 2,
		admission: previewer{cfg: config.Default(), mutate: rules.Mutate, validate: rules.Validate}}
	return a, dyn
}

func namespace(name string, terminating bool) *unstructured.Unstructured {
	ns := fakeObject("v1", "Namespace", "", name, nil)
	ns.SetLabels(map[string]string{"kubernetes.io/metadata.name": name})
	if terminating {
		now := metav1.Now()
		ns.SetDeletionTimestamp(&now)
	}
	return ns
}

// One run of the loop: gauges by kind, rule and outcome; a report in each
// namespace with a refused or warned VM, none where all is well or the
// namespace is being deleted (its stale report is deleted); the run
// counted. Then a fixed VM: its namespace's report goes, its gauge too.
func TestAuditLoopGaugesAndReports(t *testing.T) {
	stale := fakeObject("wgpolicyk8s.io/v1alpha2", "PolicyReport", "gone", reportName, nil)
	stale.SetLabels(map[string]string{reportLabel: reportLabelValue})
	other := fakeObject("wgpolicyk8s.io/v1alpha2", "PolicyReport", "clean", "kyverno-report", nil)
	a, dyn := fakeCluster(t, true,
		namespace("shop", false), namespace("win", false), namespace("clean", false), namespace("gone", true),
		fakeVM("shop", "web", 49152, false), fakeVM("shop", "api", 49153, false), fakeVM("win", "desk", 3389, true),
		fakeVM("clean", "db", 5432, false), fakeVM("gone", "old", 49152, false), stale, other)
	l := &auditLoop{auditor: a, interval: time.Hour, metrics: newAuditMetrics(), log: logr.Discard()}
	ctx := context.Background()
	if err := l.once(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`vmnet_audit_objects{kind="VirtualMachine",outcome="deny",rule="reserved-ports"} 2`,
		`vmnet_audit_objects{kind="VirtualMachine",outcome="warn",rule="windows-mtu"} 1`,
	}
	if got := series(t, l.metrics.registry, "vmnet_audit_objects"); !slices.Equal(got, want) {
		t.Errorf("gauges\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	list, err := dyn.Resource(policyReportsGVR).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*unstructured.Unstructured{}
	for i, r := range list.Items {
		got[r.GetNamespace()+"/"+r.GetName()] = &list.Items[i]
	}
	if keys := slices.Sorted(maps.Keys(got)); !slices.Equal(keys, []string{"clean/kyverno-report", "shop/" + reportName, "win/" + reportName}) {
		t.Fatalf("reports %q, want shop's and win's, and the report not ours kept", keys)
	}
	results, _, _ := unstructured.NestedSlice(got["shop/"+reportName].Object, "results")
	var names []string
	for _, r := range results {
		r := r.(map[string]any)
		res := r["resources"].([]any)[0].(map[string]any)
		names = append(names, res["name"].(string)+" "+r["result"].(string)+" "+r["rule"].(string))
		if !strings.Contains(r["message"].(string), "is reserved for libvirt's live migration") {
			t.Errorf("result %v: message without the refusal", r)
		}
	}
	if !slices.Equal(names, []string{"api fail reserved-ports", "web fail reserved-ports"}) {
		t.Errorf("shop's results %q", names)
	}
	if fail, _, _ := unstructured.NestedInt64(got["shop/"+reportName].Object, "summary", "fail"); fail != 2 {
		t.Errorf("shop's summary.fail %d, want 2", fail)
	}
	results, _, _ = unstructured.NestedSlice(got["win/"+reportName].Object, "results")
	if len(results) != 1 || results[0].(map[string]any)["result"] != "warn" {
		t.Errorf("win's results %v, want one warn", results)
	}

	// Both VMs of shop fixed: its report and the deny gauge go.
	for _, name := range []string{"web", "api"} {
		if _, err := dyn.Resource(schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachines"}).Namespace("shop").
			Update(ctx, fakeVM("shop", name, 8080, false), metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.once(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(policyReportsGVR).Namespace("shop").Get(ctx, reportName, metav1.GetOptions{}); err == nil {
		t.Error("shop's report is still there with nothing to report")
	}
	if got := series(t, l.metrics.registry, "vmnet_audit_objects"); !slices.Equal(got, want[1:]) {
		t.Errorf("gauges after the fix %q, want the warning's alone", got)
	}
}

// Without the PolicyReport CRD the loop still counts; a failed run is
// counted as an error and leaves the gauges as they were.
func TestAuditLoopWithoutReports(t *testing.T) {
	a, dyn := fakeCluster(t, false, namespace("shop", false), fakeVM("shop", "web", 49152, false))
	l := &auditLoop{auditor: a, interval: 10 * time.Millisecond, metrics: newAuditMetrics(), log: logr.Discard()}
	ctx, cancel := context.WithCancel(context.Background())
	dyn.PrependReactor("list", "virtualmachines", func(clienttesting.Action) (bool, runtime.Object, error) {
		if value(l.metrics.runs.WithLabelValues("success")) >= 1 {
			cancel()
			return true, nil, context.Canceled
		}
		return false, nil, nil
	})
	l.run(ctx)
	if n := value(l.metrics.runs.WithLabelValues("success")); n != 1 {
		t.Errorf("runs_total{result=success} %v, want 1", n)
	}
	if v := value(l.metrics.objects.WithLabelValues("VirtualMachine", "reserved-ports", "deny")); v != 1 {
		t.Errorf("deny gauge %v, want 1", v)
	}
	if ts := value(l.metrics.lastSuccess); ts < float64(time.Now().Add(-time.Minute).Unix()) {
		t.Errorf("last success %v", ts)
	}
	// An error that is not the end of the loop is counted.
	a2, dyn2 := fakeCluster(t, false, namespace("shop", false))
	dyn2.PrependReactor("list", "namespaces", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, context.DeadlineExceeded
	})
	l2 := &auditLoop{auditor: a2, interval: time.Hour, metrics: newAuditMetrics(), log: logr.Discard()}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel2()
	l2.run(ctx2)
	if n := value(l2.metrics.runs.WithLabelValues("error")); n != 1 {
		t.Errorf("runs_total{result=error} %v, want 1", n)
	}
}

// --serve's flags: a bad interval, flags that need --serve, and flags that
// do not go with it, each a clear error and exit 2.
func TestAuditServeUsage(t *testing.T) {
	for args, want := range map[string]string{
		"audit --serve --interval 10":          `invalid argument "10" for "--interval" flag: time: missing unit in duration "10"`,
		"audit --serve --interval ten-minutes": `invalid argument "ten-minutes" for "--interval" flag`,
		"audit --serve --interval 500ms":       "--interval must be at least 1s, e.g. 10m",
		"audit --interval 1h":                  "--interval, --metrics-addr and --log-level apply with --serve only",
		"audit --metrics-addr :9090":           "--interval, --metrics-addr and --log-level apply with --serve only",
		"audit --serve -o json":                "--serve audits every namespace and reports as gauges and PolicyReports: -o, -n and -l do not apply",
		"audit --serve -n shop":                "-o, -n and -l do not apply",
		"audit --serve --log-level verbose":    "verbose",
	} {
		s, out, e := runCmd(t, "", strings.Fields(args)...)
		if s != 2 || out != "" || !strings.Contains(e, want) {
			t.Errorf("%s: status %d stdout %q stderr %q, want 2 and %q", args, s, out, e, want)
		}
	}
}

// series are the samples of the family name, as name{labels} value.
func series(t *testing.T, reg *prometheus.Registry, name string) []string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"=\""+l.GetValue()+"\"")
			}
			out = append(out, fmt.Sprintf("%s{%s} %v", name, strings.Join(labels, ","), m.GetGauge().GetValue()+m.GetCounter().GetValue()))
		}
	}
	slices.Sort(out)
	return out
}

// value is a gauge's or counter's value.
func value(c prometheus.Metric) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	return m.GetGauge().GetValue() + m.GetCounter().GetValue()
}
