package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

var policyReportGVR = schema.GroupVersionResource{Group: "wgpolicyk8s.io", Version: "v1alpha2", Resource: "policyreports"}

var policyReportCRD sync.Once

// installPolicyReportCRD installs the PolicyReport CRD of Kyverno's module
// (make e2e-tools copies it into bin/crds-policyreport) once per test
// binary, and waits until it is served.
func installPolicyReportCRD(t testing.TB) {
	t.Helper()
	bin, err := framework.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(bin, "crds-policyreport", "wgpolicyk8s.io_policyreports.yaml")
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("%v: make e2e-tools copies it", err)
	}
	policyReportCRD.Do(func() {
		for _, args := range [][]string{
			{"apply", "-f", file},
			{"wait", "--for=condition=Established", "--timeout=60s", "crd/policyreports.wgpolicyk8s.io"},
		} {
			if _, stderr, err := cp.Kubectl(context.Background(), "", args...); err != nil {
				t.Fatalf("kubectl %v: %v\n%s", args, err, stderr)
			}
		}
	})
}

// startAuditServe runs bin/vmnet-webhook audit --serve with kubeconfig and
// returns its metrics URL; the process is stopped when the test ends.
func startAuditServe(t testing.TB, kubeconfig string, extra ...string) (string, *framework.Process, string) {
	t.Helper()
	bin, err := framework.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	ports, err := framework.FreePorts(1)
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(ports[0])
	log := filepath.Join(t.TempDir(), "audit.log")
	// As the Deployment runs it: the webhook's config file and pod IPs given.
	args := append([]string{"audit", "--serve", "--interval=1s", "--metrics-addr=" + addr,
		"--config=" + filepath.Join(root, "manifests", "base", "config.yaml"), "--pod-ips=" + framework.PodIPs}, extra...)
	p, err := framework.StartProcess("audit", filepath.Join(bin, "vmnet-webhook"), args, []string{"KUBECONFIG=" + kubeconfig}, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(5 * time.Second) })
	return "http://" + addr + "/metrics", p, log
}

// scrape reads the samples of the vmnet_audit_ families, keyed by name and
// labels as exposed.
func scrape(url string) (map[string]float64, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "vmnet_audit_") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("%q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out, sc.Err()
}

// eventually polls cond every 200ms for up to 30s (an audit runs every
// second); it fails the test with what cond said last.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s; last: %s", what, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// report is the audit's PolicyReport in ns, or nil.
func report(t *testing.T, ns string) *unstructured.Unstructured {
	t.Helper()
	dc, _ := client(t)
	r, err := dc.Resource(policyReportGVR).Namespace(ns).Get(context.Background(), "vmnet-webhook-audit", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// resultsOf lists a report's results as "name result rule".
func resultsOf(r *unstructured.Unstructured) []string {
	results, _, _ := unstructured.NestedSlice(r.Object, "results")
	var out []string
	for _, x := range results {
		m := x.(map[string]any)
		res := m["resources"].([]any)[0].(map[string]any)
		out = append(out, fmt.Sprintf("%s %s %s", res["name"], m["result"], m["rule"]))
	}
	return out
}

// The in-cluster audit against the real API server, as a user bound to
// the ClusterRole of manifests/components/audit (what its ServiceAccount
// gets): a VM stored before the webhook was there is a failing result in
// its namespace's PolicyReport, a Windows VM a warning; gauges count them
// by kind, rule and outcome. Fixing the VM clears its report and gauge; a
// namespace being deleted loses its report at the next audit, although no
// namespace controller runs here to delete its contents.
func TestAuditInCluster(t *testing.T) {
	installPolicyReportCRD(t)
	mustKubectl(t, "", "apply", "-f", "manifests/components/audit/rbac.yaml")
	mustKubectl(t, "", "create", "clusterrolebinding", "vmnet-webhook-audit-loop", "--clusterrole=vmnet-webhook-audit-in-cluster", "--user=audit-loop")
	kc, err := cp.UserKubeconfig("audit-loop")
	if err != nil {
		t.Fatal(err)
	}
	refused, warned := newNamespace(t, nil), newNamespace(t, nil)
	withoutWebhooks(t, func() {
		mustKubectl(t, "", "create", "-n", refused, "-f", "examples/reserved-port.yaml")
		mustKubectl(t, "", "create", "-n", warned, "-f", "examples/windows-e1000.yaml")
	})
	url, _, log := startAuditServe(t, kc)

	var before map[string]float64
	eventually(t, "a report in each namespace", func() (bool, string) {
		a, b := report(t, refused), report(t, warned)
		if a == nil || b == nil {
			return false, fmt.Sprintf("reports %v %v; log %s", a != nil, b != nil, tailFile(log))
		}
		got := fmt.Sprint(resultsOf(a), resultsOf(b))
		var err error
		before, err = scrape(url)
		return got == "[reserved-port fail reserved-ports] [windows-e1000 warn ipv6-cloud-init,windows-mtu]" && err == nil, got
	})
	const deny = `vmnet_audit_objects{kind="VirtualMachine",outcome="deny",rule="reserved-ports"}`
	if before[deny] < 1 || before[`vmnet_audit_runs_total{result="success"}`] < 1 ||
		before["vmnet_audit_last_success_timestamp_seconds"] < float64(time.Now().Add(-time.Minute).Unix()) ||
		before[`vmnet_audit_runs_total{result="error"}`] != 0 {
		t.Errorf("metrics %v", before)
	}
	checkAuditAlertSeries(t, url)
	r := report(t, refused)
	if fail, _, _ := unstructured.NestedInt64(r.Object, "summary", "fail"); fail != 1 {
		t.Errorf("summary %v, want fail 1", r.Object["summary"])
	}

	// Fixed: the report goes (nothing left to report there), the gauge
	// counts one VM less.
	mustKubectl(t, "", "-n", refused, "patch", "vm", "reserved-port", "--type=json",
		"-p", `[{"op":"remove","path":"/spec/template/spec/domain/devices/interfaces/0/ports/1"}]`)
	eventually(t, "the fixed VM's report gone", func() (bool, string) {
		after, err := scrape(url)
		return report(t, refused) == nil && err == nil && after[deny] == before[deny]-1, fmt.Sprint(after[deny], err)
	})

	// Deleted: the namespace stays Terminating (no namespace controller
	// runs here), and its report goes all the same.
	mustKubectl(t, "", "delete", "namespace", warned, "--wait=false")
	eventually(t, "the deleted namespace's report gone", func() (bool, string) {
		return report(t, warned) == nil, "report still there"
	})
	ns, err := kubernetesClient(t).CoreV1().Namespaces().Get(context.Background(), warned, metav1.GetOptions{})
	if err != nil || ns.Status.Phase != corev1.NamespaceTerminating {
		t.Errorf("namespace %s: %v, phase %v; want it still Terminating, its report deleted by the audit", warned, err, ns.Status.Phase)
	}
}

func tailFile(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// BenchmarkAuditInCluster runs audit --serve, as the in-cluster audit
// does, on 10,000 stored VMs in one namespace (benchVM's, a third
// refused), with the PolicyReport CRD installed: the time of one audit,
// reports written, and the process's peak resident memory, VmHWM of
// /proc/PID/status read once the audit is done (the process is the
// command itself, started afresh by exec, so the mark is its own). Each
// iteration is one process's first audit. Not in make test: make
// bench-audit-cluster.
func BenchmarkAuditInCluster(b *testing.B) {
	const vms = 10000
	bin, err := framework.BinDir()
	if err != nil {
		b.Fatal(err)
	}
	installPolicyReportCRD(b)
	ns := fmt.Sprintf("audit-bench-%d", vms)
	storeBenchVMs(b, ns, vms)
	var peakKiB int64
	var seconds float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ports, err := framework.FreePorts(1)
		if err != nil {
			b.Fatal(err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", ports[0])
		dir := b.TempDir()
		start := time.Now()
		p, err := framework.StartProcess("audit", filepath.Join(bin, "vmnet-webhook"), []string{"audit", "--serve", "--interval=1h",
			"--metrics-addr=" + addr, "--config=" + filepath.Join(root, "manifests", "base", "config.yaml"), "--pod-ips=" + framework.PodIPs},
			[]string{"KUBECONFIG=" + cp.Kubeconfig}, filepath.Join(dir, "audit.log"))
		if err != nil {
			b.Fatal(err)
		}
		for {
			m, _ := scrape("http://" + addr + "/metrics")
			if m[`vmnet_audit_runs_total{result="success"}`] == 1 {
				break
			}
			if m[`vmnet_audit_runs_total{result="error"}`] > 0 || time.Since(start) > 10*time.Minute {
				p.Stop(5 * time.Second)
				b.Fatalf("no audit completed: %v\n%s", m, tailFile(filepath.Join(dir, "audit.log")))
			}
			time.Sleep(50 * time.Millisecond)
		}
		seconds += time.Since(start).Seconds()
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.PID()))
		p.Stop(5 * time.Second)
		if err != nil {
			b.Fatal(err)
		}
		var kib int64
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				if _, err := fmt.Sscan(v, &kib); err != nil {
					b.Fatalf("%q: %v", line, err)
				}
			}
		}
		if kib == 0 {
			b.Fatalf("no VmHWM in /proc/%d/status", p.PID())
		}
		peakKiB = max(peakKiB, kib)
	}
	b.StopTimer()
	dc, err := dynamic.NewForConfig(cp.Config)
	if err != nil {
		b.Fatal(err)
	}
	r, err := dc.Resource(policyReportGVR).Namespace(ns).Get(context.Background(), "vmnet-webhook-audit", metav1.GetOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if fail, _, _ := unstructured.NestedInt64(r.Object, "summary", "fail"); fail != (vms+2)/3 {
		b.Errorf("report's summary.fail %d, want %d", fail, (vms+2)/3)
	}
	b.ReportMetric(seconds/float64(b.N), "s/audit")
	b.ReportMetric(float64(vms*b.N)/seconds, "objects/s")
	b.ReportMetric(float64(peakKiB)/1024, "peak-RSS-MiB")
}

// With no flags, audit judges as the webhook installed in the cluster:
// here one registered through a Service whose Pod runs with
// --reserved-ports=8080 over a ConfigMap and has an IPv6 address. A VM
// listing port 8080 is refused, and the guest's IPv6 config would be added
// (the Pod's IPv6). Flags given override what was read. A namespace the
// installed configuration's selector leaves out is skipped.
func TestAuditReadsInstalledWebhook(t *testing.T) {
	ns := newNamespace(t, nil)
	vms := newNamespace(t, nil)
	excluded := newNamespace(t, nil)
	const vm = `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: web
spec:
  runStrategy: Halted
  template:
    spec:
      domain:
        devices:
          interfaces: [{name: default, masquerade: {}, ports: [{port: 8080}]}]
      networks: [{name: default, pod: {}}]
`
	objects := fmt.Sprintf(`apiVersion: v1
kind: ServiceAccount
metadata: {name: default, namespace: %[1]s}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: vmnet-webhook-config-x1, namespace: %[1]s}
data:
  config.yaml: |
    reservedPorts: [49152, 49153]
    ipv6: {inject: auto}
---
apiVersion: v1
kind: Service
metadata: {name: vmnet-webhook, namespace: %[1]s}
spec:
  selector: {app.kubernetes.io/component: webhook}
  ports: [{port: 443, targetPort: 9443}]
---
apiVersion: v1
kind: Pod
metadata:
  name: vmnet-webhook-1
  namespace: %[1]s
  labels: {app.kubernetes.io/component: webhook}
spec:
  containers:
    - name: webhook
      image: vmnet-webhook
      args: [serve, --port=9443, --config=/etc/vmnet-webhook/config.yaml, --reserved-ports=8080]
      volumeMounts: [{name: config, mountPath: /etc/vmnet-webhook}]
  volumes: [{name: config, configMap: {name: vmnet-webhook-config-x1}}]
`, ns)
	mustKubectl(t, objects, "create", "-f", "-")
	mustKubectl(t, "", "-n", ns, "patch", "pod", "vmnet-webhook-1", "--subresource=status", "--type=merge", "-p",
		`{"status":{"podIP":"10.244.0.9","podIPs":[{"ip":"10.244.0.9"},{"ip":"fd00:10::9"}],"conditions":[{"type":"Ready","status":"True"}]}}`)

	bin, err := framework.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	withoutWebhooks(t, func() {
		mustKubectl(t, vm, "create", "-n", vms, "-f", "-") // stored before the webhook
		mustKubectl(t, vm, "create", "-n", excluded, "-f", "-")
		// Nothing is created while it is registered: its Pod is not real.
		vwc := fmt.Sprintf(`apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: vmnet-webhook}
webhooks:
  - name: validate.vmnet.kubevirt.io
    clientConfig: {service: {namespace: %s, name: vmnet-webhook, path: /validate}}
    rules: [{operations: [CREATE], apiGroups: [kubevirt.io], apiVersions: ["*"], resources: [virtualmachines]}]
    namespaceSelector:
      matchExpressions: [{key: kubernetes.io/metadata.name, operator: NotIn, values: [%s]}]
    failurePolicy: Ignore
    timeoutSeconds: 1
    sideEffects: None
    admissionReviewVersions: [v1]
`, ns, excluded)
		mustKubectl(t, vwc, "create", "-f", "-")
		defer mustKubectl(t, "", "delete", "validatingwebhookconfiguration", "vmnet-webhook")
		cmd := func(args ...string) run {
			c := exec.Command(filepath.Join(bin, "vmnet-webhook"), append([]string{"audit", "-n", vms}, args...)...)
			c.Env = append(os.Environ(), "POD_IPS=")
			return runCmd(t, c, cp.Kubeconfig)
		}
		r := cmd()
		wantErr := fmt.Sprintf("vmnet-webhook audit: judging with the settings of the installed webhook's Pod %s/vmnet-webhook-1: ConfigMap vmnet-webhook-config-x1, pod IPs 10.244.0.9,fd00:10::9\n", ns)
		if r.code != 1 || !strings.HasPrefix(r.stderr, wantErr) ||
			!strings.Contains(r.stdout, "refused   spec.template.spec.domain.devices.interfaces[0].ports[0].port: Forbidden: port 8080 is reserved") ||
			!strings.Contains(r.stdout, "IPv6 networkData") {
			t.Errorf("audit with no flags: exit %d\nstdout:\n%s\nstderr:\n%s\nwant 1, the refusal of port 8080, IPv6 networkData added, and stderr starting %q", r.code, r.stdout, r.stderr, wantErr)
		}
		// Flags override: the reserved ports, and the pod IPs.
		r = cmd("--reserved-ports=49152", "--pod-ips=10.244.0.9")
		if r.code != 0 || strings.Contains(r.stdout, "refused") || strings.Contains(r.stdout, "IPv6 networkData") ||
			!strings.Contains(r.stderr, "pod IPs 10.244.0.9\n") {
			t.Errorf("audit --reserved-ports=49152 --pod-ips=10.244.0.9: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
		}
		// The same VM where the installed selector leaves its namespace out:
		// skipped, as the API server would never send it.
		c := exec.Command(filepath.Join(bin, "vmnet-webhook"), "audit", "-n", excluded, "-o", "json")
		c.Env = append(os.Environ(), "POD_IPS=")
		r = runCmd(t, c, cp.Kubeconfig)
		if r.code != 0 || !strings.Contains(r.stdout, `"reason": "the webhook configurations' namespaceSelector leaves namespace `+excluded+` out"`) ||
			!strings.Contains(r.stderr, "not audited: 1 in a namespace the webhook skips") {
			t.Errorf("audit -n %s: exit %d\nstdout:\n%s\nstderr:\n%s\nwant 0 and the VM skipped", excluded, r.code, r.stdout, r.stderr)
		}
	})
}

// checkAuditAlertSeries holds the alerts that read the audit's gauges to
// what a running audit exports (TestAlertsReadExportedSeries checks the
// others).
func checkAuditAlertSeries(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	exported := parseSeries(t, resp.Body)
	resp.Body.Close()
	checked := 0
	for _, sel := range alertSelectors(t) {
		if !strings.HasPrefix(sel.Metric, "vmnet_audit_") {
			continue
		}
		checked++
		if !exported.matches(t, sel) {
			t.Errorf("%s reads %s with %+v, which no series of the audit matches; exported: %v", sel.Rule, sel.Metric, sel.Matchers, exported[sel.Metric])
		}
	}
	if checked == 0 {
		t.Error("no alert reads the audit's gauges")
	}
}
