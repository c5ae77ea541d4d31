package e2e

import (
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// A VM spec (as JSON) with a reserved port, and one with nothing at all.
const (
	specReserved = `{"domain":{"devices":{"interfaces":[{"name":"default","masquerade":{},"ports":[{"port":49152}]}]}},"networks":[{"name":"default","pod":{}}]}`
	specBare     = `{"domain":{"devices":{}}}`
)

// kind places a VM spec in an object of one of the four kinds.
type kind struct {
	name     string // what kubectl prints: virtualmachinepool.pool.kubevirt.io
	gvr      schema.GroupVersionResource
	webhook  string // the validating webhook of CREATE
	specPath []any  // where the VM spec is
	prefix   string // the field path of the VM spec in denials
	object   func(name, spec string) string
}

var kinds = []kind{
	{"virtualmachine.kubevirt.io", vmGVR, "validate.vmnet.kubevirt.io",
		[]any{"spec", "template", "spec"}, "spec.template.spec",
		func(name, spec string) string {
			return fmt.Sprintf(`{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":%q},
			"spec":{"runStrategy":"Halted","template":{"spec":%s}}}`, name, spec)
		}},
	{"virtualmachineinstance.kubevirt.io", vmiGVR, "validate-vmi.vmnet.kubevirt.io",
		[]any{"spec"}, "spec",
		func(name, spec string) string {
			return fmt.Sprintf(`{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachineInstance","metadata":{"name":%q},"spec":%s}`, name, spec)
		}},
	{"virtualmachineinstancereplicaset.kubevirt.io", vmirsGVR, "validate.vmnet.kubevirt.io",
		[]any{"spec", "template", "spec"}, "spec.template.spec",
		func(name, spec string) string {
			return fmt.Sprintf(`{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachineInstanceReplicaSet","metadata":{"name":%q},
			"spec":{"selector":{"matchLabels":{"app":%[1]q}},"template":{"metadata":{"labels":{"app":%[1]q}},"spec":%s}}}`, name, spec)
		}},
	// The pool, at each version served (set up by TestMain: servePool).
}

// servePool points the tests at the pool versions served: poolGVR at the
// storage version, and one entry of kinds per served version, storage first.
func servePool() {
	v := served.poolVersions
	poolGVR.Version = v[len(v)-1]
	gvrOf["VirtualMachinePool"] = poolGVR
	for i := len(v) - 1; i >= 0; i-- {
		kinds = append(kinds, poolKind(v[i]))
	}
}

func poolKind(version string) kind {
	gvr := poolGVR
	gvr.Version = version
	return kind{"virtualmachinepool.pool.kubevirt.io", gvr, "validate.vmnet.kubevirt.io",
		[]any{"spec", "virtualMachineTemplate", "spec", "template", "spec"}, "spec.virtualMachineTemplate.spec.template.spec",
		func(name, spec string) string {
			return fmt.Sprintf(`{"apiVersion":"pool.kubevirt.io/%s","kind":"VirtualMachinePool","metadata":{"name":%q},
			"spec":{"selector":{"matchLabels":{"app":%[2]q}},"virtualMachineTemplate":{"metadata":{"labels":{"app":%[2]q}},
			"spec":{"runStrategy":"Halted","template":{"spec":%s}}}}}`, version, name, spec)
		}}
}

// Every kind is mutated and validated at its own path, by the webhook its
// configuration names, at every served version tested.
func TestEveryKindAtItsPath(t *testing.T) {
	ns := newNamespace(t, nil)
	for _, k := range kinds {
		t.Run(k.gvr.Resource+"."+k.gvr.Version, func(t *testing.T) {
			name := "bare-" + k.gvr.Version
			r := mustKubectl(t, k.object(name, specBare), "create", "-n", ns, "-f", "-")
			if want := k.name + "/" + name + " created\n"; r.stdout != want || r.stderr != "" {
				t.Errorf("kubectl printed stdout %q stderr %q, want %q", r.stdout, r.stderr, want)
			}
			spec := field(t, stored(t, k.gvr, ns, name).Object, k.specPath...).(map[string]any)
			sameJSON(t, "networks", field(t, spec, "networks"), `[{name: default, pod: {}}]`)
			if k.gvr.Resource == "virtualmachineinstancereplicasets" || k.gvr.Resource == "virtualmachinepools" {
				// A template: each replica gets its own MAC and config.
				sameJSON(t, "interfaces", field(t, spec, "domain", "devices", "interfaces"), `[{name: default, masquerade: {}}]`)
				if _, ok := spec["volumes"]; ok {
					t.Errorf("a template got volumes: %v", spec["volumes"])
				}
			} else {
				mac := assignedMAC(t, spec)
				sameJSON(t, "interfaces", field(t, spec, "domain", "devices", "interfaces"), `[{name: default, masquerade: {}, macAddress: "`+mac+`"}]`)
				sameJSON(t, "volumes", field(t, spec, "volumes"), toJSON(t, []any{map[string]any{
					"name": "cloudinitdisk", "cloudInitNoCloud": map[string]any{"networkData": networkData(mac)}}}))
				sameJSON(t, "disks", field(t, spec, "domain", "devices", "disks"), `[{name: cloudinitdisk, disk: {bus: virtio}}]`)
			}

			name = "reserved-" + k.gvr.Version
			r = kubectl(t, k.object(name, specReserved), "create", "-n", ns, "-f", "-")
			want := `Error from server (Forbidden): error when creating "STDIN": admission webhook "` + k.webhook + `" denied the request: ` +
				reserved(k.prefix+".domain.devices.interfaces[0].ports[0].port", 49152) + "\n"
			if r.code != 1 || r.stderr != want {
				t.Errorf("reserved port: exit %d stderr\n %q\nwant\n %q", r.code, r.stderr, want)
			}
			absent(t, k.gvr, ns, name)
		})
	}
}

// Mutation can be switched off per object, validation cannot; a namespace
// labelled vmnet.kubevirt.io/ignore, and kube-system, are not sent to the
// webhook at all.
func TestOptOuts(t *testing.T) {
	ns := newNamespace(t, nil)
	t.Run("annotation", func(t *testing.T) {
		mustKubectl(t, "", "create", "-n", ns, "-f", "examples/opt-out.yaml")
		sameJSON(t, "stored spec", stored(t, vmGVR, ns, "opt-out").Object["spec"], toJSON(t, example(t, "opt-out.yaml").Object["spec"]))

		// The annotation does not lift validation.
		vm := strings.Replace(mustRead(t, "examples/reserved-port.yaml"), "metadata:\n", "metadata:\n  annotations:\n    vmnet.kubevirt.io/mutate: \"false\"\n", 1)
		r := kubectl(t, vm, "create", "-n", ns, "-f", "-")
		want := denied("STDIN") + reserved("spec.template.spec.domain.devices.interfaces[0].ports[1].port", 49152) + "\n"
		if r.code != 1 || r.stderr != want {
			t.Errorf("opted-out VM with a reserved port: exit %d stderr\n %q\nwant\n %q", r.code, r.stderr, want)
		}
	})
	for _, c := range []struct{ name, ns string }{
		{"namespace labelled ignore", newNamespace(t, map[string]string{"vmnet.kubevirt.io/ignore": "true"})},
		{"kube-system", "kube-system"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.ns == "kube-system" { // shared by every run of the test
				t.Cleanup(func() { kubectl(t, "", "delete", "-n", c.ns, "vm", "reserved-port", "bare-vm", "--ignore-not-found") })
			}
			// Neither refused nor mutated.
			r := mustKubectl(t, "", "create", "-n", c.ns, "-f", "examples/reserved-port.yaml")
			if r.stderr != "" {
				t.Errorf("stderr %q", r.stderr)
			}
			sameJSON(t, "stored spec", stored(t, vmGVR, c.ns, "reserved-port").Object["spec"], toJSON(t, example(t, "reserved-port.yaml").Object["spec"]))
			mustKubectl(t, "", "create", "-n", c.ns, "-f", "examples/bare-vm.yaml")
			sameJSON(t, "stored spec", stored(t, vmGVR, c.ns, "bare-vm").Object["spec"], toJSON(t, example(t, "bare-vm.yaml").Object["spec"]))
		})
	}
}

// A VMI that a VirtualMachine controls (as KubeVirt creates it to start the
// VM) is not mutated, since its VM's template was, but is still validated.
func TestControlledVMINotMutatedButValidated(t *testing.T) {
	ns := newNamespace(t, nil)
	vmi := func(name, spec string) string {
		return fmt.Sprintf(`{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachineInstance","metadata":{"name":%q,
		"ownerReferences":[{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","name":%[1]q,"uid":"3f0c2a4e-7d1b-4c55-9a0e-1b2c3d4e5f60","controller":true}]},
		"spec":%s}`, name, spec)
	}
	mustKubectl(t, vmi("owned", specBare), "create", "-n", ns, "-f", "-")
	sameJSON(t, "stored spec", stored(t, vmiGVR, ns, "owned").Object["spec"], specBare)

	r := kubectl(t, vmi("owned-reserved", specReserved), "create", "-n", ns, "-f", "-")
	want := `Error from server (Forbidden): error when creating "STDIN": admission webhook "validate-vmi.vmnet.kubevirt.io" denied the request: ` +
		reserved("spec.domain.devices.interfaces[0].ports[0].port", 49152) + "\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("exit %d stderr\n %q\nwant\n %q", r.code, r.stderr, want)
	}
	absent(t, vmiGVR, ns, "owned-reserved")
}
