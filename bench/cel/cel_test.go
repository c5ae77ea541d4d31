package cel

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vmnet-webhook/vmnet-webhook/bench/e2eload"
	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

func vm(name, devices, networks string, annotations string) string {
	return `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: ` + name + `
  namespace: default
  annotations: {` + annotations + `}
spec:
  runStrategy: Halted
  template:
    spec:
      domain:
        devices: ` + devices + `
      networks: ` + networks + `
`
}

// The policies in manifests/cel load without type-checking warnings against
// KubeVirt's schema, and do what the README says: default interface and
// network, default binding, reserved ports refused on masquerade interfaces
// only, the per-object opt-out of mutation.
func TestPolicies(t *testing.T) {
	cp := framework.StartT(t)
	ctx := context.Background()
	if err := Install(ctx, cp); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"validatingadmissionpolicy/vmnet-reserved-ports", "mutatingadmissionpolicy/vmnet-defaults"} {
		out, stderr, err := cp.Kubectl(ctx, "", "get", kind, "-o", "jsonpath={.status.typeChecking}")
		if err != nil {
			t.Fatalf("get %s: %v: %s", kind, err, stderr)
		}
		if strings.Contains(out, "warning") {
			t.Errorf("%s: type checking: %s", kind, out)
		}
	}

	create := func(t *testing.T, obj string) (e2eload.VMShape, string, error) {
		t.Helper()
		out, stderr, err := cp.Kubectl(ctx, obj, "create", "-o", "json", "-f", "-")
		var s e2eload.VMShape
		if err == nil {
			if s, err = e2eload.Shape([]byte(out)); err != nil {
				t.Fatalf("kubectl output: %v", err)
			}
		}
		return s, stderr, err
	}
	str := func(v any) string { b, _ := json.Marshal(v); return string(b) }

	t.Run("bare VM gets the masquerade interface on the pod network", func(t *testing.T) {
		s, stderr, err := create(t, vm("bare", "{}", "null", ""))
		if err != nil {
			t.Fatal(stderr)
		}
		if got := str(s.Interfaces); got != `[{"masquerade":{},"name":"default"}]` {
			t.Errorf("interfaces %s", got)
		}
		if got := str(s.Networks); got != `[{"name":"default","pod":{}}]` {
			t.Errorf("networks %s", got)
		}
	})
	t.Run("pod interface without binding gets masquerade, others untouched", func(t *testing.T) {
		s, stderr, err := create(t, vm("binding",
			`{interfaces: [{name: br, bridge: {}}, {name: default}]}`,
			`[{name: br, multus: {networkName: br}}, {name: default, pod: {}}]`, ""))
		if err != nil {
			t.Fatal(stderr)
		}
		if got := str(s.Interfaces); got != `[{"bridge":{},"name":"br"},{"masquerade":{},"name":"default"}]` {
			t.Errorf("interfaces %s", got)
		}
	})
	t.Run("opted-out VM is not mutated", func(t *testing.T) {
		s, stderr, err := create(t, vm("opted-out", "{}", "null", `vmnet.kubevirt.io/mutate: "false"`))
		if err != nil {
			t.Fatal(stderr)
		}
		if n := len(s.Networks); n != 0 {
			t.Errorf("opted-out VM got %d networks", n)
		}
	})
	for _, tc := range []struct {
		name, devices, networks, denial string
	}{
		{"port 49152 on masquerade", `{interfaces: [{name: default, masquerade: {}, ports: [{port: 80}, {port: 49152}]}]}`,
			`[{name: default, pod: {}}]`, "ports 49152 and 49153 are reserved for libvirt's live migration"},
		{"port 49153 on a pod interface without binding", `{interfaces: [{name: default, ports: [{port: 49153}]}]}`,
			`[{name: default, pod: {}}]`, "ports 49152 and 49153 are reserved for libvirt's live migration"},
		{"range over 49152", `{interfaces: [{name: default, masquerade: {}, portRanges: [{start: 49100, end: 49200, protocol: TCP}]}]}`,
			`[{name: default, pod: {}}]`, "port ranges cover 49152 or 49153"},
		{"port 49152 on a bridge interface", `{interfaces: [{name: br, bridge: {}, ports: [{port: 49152}]}]}`,
			`[{name: br, multus: {networkName: br}}]`, ""},
		{"range below the reserved ports", `{interfaces: [{name: default, masquerade: {}, portRanges: [{start: 49000, end: 49151, protocol: TCP}]}]}`,
			`[{name: default, pod: {}}]`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := strings.ReplaceAll(tc.name, " ", "-")
			_, stderr, err := create(t, vm(name, tc.devices, tc.networks, ""))
			switch {
			case tc.denial == "" && err != nil:
				t.Fatalf("refused: %s", stderr)
			case tc.denial != "" && err == nil:
				t.Fatal("admitted")
			case tc.denial != "" && !strings.Contains(stderr, tc.denial):
				t.Fatalf("denial lacks %q: %s", tc.denial, stderr)
			case tc.denial != "" && !strings.Contains(stderr, `ValidatingAdmissionPolicy 'vmnet-reserved-ports' with binding 'vmnet-reserved-ports' denied request: interfaces default: `):
				t.Fatalf("denial does not name the policy: %s", stderr)
			}
		})
	}

	// What the README says CEL cannot do, checked against this API server:
	// no arithmetic on IP addresses (the webhook derives gateway = network+1
	// and VM = network+2 from a CIDR), and no per-field path on a validation.
	t.Run("no IP arithmetic, no field paths", func(t *testing.T) {
		for _, tc := range []struct{ name, validation, want string }{
			{"ip-arithmetic", `{expression: "cidr('fd10:0:2::/120').ip() + 1 == ip('fd10:0:2::1')"}`, "compilation failed"},
			{"field-path", `{expression: "true", fieldPath: spec.template}`, `unknown field "spec.validations[0].fieldPath"`},
		} {
			policy := `apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: cel-claim-` + tc.name + `}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [kubevirt.io], apiVersions: ["*"], operations: [CREATE], resources: [virtualmachines]}]
  validations: [` + tc.validation + `]
`
			_, stderr, err := cp.Kubectl(ctx, policy, "create", "-f", "-")
			if err == nil || !strings.Contains(stderr, tc.want) {
				t.Errorf("%s: want refusal with %q, got %v: %s", tc.name, tc.want, err, stderr)
			}
		}
	})

	if err := Uninstall(ctx, cp); err != nil {
		t.Fatal(err)
	}
}
