package rules

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

var vmKind = schema.GroupVersionKind{Group: "kubevirt.io", Version: "v1", Kind: "VirtualMachine"}

func TestNotAnObject(t *testing.T) {
	for in, want := range map[string]string{
		`[]`:       `object: Invalid value: must be a JSON object, not an array`,
		`"vm"`:     `object: Invalid value: must be a JSON object, not a string`,
		`{"a":`:    `object: Invalid value: not valid JSON: unexpected EOF within "/a" after offset 5`,
		``:         `object: Required value: the request carries no object`,
		`null`:     `object: Required value: the request carries no object`,
		" \n":      `object: Required value: the request carries no object`,
		`{}{}`:     `object: Invalid value: not valid JSON: invalid character '{' after top-level value after offset 2`,
		"\xff\xfe": `object: Invalid value: not valid JSON: invalid character '\xff' at start of value`,
	} {
		for name, run := range map[string]func() Result{
			"Mutate": func() Result { return Mutate(defaults(), Request{Kind: vmKind, Operation: Create, Object: []byte(in)}) },
			"Validate": func() Result {
				return Validate(defaults(), Request{Kind: vmKind, Operation: Create, Object: []byte(in)})
			},
		} {
			res := run()
			if got := errorStrings(res); len(got) != 1 || got[0] != want {
				t.Errorf("%s(%q) = %q, want %q", name, in, got, want)
			}
			if !slices.Equal(res.Fired, []string{RuleMalformed}) {
				t.Errorf("%s(%q) fired %q", name, in, res.Fired)
			}
		}
	}
}

func TestPassesUntouched(t *testing.T) {
	bare := []byte(`{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"default","ports":[{"port":49152}]}]}},"networks":[{"name":"default","pod":{}}]}}}}`)
	tests := []struct {
		name string
		req  Request
	}{
		{"other kind", Request{Kind: schema.GroupVersionKind{Version: "v1", Kind: "Pod"}, Operation: Create, Object: bare}},
		{"kind in another group", Request{Kind: schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "VirtualMachine"}, Operation: Create, Object: bare}},
		{"DELETE", Request{Kind: vmKind, Operation: "DELETE", Object: bare}},
		{"CONNECT", Request{Kind: vmKind, Operation: "CONNECT", Object: []byte("garbage")}},
	}
	for _, tt := range tests {
		if res := Mutate(defaults(), tt.req); !empty(res) {
			t.Errorf("%s: Mutate = %+v", tt.name, res)
		}
		if res := Validate(defaults(), tt.req); !empty(res) {
			t.Errorf("%s: Validate = %+v", tt.name, res)
		}
	}
	// Mutation is for CREATE only.
	if res := Mutate(defaults(), Request{Kind: vmKind, Operation: Update, Object: bare, OldObject: bare}); !empty(res) {
		t.Errorf("Mutate on UPDATE = %+v", res)
	}
	// The v1alpha3 version is the same kind.
	res := Validate(defaults(), Request{Kind: vmKind.GroupKind().WithVersion("v1alpha3"), Operation: Create, Object: bare})
	if len(res.Errors) != 1 {
		t.Errorf("v1alpha3: %q", errorStrings(res))
	}
}

func empty(r Result) bool {
	return len(r.Patch) == 0 && len(r.Errors) == 0 && len(r.Warnings) == 0 && len(r.Fired) == 0
}

func TestIllTypedSpine(t *testing.T) {
	tests := []struct {
		name, y string
		want    []string
	}{
		{"spec a string", `{apiVersion: kubevirt.io/v1, kind: VirtualMachine, spec: "x"}`,
			[]string{`spec: Invalid value: "x": must be an object`}},
		{"template an array", `{apiVersion: kubevirt.io/v1, kind: VirtualMachine, spec: {template: [1]}}`,
			[]string{`spec.template: Invalid value: must be an object, not an array`}},
		{"interfaces an object", `{apiVersion: kubevirt.io/v1, kind: VirtualMachineInstance, spec: {domain: {devices: {interfaces: {name: default}}}}}`,
			[]string{`spec.domain.devices.interfaces: Invalid value: must be an array, not an object`}},
		// One error, the first in the object's order: the API server's
		// schema names the rest.
		{"entries of the wrong type", `{apiVersion: kubevirt.io/v1, kind: VirtualMachineInstance, spec: {domain: {devices: {interfaces: [1, {name: 2}]}}, networks: [null, "x"], volumes: [true]}}`,
			[]string{`spec.domain.devices.interfaces[0]: Invalid value: "1": must be an object, not a number`}},
		{"a name a number", `{apiVersion: kubevirt.io/v1, kind: VirtualMachineInstance, spec: {domain: {devices: {interfaces: [{name: 2}]}}}}`,
			[]string{`spec.domain.devices.interfaces[0].name: Invalid value: "2": must be a string, not a number`}},
		{"a binding an array", `{apiVersion: kubevirt.io/v1, kind: VirtualMachineInstance, spec: {domain: {devices: {interfaces: [{masquerade: [], ports: {}}]}}}}`,
			[]string{`spec.domain.devices.interfaces[0].masquerade: Invalid value: must be an object, not an array`}},
		{"ports an object", `{apiVersion: kubevirt.io/v1, kind: VirtualMachineInstance, spec: {domain: {devices: {interfaces: [{ports: {}}]}}}}`,
			[]string{`spec.domain.devices.interfaces[0].ports: Invalid value: must be an array, not an object`}},
		{"a network a string, after a null", `{apiVersion: kubevirt.io/v1, kind: VirtualMachineInstance, spec: {networks: [null, "x"]}}`,
			[]string{`spec.networks[1]: Invalid value: "x": must be an object`}},
		{"a volume a boolean", `{apiVersion: kubevirt.io/v1, kind: VirtualMachineInstance, spec: {volumes: [true]}}`,
			[]string{`spec.volumes[0]: Invalid value: true: must be an object`}},
		{"labels a string", `{apiVersion: kubevirt.io/v1, kind: VirtualMachineInstance, metadata: {labels: "l"}}`,
			[]string{`metadata.labels: Invalid value: "l": must be an object`}},
		{"an annotation an array", `{apiVersion: kubevirt.io/v1, kind: VirtualMachineInstance, metadata: {annotations: {b: 1, a: [x]}}}`,
			[]string{`metadata.annotations[a]: Invalid value: must be a string, not an array`}},
		{"an annotation with a slash a number", `{apiVersion: kubevirt.io/v1, kind: VirtualMachine, spec: {template: {metadata: {annotations: {vm.kubevirt.io/os: 1}}}}}`,
			[]string{`spec.template.metadata.annotations[vm.kubevirt.io/os]: Invalid value: "1": must be a string, not a number`}},
		{"controller a string", `{apiVersion: kubevirt.io/v1, kind: VirtualMachineInstance, metadata: {ownerReferences: [{controller: "yes"}]}}`,
			[]string{`metadata.ownerReferences[0].controller: Invalid value: "yes": must be a boolean`}},
		{"a pool's VM template", `{apiVersion: pool.kubevirt.io/v1alpha1, kind: VirtualMachinePool, spec: {virtualMachineTemplate: {spec: {template: {spec: {networks: [{pod: {vmIPv6NetworkCIDR: 5}}]}}}}}}`,
			[]string{`spec.virtualMachineTemplate.spec.template.spec.networks[0].pod.vmIPv6NetworkCIDR: Invalid value: "5": must be a string, not a number`}},
		{"preference", `{apiVersion: kubevirt.io/v1, kind: VirtualMachine, spec: {preference: {name: 7}}}`,
			[]string{`spec.preference.name: Invalid value: "7": must be a string, not a number`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := toJSON(t, tt.y)
			res := Validate(defaults(), createReq(t, obj))
			if got := errorStrings(res); !sameStrings(got, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tt.want)
			}
			if !slices.Equal(res.Fired, []string{RuleMalformed}) {
				t.Errorf("fired %q", res.Fired)
			}
			// Mutation leaves what it cannot read alone, and never errs.
			mut := Mutate(defaults(), createReq(t, obj))
			if len(mut.Errors) != 0 {
				t.Errorf("Mutate errors: %q", errorStrings(mut))
			}
			applyPatch(t, obj, mut)
		})
	}
}

func TestMutationOffLimits(t *testing.T) {
	bare := func(kind, meta string) string {
		spec := "spec: {domain: {devices: {}}}"
		if kind == "VirtualMachine" {
			spec = "spec: {template: {spec: {domain: {devices: {}}}}}"
		}
		return "{apiVersion: kubevirt.io/v1, kind: " + kind + ", metadata: {name: x" + meta + "}, " + spec + "}"
	}
	for _, tt := range []struct {
		name    string
		y       string
		mutated bool
	}{
		{"plain VM", bare("VirtualMachine", ""), true},
		{"opted out", bare("VirtualMachine", `, annotations: {vmnet.kubevirt.io/mutate: "false"}`), false},
		{"annotation true", bare("VirtualMachine", `, annotations: {vmnet.kubevirt.io/mutate: "true"}`), true},
		{"VMI of a VM", bare("VirtualMachineInstance", `, ownerReferences: [{apiVersion: kubevirt.io/v1, kind: VirtualMachine, name: x, uid: u, controller: true}]`), false},
		{"VMI of a replica set", bare("VirtualMachineInstance", `, ownerReferences: [{apiVersion: kubevirt.io/v1alpha3, kind: VirtualMachineInstanceReplicaSet, name: x, uid: u, controller: true}]`), false},
		{"VMI with a non-controller owner", bare("VirtualMachineInstance", `, ownerReferences: [{apiVersion: kubevirt.io/v1, kind: VirtualMachine, name: x, uid: u}]`), true},
		{"VMI owned by something else", bare("VirtualMachineInstance", `, ownerReferences: [{apiVersion: example.com/v1, kind: VirtualMachine, name: x, uid: u, controller: true}]`), true},
		{"VM of a pool", bare("VirtualMachine", `, ownerReferences: [{apiVersion: pool.kubevirt.io/v1alpha1, kind: VirtualMachinePool, name: x, uid: u, controller: true}]`), false},
		{"VM owned by a VM (no such thing)", bare("VirtualMachine", `, ownerReferences: [{apiVersion: kubevirt.io/v1, kind: VirtualMachine, name: x, uid: u, controller: true}]`), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := Mutate(defaults(), createReq(t, toJSON(t, tt.y)))
			if got := len(res.Patch) > 0; got != tt.mutated {
				t.Errorf("mutated = %v, want %v: %q", got, tt.mutated, opStrings(t, res))
			}
		})
	}
}

// A key the user wrote with a newline in it stays in the path of the
// warning, made printable: the API server drops a warning that is not.
func TestWarnEnforcementControlCharacter(t *testing.T) {
	cfg := defaults()
	cfg.Enforcement = "warn"
	res := Validate(cfg, Request{Kind: vmKind, Operation: Create, Object: []byte(`{"metadata":{"labels":{"a\nb":5}},"spec":{}}`)})
	if len(res.Errors) != 0 || !slices.Equal(res.Warnings, []string{"metadata.labels[a\uFFFDb]: must be a string, not a number"}) {
		t.Errorf("got %q, %q", errorStrings(res), res.Warnings)
	}
}

func TestWarnEnforcementNotAnObject(t *testing.T) {
	cfg := defaults()
	cfg.Enforcement = "warn"
	res := Validate(cfg, Request{Kind: vmKind, Operation: Create, Object: []byte(`[]`)})
	if len(res.Errors) != 0 || !slices.Equal(res.Warnings, []string{"object: must be a JSON object, not an array"}) {
		t.Errorf("got %q, %q", errorStrings(res), res.Warnings)
	}
}
