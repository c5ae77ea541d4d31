package manifests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestChartSlowAlertFollowsTimeouts: the chart's VmnetWebhookSlow fires at
// half the shortest timeoutSeconds. Calls with a p99 of 1.5 s are slow for
// a 2-second timeout, and not for the default 5 seconds; promtool judges.
func TestChartSlowAlertFollowsTimeouts(t *testing.T) {
	promtool := promtoolBin(t)
	short := map[string]int{"mutate": 3, "validate": 10, "validate-vmi": 2, "validate-update": 30}
	for _, tt := range []struct {
		timeouts         map[string]int
		fires            bool
		summary, seconds string
	}{
		{nil, false, "", ""},
		{short, true, "near its 2-second timeout", "1"},
	} {
		s := settings{mode: "self-managed", prometheusRule: true, placement: placement{timeouts: tt.timeouts}}
		var spec any
		for _, obj := range renderChart(t, s, "vmnet-system") {
			if obj.GetKind() == "PrometheusRule" {
				spec = obj.Object["spec"]
			}
		}
		rules, err := yaml.Marshal(spec)
		if err != nil || spec == nil {
			t.Fatalf("the chart renders no PrometheusRule with %v (%v)", tt.timeouts, err)
		}
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), rules, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "slow_test.yaml"), []byte(slowTest(tt.fires, tt.summary, tt.seconds)), 0o600); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		cmd := exec.Command(promtool, "test", "rules", "slow_test.yaml")
		cmd.Dir, cmd.Stdout, cmd.Stderr = dir, &out, &out
		if err := cmd.Run(); err != nil {
			t.Errorf("timeouts %v: promtool test rules: %v\n%s", tt.timeouts, err, out.String())
		}
	}
}

// slowTest is a promtool test of validate's calls at a p99 of 1.5 s (98 of
// 100 a minute within 1 s, the rest within 2 s).
func slowTest(fires bool, summary, seconds string) string {
	exp := "[]"
	if fires {
		exp = fmt.Sprintf(`
          - exp_labels: {severity: warning, name: validate.vmnet.kubevirt.io}
            exp_annotations:
              summary: vmnet-webhook answers the API server slowly, %s.
              description: >-
                For 10 minutes, more than 1%% of the API server's calls to a vmnet-webhook
                webhook took longer than %s seconds, half its 2-second timeout. Calls
                that reach the timeout fail: VM creates are refused (validate) or stored
                without their network config (mutate).
              runbook_url: %sVmnetWebhookSlow.md`, summary, seconds, runbookURL)
	}
	series := `apiserver_admission_webhook_admission_duration_seconds_bucket{name="validate.vmnet.kubevirt.io", type="validating", operation="CREATE", rejected="false", le="%s"}`
	return fmt.Sprintf(`rule_files: [rules.yaml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: '`+series+`'
        values: '0+98x20'
      - series: '`+series+`'
        values: '0+100x20'
      - series: '`+series+`'
        values: '0+100x20'
    alert_rule_test:
      - eval_time: 16m
        alertname: VmnetWebhookSlow
        exp_alerts: %s
`, "1", "2", "+Inf", exp)
}
