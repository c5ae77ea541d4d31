package manifests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const (
	ruleDir      = "components/prometheus-rule"
	runbookURL   = "https://github.com/vmnet-webhook/vmnet-webhook/blob/main/docs/runbooks/"
	runbooksPath = "../docs/runbooks"
)

// prometheusRule is what the alerts' tests read of a PrometheusRule.
type prometheusRule struct {
	Spec struct {
		Groups []struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert       string            `json:"alert"`
				Expr        string            `json:"expr"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	} `json:"spec"`
}

func readPrometheusRule(t *testing.T) (prometheusRule, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(ruleDir, "prometheus-rule.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var pr prometheusRule
	if err := yaml.Unmarshal(data, &pr); err != nil {
		t.Fatal(err)
	}
	return pr, data
}

// promtoolBin is the promtool `make test` builds and names in
// VMNET_TEST_PROMTOOL, or else bin/promtool if built; without either, the
// rules' tests skip.
func promtoolBin(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("VMNET_TEST_PROMTOOL"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("VMNET_TEST_PROMTOOL: %v", err)
		}
		return bin
	}
	bin, err := filepath.Abs(filepath.Join("..", "bin", "promtool"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("%s is not built (make test builds it; or make $PWD/bin/promtool): skipping promtool test rules", bin)
	}
	return bin
}

// TestAlertsWithPromtool runs `promtool check rules` and `promtool test
// rules` (alerts_test.yaml) on the PrometheusRule's groups.
func TestAlertsWithPromtool(t *testing.T) {
	bin := promtoolBin(t)
	_, data := readPrometheusRule(t)
	var obj struct {
		Spec map[string]any `json:"spec"`
	}
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	rules, err := yaml.Marshal(obj.Spec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), rules, 0o600); err != nil {
		t.Fatal(err)
	}
	tests, err := os.ReadFile(filepath.Join(ruleDir, "alerts_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "alerts_test.yaml"), tests, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"check", "rules", "--lint=all", "--lint-fatal", "rules.yaml"},
		{"test", "rules", "alerts_test.yaml"},
	} {
		var out bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
	}
}

// TestEveryAlertIsTestedAndHasARunbook: each alert has a severity of
// critical or warning, a summary and description, a runbook_url naming
// docs/runbooks/<alert>.md, which exists and holds the four sections a
// runbook has, and a case in alerts_test.yaml.
func TestEveryAlertIsTestedAndHasARunbook(t *testing.T) {
	pr, _ := readPrometheusRule(t)
	tests, err := os.ReadFile(filepath.Join(ruleDir, "alerts_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range pr.Spec.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s: severity %q, want critical or warning", r.Alert, s)
			}
			for _, a := range []string{"summary", "description"} {
				if r.Annotations[a] == "" {
					t.Errorf("%s: no %s", r.Alert, a)
				}
			}
			if strings.Contains(r.Annotations["description"]+r.Annotations["summary"], "{{") {
				t.Errorf("%s: the annotations are templates, which the chart would have to escape", r.Alert)
			}
			if want := runbookURL + r.Alert + ".md"; r.Annotations["runbook_url"] != want {
				t.Errorf("%s: runbook_url %q, want %q", r.Alert, r.Annotations["runbook_url"], want)
			}
			runbook, err := os.ReadFile(filepath.Join(runbooksPath, r.Alert+".md"))
			if err != nil {
				t.Errorf("%s: %v", r.Alert, err)
			} else {
				for _, h := range []string{"# " + r.Alert + "\n", "\n## Meaning\n", "\n## Impact\n", "\n## Diagnosis\n", "\n## Mitigation\n"} {
					if !bytes.Contains(runbook, []byte(h)) {
						t.Errorf("docs/runbooks/%s.md has no %q", r.Alert, strings.TrimSpace(h))
					}
				}
			}
			if !bytes.Contains(tests, []byte("alertname: "+r.Alert+"\n")) {
				t.Errorf("%s: no case in alerts_test.yaml", r.Alert)
			}
		}
	}
	if n == 0 {
		t.Fatal("no alerts read")
	}
	// Every runbook belongs to an alert.
	files, err := filepath.Glob(filepath.Join(runbooksPath, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != n {
		t.Errorf("%d runbooks in docs/runbooks for %d alerts: %v", len(files), n, files)
	}
}
