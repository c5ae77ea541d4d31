package e2e

import (
	"bufio"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// vmWith is a VirtualMachine whose template spec is the given JSON.
func vmWith(name, spec string) string {
	return `{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"` + name + `"},"spec":{"template":{"spec":` + spec + `}}}`
}

// Ill-typed objects reach the mutating webhook before the API server's
// schema validation. The user gets the API server's schema error, naming the
// field, and never "failed calling webhook"; the webhook answers every such
// request without an error, a bad request or a panic.
func TestIllTypedInputGetsSchemaErrors(t *testing.T) {
	ns := newNamespace(t, nil)
	const devs = "spec.template.spec.domain.devices"
	// Where the schema has CEL rules, the API server says they were not
	// checked, and kubectl lists that beside the schema error.
	const incomplete = "<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"
	invalid := func(name, err string) string {
		if served.celRules {
			return `The VirtualMachine "` + name + `" is invalid: ` + "\n* " + err + "\n* " + incomplete + "\n"
		}
		return `The VirtualMachine "` + name + `" is invalid: ` + err + "\n"
	}
	before := webhookFailures(t)
	cases := []struct {
		name, spec, stderr string
		kubectlArgs        []string
	}{
		{"port as a string", `{"domain":{"devices":{"interfaces":[{"name":"default","masquerade":{},"ports":[{"port":"49152"}]}]}},"networks":[{"name":"default","pod":{}}]}`,
			invalid("port-as-a-string", devs+`.interfaces[0].ports[0].port: Invalid value: "string": `+devs+`.interfaces[0].ports[0].port in body must be of type integer: "string"`), nil},
		{"null port", `{"domain":{"devices":{"interfaces":[{"name":"default","masquerade":{},"ports":[{"port":null}]}]}},"networks":[{"name":"default","pod":{}}]}`,
			invalid("null-port", devs+".interfaces[0].ports[0].port: Required value"), nil},
		// kubectl asks for strict field validation by default: an object where
		// a list belongs is read as unknown fields.
		{"interfaces as an object", `{"domain":{"devices":{"interfaces":{"name":"default","masquerade":{}}}},"networks":[{"name":"default","pod":{}}]}`,
			`Error from server (BadRequest): error when creating "STDIN": VirtualMachine in version "v1" cannot be handled as a VirtualMachine: strict decoding error: unknown field "` + devs + `.interfaces.masquerade", unknown field "` + devs + `.interfaces.name"` + "\n", nil},
		{"interfaces as an object, not strict", `{"domain":{"devices":{"interfaces":{"name":"default","masquerade":{}}}},"networks":[{"name":"default","pod":{}}]}`,
			invalid("interfaces-as-an-object-not-strict", devs+`.interfaces: Invalid value: "object": `+devs+`.interfaces in body must be of type array: "object"`), []string{"--validate=false"}},
		{"networks as a string", `{"domain":{"devices":{}},"networks":"pod"}`,
			invalid("networks-as-a-string", `spec.template.spec.networks: Invalid value: "string": spec.template.spec.networks in body must be of type array: "string"`), nil},
		{"networkData as a number", `{"domain":{"devices":{}},"volumes":[{"name":"c","cloudInitNoCloud":{"networkData":5}}]}`,
			invalid("networkdata-as-a-number", `spec.template.spec.volumes[0].cloudInitNoCloud.networkData: Invalid value: "integer": spec.template.spec.volumes[0].cloudInitNoCloud.networkData in body must be of type string: "integer"`), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := strings.ReplaceAll(strings.ReplaceAll(c.name, " ", "-"), ",", "")
			name = strings.ToLower(name)
			args := append([]string{"create", "-n", ns, "-f", "-"}, c.kubectlArgs...)
			r := kubectl(t, vmWith(name, c.spec), args...)
			if r.code != 1 || r.stderr != c.stderr {
				t.Errorf("exit %d stderr\n %q\nwant\n %q", r.code, r.stderr, c.stderr)
			}
			if strings.Contains(r.stderr, "failed calling webhook") {
				t.Errorf("the webhook failed on it")
			}
			absent(t, vmGVR, ns, name)
		})
	}

	// The same through client-go, which asks for no field validation.
	dc, _ := client(t)
	obj := parse(t, vmWith("client-go", `{"domain":{"devices":{"interfaces":{"name":"default"}}},"networks":[{"name":"default","pod":{}}]}`))
	_, err := dc.Resource(vmGVR).Namespace(ns).Create(context.Background(), obj, metav1.CreateOptions{})
	schemaErr := devs + `.interfaces: Invalid value: "object": ` + devs + `.interfaces in body must be of type array: "object"`
	want := `VirtualMachine.kubevirt.io "client-go" is invalid: ` + schemaErr
	if served.celRules {
		want = `VirtualMachine.kubevirt.io "client-go" is invalid: [` + schemaErr + ", " + incomplete + "]"
	}
	if err == nil || err.Error() != want {
		t.Errorf("client-go: %v\nwant %s", err, want)
	}

	// null counts as absent, for the webhook as for the API server: a VM whose
	// interfaces and networks are null gets the defaults.
	mustKubectl(t, vmWith("nulls", `{"domain":{"devices":{"interfaces":null}},"networks":null}`), "create", "-n", ns, "-f", "-")
	spec := field(t, stored(t, vmGVR, ns, "nulls").Object, "spec", "template", "spec").(map[string]any)
	sameJSON(t, "interfaces", field(t, spec, "domain", "devices", "interfaces"), `[{name: default, masquerade: {}, macAddress: "`+assignedMAC(t, spec)+`"}]`)
	sameJSON(t, "networks", field(t, spec, "networks"), `[{name: default, pod: {}}]`)

	if after := webhookFailures(t); after != before {
		t.Errorf("the webhook counted errors, bad requests or panics: %v before, %v after", before, after)
	}
}

// webhookFailures sums the shared webhook's counters of requests it could
// not decide: decisions "error", bad requests, rule panics.
func webhookFailures(t *testing.T) float64 {
	t.Helper()
	resp, err := http.Get("http://" + wh.MetricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "vmnet_webhook_decisions_total{") && strings.Contains(l, `decision="error"`) ||
			strings.HasPrefix(l, "vmnet_webhook_bad_requests_total{") || strings.HasPrefix(l, "vmnet_webhook_rule_panics_total{") {
			f := strings.Fields(l)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err != nil {
				t.Fatalf("metrics line %q: %v", l, err)
			}
			sum += v
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return sum
}
