package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

// installedObjects are an installed webhook as the API server stores it:
// the configuration naming its Service, the Service, one Pod not ready and
// one ready (the one read), and the ConfigMap they mount.
func installedObjects() []runtime.Object {
	vwc := fakeObject("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "", webhookConfigurationName, map[string]any{
		"webhooks": []any{map[string]any{"name": "validate.vmnet.kubevirt.io",
			"clientConfig": map[string]any{"service": map[string]any{"namespace": "tenant", "name": "vmnet-webhook"}}}},
	})
	svc := fakeObject("v1", "Service", "tenant", "vmnet-webhook", map[string]any{
		"spec": map[string]any{"selector": map[string]any{"app.kubernetes.io/component": "webhook"}},
	})
	pod := func(name string, ready bool, ips ...string) *unstructured.Unstructured {
		var podIPs []any
		for _, ip := range ips {
			podIPs = append(podIPs, map[string]any{"ip": ip})
		}
		status := "False"
		if ready {
			status = "True"
		}
		p := fakeObject("v1", "Pod", "tenant", name, map[string]any{
			"spec": map[string]any{
				"containers": []any{map[string]any{"name": "webhook", "image": "vmnet-webhook",
					"args": []any{"serve", "--port=9443", "--config=/etc/vmnet-webhook/config.yaml", "--reserved-ports", "49152,5900", "--cert-dir=/tls"},
					"volumeMounts": []any{
						map[string]any{"name": "tls", "mountPath": "/tls"},
						map[string]any{"name": "config", "mountPath": "/etc/vmnet-webhook"}}}},
				"volumes": []any{
					map[string]any{"name": "tls", "secret": map[string]any{"secretName": "tls"}},
					map[string]any{"name": "config", "configMap": map[string]any{"name": "vmnet-webhook-config-5h2k"}}},
			},
			"status": map[string]any{"podIPs": podIPs, "conditions": []any{map[string]any{"type": "Ready", "status": status}}},
		})
		p.SetLabels(map[string]string{"app.kubernetes.io/component": "webhook"})
		return p
	}
	cm := fakeObject("v1", "ConfigMap", "tenant", "vmnet-webhook-config-5h2k", map[string]any{
		"data": map[string]any{"config.yaml": "enforcement: warn\nipv6:\n  inject: auto\n  guestInterface: ens3\n"},
	})
	return []runtime.Object{vwc, svc, pod("starting", false, "10.0.0.9"), pod("ready", true, "10.0.0.5", "fd00::5"), cm}
}

// Without --config and --pod-ips, audit judges with the installed
// webhook's settings: its ConfigMap, the rule flags of its arguments, its
// Pod's IPs; rule flags given on the command line win; --config replaces
// the file and the Pod's flags, but the Pod's IPs still count.
func TestAuditReadsTheInstalledWebhook(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		env        string
		ports      []int32
		iface      string
		ipv6       bool
		stderrHave string
	}{
		{nil, "", []int32{49152, 5900}, "ens3", true, "Pod tenant/ready: ConfigMap vmnet-webhook-config-5h2k, pod IPs 10.0.0.5,fd00::5"},
		{[]string{"--reserved-ports=22"}, "", []int32{22}, "ens3", true, "pod IPs 10.0.0.5,fd00::5"},
		{[]string{"--pod-ips=10.1.0.1"}, "", []int32{49152, 5900}, "ens3", false, "pod IPs 10.1.0.1"},
		{nil, "10.2.0.1", []int32{49152, 5900}, "ens3", false, "pod IPs 10.2.0.1"},
		{[]string{"--config=" + writeFile(t, "ipv6:\n  guestInterface: eth1\n")}, "", []int32{49152, 49153}, "eth1", true, "config "},
	} {
		a, _ := fakeCluster(t, false, installedObjects()...)
		fs := pflag.NewFlagSet("audit", pflag.ContinueOnError)
		t.Setenv("POD_IPS", tc.env)
		rf := addRuleFlags(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cfg, err := a.installedConfig(context.Background(), fs, rf, &stderr)
		if err != nil {
			t.Fatalf("%v: %v", tc.args, err)
		}
		if !slices.Equal(cfg.ReservedPorts, tc.ports) || cfg.IPv6.GuestInterface != tc.iface || cfg.IPv6.PodNetworkIPv6 != tc.ipv6 {
			t.Errorf("%v POD_IPS=%q: ports %v interface %s IPv6 %v, want %v %s %v", tc.args, tc.env,
				cfg.ReservedPorts, cfg.IPv6.GuestInterface, cfg.IPv6.PodNetworkIPv6, tc.ports, tc.iface, tc.ipv6)
		}
		if !strings.Contains(stderr.String(), tc.stderrHave) {
			t.Errorf("%v: stderr %q, want it to say %q", tc.args, stderr.String(), tc.stderrHave)
		}
	}
}

// No webhook registered, or one called by URL (run outside the cluster):
// the flags' settings, silently. A webhook whose Pods cannot be read, or
// whose config is not where it says: an error naming what to pass.
func TestAuditInstalledWebhookMissing(t *testing.T) {
	objs := installedObjects()
	for name, tc := range map[string]struct {
		objs []runtime.Object
		want string
	}{
		"none registered": {objs[1:], ""},
		"called by URL": {append([]runtime.Object{fakeObject("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "", webhookConfigurationName,
			map[string]any{"webhooks": []any{map[string]any{"clientConfig": map[string]any{"url": "https://127.0.0.1:9443/validate"}}}})}, objs[1:]...), ""},
		"no Pod":       {objs[:2], "the webhook's Service tenant/vmnet-webhook: no Pod it selects has an IP; pass --config and --pod-ips"},
		"no ConfigMap": {objs[:4], `configmaps "vmnet-webhook-config-5h2k" not found`},
		"no Service":   {[]runtime.Object{objs[0]}, `services "vmnet-webhook" not found`},
	} {
		a, _ := fakeCluster(t, false, tc.objs...)
		fs := pflag.NewFlagSet("audit", pflag.ContinueOnError)
		t.Setenv("POD_IPS", "")
		rf := addRuleFlags(fs)
		var stderr bytes.Buffer
		cfg, err := a.installedConfig(context.Background(), fs, rf, &stderr)
		switch {
		case tc.want == "" && (err != nil || stderr.Len() > 0 || !slices.Equal(cfg.ReservedPorts, config.Default().ReservedPorts)):
			t.Errorf("%s: %v, stderr %q, ports %v; want the defaults", name, err, stderr.String(), cfg.ReservedPorts)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
		}
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
