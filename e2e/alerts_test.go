package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The PrometheusRule whose selectors are checked.
const prometheusRule = "manifests/components/prometheus-rule/prometheus-rule.yaml"

// selector is one series selector of an alert, as promql-selectors prints it.
type selector struct {
	Rule     string `json:"rule"`
	Metric   string `json:"metric"`
	Matchers []struct {
		Name  string `json:"name"`
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"matchers"`
}

// alertSelectors runs promql-selectors (e2e/tools/promtool, built by make
// test and named in VMNET_TEST_PROMQL_SELECTORS, or bin/promql-selectors)
// on the PrometheusRule: Prometheus's own parser finds the selectors.
func alertSelectors(t *testing.T) []selector {
	t.Helper()
	bin := os.Getenv("VMNET_TEST_PROMQL_SELECTORS")
	if bin == "" {
		bin = filepath.Join(root, "bin", "promql-selectors")
		if _, err := os.Stat(bin); err != nil {
			t.Skipf("%s is not built (make test builds it): skipping the check of the alerts' series", bin)
		}
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, filepath.Join(root, prometheusRule))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("promql-selectors: %v\n%s", err, stderr.String())
	}
	var sels []selector
	if err := json.Unmarshal(stdout.Bytes(), &sels); err != nil {
		t.Fatal(err)
	}
	if len(sels) == 0 {
		t.Fatal("promql-selectors found no selector")
	}
	return sels
}

// series is a scrape: every sample's name (a histogram's as _bucket,
// _count and _sum) with its labels.
type series map[string][]map[string]string

func parseSeries(t *testing.T, r io.Reader) series {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatal(err)
	}
	out := series{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM:
				for _, b := range m.GetHistogram().GetBucket() {
					bl := map[string]string{"le": strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64)}
					for k, v := range labels {
						bl[k] = v
					}
					out[name+"_bucket"] = append(out[name+"_bucket"], bl)
				}
				out[name+"_bucket"] = append(out[name+"_bucket"], merge(labels, "le", "+Inf"))
				out[name+"_count"] = append(out[name+"_count"], labels)
				out[name+"_sum"] = append(out[name+"_sum"], labels)
			default:
				out[name] = append(out[name], labels)
			}
		}
	}
	return out
}

func merge(labels map[string]string, k, v string) map[string]string {
	m := map[string]string{k: v}
	for a, b := range labels {
		m[a] = b
	}
	return m
}

// matches reports whether some series of s is one sel selects.
func (s series) matches(t *testing.T, sel selector) bool {
	t.Helper()
	for _, labels := range s[sel.Metric] {
		ok := true
		for _, m := range sel.Matchers {
			if m.Name == "__name__" {
				continue
			}
			v := labels[m.Name]
			switch m.Type {
			case "=":
				ok = ok && v == m.Value
			case "!=":
				ok = ok && v != m.Value
			case "=~", "!~":
				re, err := regexp.Compile("^(?:" + m.Value + ")$")
				if err != nil {
					t.Fatalf("%s: matcher %s%s%q: %v", sel.Rule, m.Name, m.Type, m.Value, err)
				}
				ok = ok && re.MatchString(v) == (m.Type == "=~")
			default:
				t.Fatalf("%s: matcher type %q", sel.Rule, m.Type)
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// TestAlertsReadExportedSeries: every series an alert reads is one that is
// exported, with the labels it selects on. The webhook's own come from the
// live /metrics of a webhook that admitted a VM; the API server's from this
// control plane's kube-apiserver after a create went through the webhooks,
// and another failed calling validate (refused) and mutate (skipped, failing
// open) with the webhook stopped. Not checked here: kube-state-metrics'
// series (none runs here; the name and labels are those of its
// internal/store/deployment.go), and the in-cluster audit's vmnet_audit_*,
// which TestAuditInCluster checks against a running audit.
func TestAlertsReadExportedSeries(t *testing.T) {
	sels := alertSelectors(t)
	ns := newNamespace(t, nil)
	down := instead(t)
	mustKubectl(t, "", "create", "-n", ns, "-f", "examples/guide-vm.yaml")

	resp, err := http.Get("http://" + down.MetricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	webhook := parseSeries(t, resp.Body)
	resp.Body.Close()

	down.Stop()
	r := kubectl(t, kinds[0].object("alerts-down", specBare), "create", "-n", ns, "-f", "-")
	if r.code == 0 || !strings.Contains(r.stderr, `failed calling webhook "validate.vmnet.kubevirt.io"`) {
		t.Fatalf("create with the webhook stopped: exit %d, stderr %q", r.code, r.stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	body, err := kubernetesClient(t).CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	apiserver := parseSeries(t, bytes.NewReader(body))

	checked := map[string]bool{}
	for _, sel := range sels {
		var from series
		switch {
		case strings.HasPrefix(sel.Metric, "apiserver_"):
			from = apiserver
		case strings.HasPrefix(sel.Metric, "vmnet_webhook_"), strings.HasPrefix(sel.Metric, "controller_runtime_"):
			from = webhook
		case strings.HasPrefix(sel.Metric, "kube_"), strings.HasPrefix(sel.Metric, "vmnet_audit_"):
			t.Logf("%s: %s is not exported here (kube-state-metrics, the in-cluster audit): not checked here", sel.Rule, sel.Metric)
			continue
		default:
			t.Errorf("%s: %s: no exporter known for it", sel.Rule, sel.Metric)
			continue
		}
		checked[sel.Rule] = true
		if !from.matches(t, sel) {
			t.Errorf("%s reads %s with %+v, which no exported series matches; exported: %v", sel.Rule, sel.Metric, sel.Matchers, from[sel.Metric])
		}
	}
	for _, alert := range []string{"VmnetWebhookUnreachable", "VmnetWebhookFailingOpen", "VmnetWebhookSlow", "VmnetWebhookInternalErrors", "VmnetWebhookCertificateExpiring"} {
		if !checked[alert] {
			t.Errorf("%s: none of its series was checked", alert)
		}
	}
}
