package manifests

import (
	"encoding/json"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// find is the object of that kind and name, through JSON: rendered objects
// hold Go ints, which the Nested helpers cannot copy.
func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			data, err := json.Marshal(o.Object)
			if err != nil {
				panic(err)
			}
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				panic(err)
			}
			return &unstructured.Unstructured{Object: m}
		}
	}
	return nil
}

// TestRenderWithoutComponentsIsRender: RenderWith adds nothing of its own.
func TestRenderWithoutComponentsIsRender(t *testing.T) {
	for _, k := range Kustomizations {
		a, err := Render(k)
		if err != nil {
			t.Fatal(err)
		}
		b, err := RenderWith(k)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: RenderWith without components differs from Render", k)
		}
	}
}

// TestMetricsAuthComponent: the server is told to authenticate, gets a
// token and egress to the API server, and the ServiceMonitor, when listed
// before it, scrapes over HTTPS with the reader's token, verifying the
// serving certificate against the CA of its mode.
func TestMetricsAuthComponent(t *testing.T) {
	for _, c := range []struct {
		overlay    string
		components []string
		ca         map[string]any
	}{
		{"overlays/cert-manager", []string{"service-monitor", "metrics-auth"},
			map[string]any{"secret": map[string]any{"name": "vmnet-webhook-tls", "key": "ca.crt"}}},
		{"overlays/openshift", []string{"service-monitor", "metrics-auth", "metrics-auth-openshift"},
			map[string]any{"configMap": map[string]any{"name": "vmnet-webhook-service-ca", "key": "service-ca.crt"}}},
	} {
		objs, err := RenderWith(c.overlay, c.components...)
		if err != nil {
			t.Fatal(err)
		}
		d := find(objs, "Deployment", "vmnet-webhook")
		containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
		got, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
		if got[len(got)-1] != "--metrics-auth" {
			t.Errorf("%s: args %v do not end in --metrics-auth", c.overlay, got)
		}
		if v, _, _ := unstructured.NestedBool(d.Object, "spec", "template", "spec", "automountServiceAccountToken"); !v {
			t.Errorf("%s: the pods get no API token", c.overlay)
		}
		np := find(objs, "NetworkPolicy", "vmnet-webhook")
		if egress, _, _ := unstructured.NestedSlice(np.Object, "spec", "egress"); len(egress) != 1 {
			t.Errorf("%s: egress %v, want the API server's ports", c.overlay, egress)
		}
		for _, want := range []struct{ kind, name string }{
			{"ClusterRole", "vmnet-webhook-metrics-auth"}, {"ClusterRoleBinding", "vmnet-webhook-metrics-auth"},
			{"ClusterRole", "vmnet-webhook-metrics-reader"}, {"ClusterRoleBinding", "vmnet-webhook-metrics-reader"},
			{"ServiceAccount", "vmnet-webhook-metrics-reader"}, {"Secret", "vmnet-webhook-metrics-reader"},
		} {
			if find(objs, want.kind, want.name) == nil {
				t.Errorf("%s: no %s %s", c.overlay, want.kind, want.name)
			}
		}
		sm := find(objs, "ServiceMonitor", "vmnet-webhook")
		if sm == nil {
			t.Fatalf("%s: no ServiceMonitor", c.overlay)
		}
		eps, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
		ep := eps[0].(map[string]any)
		if ep["scheme"] != "https" {
			t.Errorf("%s: scheme %v", c.overlay, ep["scheme"])
		}
		if ca, _, _ := unstructured.NestedMap(ep, "tlsConfig", "ca"); !reflect.DeepEqual(ca, c.ca) {
			t.Errorf("%s: tlsConfig.ca %v, want %v", c.overlay, ca, c.ca)
		}
		if name, _, _ := unstructured.NestedString(ep, "authorization", "credentials", "name"); name != "vmnet-webhook-metrics-reader" {
			t.Errorf("%s: credentials from %q", c.overlay, name)
		}
	}
}
