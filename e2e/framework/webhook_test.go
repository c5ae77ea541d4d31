package framework

import (
	"strings"
	"testing"
)

// The configurations come from manifests/ and every webhook ends up calling
// the local server at its own path, trusting the given CA, with nothing of
// the service reference left.
func TestPointAtRewritesEveryWebhook(t *testing.T) {
	var cp ControlPlane
	mutating, validating, err := cp.loadConfigurations()
	if err != nil {
		t.Fatal(err)
	}
	if err := pointAt(mutating, validating, 12345, []byte("CA")); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	check := func(name string, url *string, ca []byte, svc bool) {
		if url == nil || svc || string(ca) != "CA" {
			t.Errorf("%s: url %v, service left %v, caBundle %q", name, url, svc, ca)
			return
		}
		got[name] = *url
	}
	for _, m := range mutating {
		for _, w := range m.Webhooks {
			check(w.Name, w.ClientConfig.URL, w.ClientConfig.CABundle, w.ClientConfig.Service != nil)
		}
	}
	for _, v := range validating {
		for _, w := range v.Webhooks {
			check(w.Name, w.ClientConfig.URL, w.ClientConfig.CABundle, w.ClientConfig.Service != nil)
		}
	}
	want := map[string]string{
		"mutate.vmnet.kubevirt.io":          "https://127.0.0.1:12345/mutate",
		"validate.vmnet.kubevirt.io":        "https://127.0.0.1:12345/validate",
		"validate-vmi.vmnet.kubevirt.io":    "https://127.0.0.1:12345/validate",
		"validate-update.vmnet.kubevirt.io": "https://127.0.0.1:12345/validate",
	}
	if len(got) != len(want) {
		t.Errorf("webhooks %v, want %v", got, want)
	}
	for name, url := range want {
		if got[name] != url {
			t.Errorf("%s: url %q, want %q", name, got[name], url)
		}
	}
}

func TestParseWebhookRequests(t *testing.T) {
	const text = `# HELP controller_runtime_webhook_requests_total Total number of admission requests by HTTP status code.
# TYPE controller_runtime_webhook_requests_total counter
controller_runtime_webhook_requests_total{code="200",webhook="/mutate"} 3
controller_runtime_webhook_requests_total{code="500",webhook="/mutate"} 1
controller_runtime_webhook_requests_total{code="200",webhook="/validate"} 2
controller_runtime_webhook_requests_in_flight{webhook="/validate"} 0
`
	got, err := parseWebhookRequests(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if got["/mutate"] != 4 || got["/validate"] != 2 || len(got) != 2 {
		t.Errorf("counts %v, want /mutate 4, /validate 2", got)
	}
}

func TestMissingBinaryNamesMakeTarget(t *testing.T) {
	if err := missingBinary("/x/bin/kube-apiserver"); !strings.Contains(err.Error(), "make e2e-tools") {
		t.Errorf("kube-apiserver: %v", err)
	}
	if err := missingBinary("/x/bin/vmnet-webhook"); !strings.Contains(err.Error(), "make build") {
		t.Errorf("vmnet-webhook: %v", err)
	}
}
