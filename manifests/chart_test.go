package manifests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/diff"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// The Helm chart (charts/vmnet-webhook) renders what the overlays render.
// Both sides get the same settings: the chart as values, the overlay as the
// kustomize edits an operator would make over `make deploy`'s kustomization.

const chartDir = "../charts/vmnet-webhook"

// helmBin is the helm `make test` builds and names in VMNET_TEST_HELM, or
// else bin/helm if built; without either, the chart's tests skip.
func helmBin(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("VMNET_TEST_HELM"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("VMNET_TEST_HELM: %v", err)
		}
		return bin
	}
	bin, err := filepath.Abs(filepath.Join("..", "bin", "helm"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("%s is not built (make test builds it; or make $PWD/bin/helm): skipping the chart's tests", bin)
	}
	return bin
}

// helm runs bin/helm with args and returns its stdout, or its stderr as the error.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(helmBin(t), args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// No user's helm configuration or cache is read or written.
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+home, "HELM_CACHE_HOME="+home, "HELM_DATA_HOME="+home)
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

// settings are the chart's values; the zero value of a field is the default.
type settings struct {
	name                                    string // of the subtest
	mode, image, enforcement, failurePolicy string
	replicas                                int
	excluded                                []string
	resources                               map[string]any
	// monitoring: the chart's monitoring values, the overlay's components.
	serviceMonitor, prometheusRule, metricsAuth bool
	// audit turns on the in-cluster audit (the chart's audit.enabled, the
	// overlay's components/audit); auditInterval sets its interval.
	audit         bool
	auditInterval string
	placement     placement
}

// placement are the values of the pods' placement and metadata; a nil
// field is the default.
type placement struct {
	nodeSelector, affinity, podAnnotations, podLabels map[string]any
	tolerations, spread, pullSecrets                  []any
	priorityClassName                                 *string
	timeouts                                          map[string]int
}

func (s settings) String() string {
	p := s.placement
	priority := "default"
	if p.priorityClassName != nil {
		priority = fmt.Sprintf("%q", *p.priorityClassName)
	}
	return fmt.Sprintf("%s replicas=%d image=%q enforcement=%q failurePolicy=%q excluded=%v resources=%v "+
		"nodeSelector=%v tolerations=%v affinity=%v spread=%v pullSecrets=%v podAnnotations=%v podLabels=%v priorityClassName=%s timeouts=%v "+
		"serviceMonitor=%t prometheusRule=%t metricsAuth=%t audit=%v interval=%q",
		s.mode, s.replicas, s.image, s.enforcement, s.failurePolicy, s.excluded, s.resources,
		p.nodeSelector, p.tolerations, p.affinity, p.spread, p.pullSecrets, p.podAnnotations, p.podLabels, priority, p.timeouts,
		s.serviceMonitor, s.prometheusRule, s.metricsAuth, s.audit, s.auditInterval)
}

// values is the values file for s: only what s sets.
func (s settings) values() map[string]any {
	v := map[string]any{"certificate": map[string]any{"mode": s.mode}}
	if s.replicas != 0 {
		v["replicas"] = s.replicas
	}
	if s.image != "" {
		v["image"] = map[string]any{"reference": s.image}
	}
	if s.enforcement != "" {
		v["enforcement"] = s.enforcement
	}
	if s.failurePolicy != "" {
		v["failurePolicy"] = s.failurePolicy
	}
	if s.excluded != nil {
		v["excludedNamespaces"] = s.excluded
	}
	if s.resources != nil {
		v["resources"] = s.resources
	}
	if s.serviceMonitor || s.prometheusRule || s.metricsAuth {
		on := func(b bool) map[string]any { return map[string]any{"enabled": b} }
		v["monitoring"] = map[string]any{
			"serviceMonitor": on(s.serviceMonitor), "prometheusRule": on(s.prometheusRule), "authenticatedMetrics": on(s.metricsAuth),
		}
	}
	if s.audit {
		audit := map[string]any{"enabled": true}
		if s.auditInterval != "" {
			audit["interval"] = s.auditInterval
		}
		v["audit"] = audit
	}
	p := s.placement
	for key, val := range map[string]any{"nodeSelector": p.nodeSelector, "affinity": p.affinity,
		"podAnnotations": p.podAnnotations, "podLabels": p.podLabels} {
		if m := val.(map[string]any); m != nil {
			v[key] = m
		}
	}
	for key, val := range map[string][]any{"tolerations": p.tolerations, "topologySpreadConstraints": p.spread, "imagePullSecrets": p.pullSecrets} {
		if val != nil {
			v[key] = val
		}
	}
	if p.priorityClassName != nil {
		v["priorityClassName"] = *p.priorityClassName
	}
	if p.timeouts != nil {
		v["timeoutSeconds"] = p.timeouts
	}
	return v
}

// renderChart runs helm template with s into namespace ns.
func renderChart(t *testing.T, s settings, ns string) []*unstructured.Unstructured {
	t.Helper()
	data, err := yaml.Marshal(s.values())
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := helm(t, "template", "vmnet-webhook", chartDir, "--namespace", ns, "--values", file)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := splitYAML(out)
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	return objs
}

func splitYAML(s string) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(s)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, err
		}
		if len(m) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: m})
		}
	}
}

// renderOverlay renders the overlay of s.mode with s applied: deploy's
// kustomization (the image), and over it the edits for the other settings.
func renderOverlay(t *testing.T, s settings) []*unstructured.Unstructured {
	t.Helper()
	fsys, err := embeddedFS()
	if err != nil {
		t.Fatal(err)
	}
	img := s.image
	if img == "" {
		img = "vmnet-webhook" // the base's, which deploy's patch then keeps
	}
	local := path.Join(path.Dir(embeddedRoot), ".local")
	write := func(dir, name, content string) {
		if err := fsys.WriteFile(path.Join(local, dir, name), []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	write("deploy.chart", "kustomization.yaml", deployKustomization(t, s.mode, img))

	k := map[string]any{
		"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
		"resources": []string{"../deploy.chart"},
	}
	var patches []map[string]any
	namedPatch := func(kind, name, op, p string, value any) {
		ops, err := yaml.Marshal([]map[string]any{{"op": op, "path": p, "value": value}})
		if err != nil {
			t.Fatal(err)
		}
		patches = append(patches, map[string]any{"target": map[string]any{"kind": kind, "name": name}, "patch": string(ops)})
	}
	jsonPatch := func(kind, op, p string, value any) { namedPatch(kind, "vmnet-webhook", op, p, value) }
	if s.replicas != 0 {
		k["replicas"] = []map[string]any{{"name": "vmnet-webhook", "count": s.replicas}}
	}
	if s.enforcement != "" {
		base, err := files.ReadFile("base/config.yaml")
		if err != nil {
			t.Fatal(err)
		}
		config := strings.Replace(string(base), "\nenforcement: deny\n", "\nenforcement: "+s.enforcement+"\n", 1)
		if config == string(base) && s.enforcement != "deny" {
			t.Fatal("base/config.yaml has no line enforcement: deny to change")
		}
		write("settings.chart", "config.yaml", config)
		k["configMapGenerator"] = []map[string]any{{"name": "vmnet-webhook-config", "behavior": "replace", "files": []string{"config.yaml"}}}
	}
	if s.failurePolicy != "" {
		jsonPatch("ValidatingWebhookConfiguration", "replace", "/webhooks/0/failurePolicy", s.failurePolicy)
	}
	if s.excluded != nil {
		values := append(append([]string{}, s.excluded...), "vmnet-system")
		jsonPatch("MutatingWebhookConfiguration", "replace", "/webhooks/0/namespaceSelector/matchExpressions/0/values", values)
		for i := range 3 {
			jsonPatch("ValidatingWebhookConfiguration", "replace", fmt.Sprintf("/webhooks/%d/namespaceSelector/matchExpressions/0/values", i), values)
		}
	}
	if s.resources != nil {
		jsonPatch("Deployment", "replace", "/spec/template/spec/containers/0/resources", s.resources)
	}
	if s.audit {
		if s.auditInterval != "" {
			namedPatch("Deployment", "vmnet-webhook-audit", "replace", "/spec/template/spec/containers/0/args/2", "--interval="+s.auditInterval)
		}
	}
	p := s.placement
	for field, val := range map[string]map[string]any{"nodeSelector": p.nodeSelector, "affinity": p.affinity} {
		if len(val) > 0 {
			jsonPatch("Deployment", "add", "/spec/template/spec/"+field, val)
		}
	}
	for field, val := range map[string][]any{"tolerations": p.tolerations, "imagePullSecrets": p.pullSecrets} {
		if len(val) > 0 {
			jsonPatch("Deployment", "add", "/spec/template/spec/"+field, val)
		}
	}
	switch {
	case p.spread == nil:
	case len(p.spread) == 0:
		jsonPatch("Deployment", "remove", "/spec/template/spec/topologySpreadConstraints", nil)
	default:
		jsonPatch("Deployment", "replace", "/spec/template/spec/topologySpreadConstraints", p.spread)
	}
	if len(p.podAnnotations) > 0 {
		jsonPatch("Deployment", "add", "/spec/template/metadata/annotations", p.podAnnotations)
	}
	for k, v := range p.podLabels {
		jsonPatch("Deployment", "add", "/spec/template/metadata/labels/"+strings.ReplaceAll(k, "/", "~1"), v)
	}
	switch {
	case p.priorityClassName == nil:
	case *p.priorityClassName == "":
		jsonPatch("Deployment", "remove", "/spec/template/spec/priorityClassName", nil)
	default:
		jsonPatch("Deployment", "replace", "/spec/template/spec/priorityClassName", *p.priorityClassName)
	}
	// The order of the webhooks in manifests/base/webhook-configurations.yaml.
	for name, seconds := range p.timeouts {
		kind, index := "ValidatingWebhookConfiguration", map[string]int{"validate": 0, "validate-vmi": 1, "validate-update": 2}[name]
		if name == "mutate" {
			kind = "MutatingWebhookConfiguration"
		}
		jsonPatch(kind, "replace", fmt.Sprintf("/webhooks/%d/timeoutSeconds", index), seconds)
	}
	if patches != nil {
		k["patches"] = patches
	}
	if c := s.components(); c != nil {
		k["components"] = c
	}
	data, err := yaml.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	write("settings.chart", "kustomization.yaml", string(data))
	objs, err := RenderFS(fsys, path.Join(local, "settings.chart"))
	if err != nil {
		t.Fatalf("overlay with %s: %v", s, err)
	}
	return objs
}

// components are the kustomize components that match s's monitoring and
// audit values, in the order docs/operations.md gives, from settings.chart.
func (s settings) components() []string {
	var c []string
	add := func(name string) { c = append(c, "../../manifests/components/"+name) }
	if s.prometheusRule {
		add("prometheus-rule")
	}
	if s.serviceMonitor {
		add("service-monitor")
	}
	if s.metricsAuth {
		add("metrics-auth")
		if s.serviceMonitor && s.mode == "openshift" {
			add("metrics-auth-openshift")
		}
	}
	if s.audit {
		add("audit")
	}
	return c
}

// chartOnly are the labels and annotations Helm's convention adds and the
// overlays do not have.
var (
	chartOnlyLabels      = []string{"app.kubernetes.io/managed-by", "helm.sh/chart"}
	chartOnlyAnnotations = []string{"checksum/config"}
)

// normalize keys the objects by kind/namespace/name, decoded strictly, with
// what differs by construction made equal: the labels Helm adds, the
// ConfigMap's name (kustomize's hash suffix; the chart rolls the pods by a
// checksum annotation instead) and its config.yaml compared as data, not text.
func normalize(t *testing.T, objs []*unstructured.Unstructured, chart bool) map[string]any {
	t.Helper()
	out := map[string]any{}
	for _, u := range objs {
		if chart {
			labels := u.GetLabels()
			for _, l := range chartOnlyLabels {
				if _, ok := labels[l]; !ok {
					t.Errorf("chart: %s %s has no label %s", u.GetKind(), u.GetName(), l)
				}
				delete(labels, l)
			}
			u.SetLabels(labels)
		}
		if u.GroupVersionKind().Group == "monitoring.coreos.com" {
			// No Go types here: compared as JSON data.
			data, err := json.Marshal(u.Object)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			out[u.GetKind()+" "+u.GetNamespace()+"/"+u.GetName()] = m
			continue
		}
		obj, err := decode(u)
		if err != nil {
			t.Fatal(err)
		}
		switch o := obj.(type) {
		case *corev1.ConfigMap:
			if !strings.HasPrefix(o.Name, "vmnet-webhook-config") {
				break // not the rules' settings
			}
			o.Name = "vmnet-webhook-config"
			var config map[string]any
			if err := yaml.Unmarshal([]byte(o.Data["config.yaml"]), &config); err != nil {
				t.Fatalf("config.yaml: %v", err)
			}
			data, _ := yaml.Marshal(config)
			o.Data["config.yaml"] = string(data)
		case *appsv1.Deployment:
			for i, v := range o.Spec.Template.Spec.Volumes {
				if v.ConfigMap != nil {
					o.Spec.Template.Spec.Volumes[i].ConfigMap.Name = "vmnet-webhook-config"
				}
			}
			if chart {
				for _, a := range chartOnlyAnnotations {
					if o.Spec.Template.Annotations[a] == "" {
						t.Errorf("chart: the Deployment's pod template has no annotation %s", a)
					}
					delete(o.Spec.Template.Annotations, a)
				}
				if len(o.Spec.Template.Annotations) == 0 {
					o.Spec.Template.Annotations = nil
				}
			}
		}
		m := obj.(metav1.Object)
		out[u.GetKind()+" "+m.GetNamespace()+"/"+m.GetName()] = obj
	}
	return out
}

var chartCases = []settings{
	{name: "self-managed defaults", mode: "self-managed"},
	{name: "cert-manager defaults", mode: "cert-manager"},
	{name: "openshift defaults", mode: "openshift"},
	{name: "self-managed all set", mode: "self-managed", replicas: 3, image: "registry.example:5000/team/vmnet-webhook@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		enforcement: "warn", failurePolicy: "Ignore", excluded: []string{"kube-system", "legacy-vms"},
		resources: map[string]any{"requests": map[string]any{"cpu": "100m", "memory": "96Mi"}, "limits": map[string]any{"cpu": "1", "memory": "512Mi"}},
		audit:     true, auditInterval: "1h30m"},
	{name: "cert-manager one replica and no exclusions", mode: "cert-manager", replicas: 1, image: "registry.example/team/vmnet-webhook:v0.1.0", enforcement: "deny", excluded: []string{}},
	{name: "openshift warn", mode: "openshift", image: "vmnet-webhook:dev", enforcement: "warn", failurePolicy: "Fail", excluded: []string{"openshift-cnv"}, audit: true},
	{name: "self-managed with alerts and plain scraping", mode: "self-managed", serviceMonitor: true, prometheusRule: true},
	{name: "cert-manager with authenticated scraping", mode: "cert-manager", serviceMonitor: true, prometheusRule: true, metricsAuth: true},
	{name: "openshift with authenticated scraping", mode: "openshift", serviceMonitor: true, prometheusRule: true, metricsAuth: true},
	{name: "self-managed authenticated metrics alone", mode: "self-managed", metricsAuth: true},
	{name: "openshift alerts alone", mode: "openshift", prometheusRule: true},
	{name: "cert-manager audit", mode: "cert-manager", image: "registry.example/team/vmnet-webhook:v0.1.0", audit: true, auditInterval: "45s"},
	{name: "self-managed with everything", mode: "self-managed", serviceMonitor: true, prometheusRule: true, metricsAuth: true, audit: true},
	{name: "self-managed placed", mode: "self-managed", placement: placement{
		nodeSelector: map[string]any{"node-role.kubernetes.io/infra": ""},
		tolerations: []any{map[string]any{"key": "node-role.kubernetes.io/infra", "operator": "Exists", "effect": "NoSchedule"},
			map[string]any{"key": "maintenance", "operator": "Equal", "value": "soon", "effect": "NoExecute", "tolerationSeconds": 300}},
		affinity: map[string]any{"podAntiAffinity": map[string]any{"requiredDuringSchedulingIgnoredDuringExecution": []any{map[string]any{
			"topologyKey":   "kubernetes.io/hostname",
			"labelSelector": map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/component": "webhook"}}}}}},
		spread: []any{map[string]any{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
			"labelSelector": map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/name": "vmnet-webhook"}}}},
		pullSecrets:       []any{map[string]any{"name": "regcred"}},
		podAnnotations:    map[string]any{"example.com/team": "vms", "sidecar.istio.io/inject": "false"},
		podLabels:         map[string]any{"example.com/cost-center": "infra", "team": "vms"},
		priorityClassName: ptr("vm-admission"),
		timeouts:          map[string]int{"mutate": 3, "validate": 10, "validate-vmi": 2, "validate-update": 30},
	}},
	{name: "cert-manager unplaced", mode: "cert-manager", placement: placement{spread: []any{}, priorityClassName: ptr("")}},
}

func ptr[T any](v T) *T { return &v }

// TestChartRendersTheOverlays: for each set of settings, helm template gives
// the objects of the matching overlay with the same settings, but the
// Namespace, which the chart leaves to the installer (docs/install.md).
func TestChartRendersTheOverlays(t *testing.T) {
	for _, s := range chartCases {
		t.Run(s.name, func(t *testing.T) {
			chart := normalize(t, withoutHooks(renderChart(t, s, "vmnet-system")), true)
			overlay := renderOverlay(t, s)
			kept := overlay[:0]
			for _, u := range overlay {
				if u.GetKind() != "Namespace" {
					kept = append(kept, u)
				}
			}
			want := normalize(t, kept, false)
			for key, w := range want {
				got, ok := chart[key]
				switch {
				case !ok:
					t.Errorf("chart does not render %s", key)
				case !equality.Semantic.DeepEqual(w, got):
					t.Errorf("%s with %s differs (- overlay, + chart):\n%s", key, s, diff.Diff(w, got))
				}
			}
			for key := range chart {
				if _, ok := want[key]; !ok {
					t.Errorf("chart renders %s, which the overlay does not", key)
				}
			}
		})
	}
}

// TestChartFollowsItsNamespace: installed elsewhere, nothing names
// vmnet-system, the monitoring objects' included.
func TestChartFollowsItsNamespace(t *testing.T) {
	for _, mode := range []string{"self-managed", "cert-manager", "openshift"} {
		objs := renderChart(t, settings{mode: mode, serviceMonitor: true, prometheusRule: true, metricsAuth: true, audit: true}, "tenant-webhooks")
		data, err := yaml.Marshal(objs)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), "vmnet-system") {
			t.Errorf("%s in namespace tenant-webhooks still names vmnet-system:\n%s", mode, data)
		}
		if !strings.Contains(string(data), "vmnet-webhook.tenant-webhooks.svc") && mode != "openshift" {
			t.Errorf("%s in namespace tenant-webhooks: no certificate name vmnet-webhook.tenant-webhooks.svc", mode)
		}
	}
}

func TestChartLints(t *testing.T) {
	for _, mode := range []string{"self-managed", "cert-manager", "openshift"} {
		if out, err := helm(t, "lint", "--strict", chartDir, "--namespace", "vmnet-system", "--set", "certificate.mode="+mode); err != nil {
			t.Errorf("certificate.mode=%s: %v\n%s", mode, err, out)
		}
	}
}

// TestChartSchemaRefusesBadValues: values.schema.json stops a typo before
// anything reaches the cluster, and says where.
func TestChartSchemaRefusesBadValues(t *testing.T) {
	for _, c := range []struct{ set, want string }{
		{"--set=certificate.mode=letsencrypt", "at '/certificate/mode': value must be one of 'self-managed', 'cert-manager', 'openshift'"},
		{"--set-string=replicas=2", "at '/replicas': got string, want integer"},
		{"--set=replicas=0", "at '/replicas': minimum: got 0, want 1"},
		{"--set=replica=3", "additional properties 'replica' not allowed"},
		{"--set=enforcement=audit", "at '/enforcement': value must be one of 'deny', 'warn'"},
		{"--set=failurePolicy=fail", "at '/failurePolicy': value must be one of 'Fail', 'Ignore'"},
		{"--set=image.tag=v1", "at '/image': additional properties 'tag' not allowed"},
		{"--set=excludedNamespaces={Kube_System}", "at '/excludedNamespaces/0'"},
		{"--set-string=monitoring.prometheusRule.enabled=yes", "at '/monitoring/prometheusRule/enabled': got string, want boolean"},
		{"--set=monitoring.serviceMonitor=true", "at '/monitoring/serviceMonitor': got boolean, want object"},
		{"--set=monitoring.grafana.enabled=true", "at '/monitoring': additional properties 'grafana' not allowed"},
		{"--set=monitoring.authenticatedMetrics.enable=true", "at '/monitoring/authenticatedMetrics': additional properties 'enable' not allowed"},
		{"--set-string=audit.interval=10", "at '/audit/interval': '10' does not match pattern"},
		{"--set=audit.interval=10", "at '/audit/interval': got number, want string"},
		{"--set=audit.interval=ten minutes", "at '/audit/interval': 'ten minutes' does not match pattern"},
		{"--set=audit.enabled=yes", "at '/audit/enabled': got string, want boolean"},
		{"--set=audit.schedule=*/10", "at '/audit': additional properties 'schedule' not allowed"},
		{"--set=nodeSelector=linux", "at '/nodeSelector': got string, want object"},
		{"--set=nodeSelector.zone=1", "at '/nodeSelector/zone': got number, want string"},
		{"--set=tolerations=none", "at '/tolerations': got string, want array"},
		{"--set=tolerations[0].operator=exists", "at '/tolerations/0/operator': value must be one of 'Exists', 'Equal'"},
		{"--set=affinity.nodeAfinity.x=y", "at '/affinity': additional properties 'nodeAfinity' not allowed"},
		{"--set=topologySpreadConstraints[0].maxSkew=1", "at '/topologySpreadConstraints/0': missing properties 'topologyKey', 'whenUnsatisfiable'"},
		{"--set=imagePullSecrets={regcred}", "at '/imagePullSecrets/0': got string, want object"},
		{"--set=podAnnotations.team=1", "at '/podAnnotations/team': got number, want string"},
		{"--set=podAnnotations.checksum/config=x", "at '/podAnnotations/checksum~1config': false schema"},
		{"--set=podLabels.app\\.kubernetes\\.io/component=audit", "at '/podLabels/app.kubernetes.io~1component': value must be 'webhook'"},
		{"--set=priorityClassName=true", "at '/priorityClassName': got boolean, want string"},
		{"--set-string=timeoutSeconds.validate=10", "at '/timeoutSeconds/validate': got string, want integer"},
		{"--set=timeoutSeconds.validate=31", "at '/timeoutSeconds/validate': maximum: got 31, want 30"},
		{"--set=timeoutSeconds.mutate=0", "at '/timeoutSeconds/mutate': minimum: got 0, want 1"},
		{"--set=timeoutSeconds.validate-vm=10", "at '/timeoutSeconds': additional properties 'validate-vm' not allowed"},
		{"--set=uninstallHook.enabled=yes", "at '/uninstallHook/enabled': got string, want boolean"},
	} {
		_, err := helm(t, "template", "vmnet-webhook", chartDir, c.set)
		if err == nil {
			t.Errorf("helm template %s: accepted", c.set)
		} else if !strings.Contains(err.Error(), c.want) {
			t.Errorf("helm template %s: error does not say %q:\n%v", c.set, c.want, err)
		}
	}
}
