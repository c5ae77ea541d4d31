package e2e

import (
	"fmt"
	"testing"
)

// With the webhook's process stopped and its configurations still
// registered (a crash, a botched rollout), each failurePolicy does what
// manifests/base/webhook-configurations.yaml says:
//   - mutate (Ignore): skipped, objects are stored without the defaults;
//   - validate (Fail): VM, VMIRS and pool creates are refused with "failed
//     calling webhook", naming the webhook;
//   - validate-vmi (Ignore): VMI creates are admitted unchecked, so KubeVirt
//     can still start VMs;
//   - validate-update (Ignore): updates are admitted unchecked, so KubeVirt
//     can still start and stop VMs; a reserved port added then gets through.
func TestWebhookDownFailurePolicies(t *testing.T) {
	ns := newNamespace(t, nil)
	down := instead(t)
	// Stored while the webhook is up, updated while it is down.
	mustKubectl(t, "", "create", "-n", ns, "-f", "examples/guide-vm.yaml")
	down.Stop()

	refused := func(file, webhook, path string) string {
		return fmt.Sprintf(`Error from server (InternalError): error when creating %q: Internal error occurred: failed calling webhook %q: `+
			`failed to call webhook: Post "https://127.0.0.1:%d%s?timeout=5s": dial tcp 127.0.0.1:%[3]d: connect: connection refused`+"\n",
			file, webhook, down.Port, path)
	}
	for _, k := range kinds {
		if k.gvr.Resource == "virtualmachineinstances" {
			continue
		}
		t.Run("create "+k.gvr.Resource+"."+k.gvr.Version+" refused", func(t *testing.T) {
			r := kubectl(t, k.object("down-"+k.gvr.Version, specBare), "create", "-n", ns, "-f", "-")
			if want := refused("STDIN", "validate.vmnet.kubevirt.io", "/validate"); r.code != 1 || r.stderr != want {
				t.Errorf("exit %d stderr\n %q\nwant\n %q", r.code, r.stderr, want)
			}
			absent(t, k.gvr, ns, "down-"+k.gvr.Version)
		})
	}
	t.Run("create vmi admitted unchecked and unmutated", func(t *testing.T) {
		vmi := kinds[1]
		if vmi.gvr != vmiGVR {
			t.Fatalf("kinds[1] is %v", vmi.gvr)
		}
		r := mustKubectl(t, vmi.object("down-vmi", specReserved), "create", "-n", ns, "-f", "-")
		if r.stdout != "virtualmachineinstance.kubevirt.io/down-vmi created\n" || r.stderr != "" {
			t.Errorf("stdout %q stderr %q", r.stdout, r.stderr)
		}
		sameJSON(t, "stored spec", stored(t, vmiGVR, ns, "down-vmi").Object["spec"], specReserved)
	})
	t.Run("update admitted unchecked", func(t *testing.T) {
		r := mustKubectl(t, "", "patch", "-n", ns, "vm", "example-vm", "--type=json",
			"-p", `[{"op":"add","path":"/spec/template/spec/domain/devices/interfaces/0/ports/-","value":{"port":49152}}]`)
		if r.stdout != "virtualmachine.kubevirt.io/example-vm patched\n" || r.stderr != "" {
			t.Errorf("stdout %q stderr %q", r.stdout, r.stderr)
		}
		sameJSON(t, "stored ports", field(t, stored(t, vmGVR, ns, "example-vm").Object, "spec", "template", "spec", "domain", "devices", "interfaces", 0, "ports"),
			`[{port: 80}, {port: 49152}]`)
	})
}
