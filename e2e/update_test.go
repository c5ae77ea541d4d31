package e2e

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

// withoutWebhooks runs f while the webhook configurations are deleted, then
// registers the shared webhook again (also if f fails the test).
func withoutWebhooks(t testing.TB, f func()) {
	t.Helper()
	ctx := context.Background()
	if err := cp.UnregisterWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := cp.RegisterWebhooks(ctx, wh); err != nil {
			t.Fatalf("register the shared webhook again: %v", err)
		}
	}()
	f()
}

// instead starts a webhook with extraArgs and registers it in place of the
// shared one until the test ends, when the shared one is registered again.
func instead(t *testing.T, extraArgs ...string) *framework.Webhook {
	t.Helper()
	ctx := context.Background()
	w, err := cp.StartWebhook(ctx, extraArgs...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	if err := cp.RegisterWebhooks(ctx, w); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.RegisterWebhooks(ctx, wh); err != nil {
			t.Fatalf("register the shared webhook again: %v", err)
		}
	})
	return w
}

// A VM stored with a reserved port before the webhook was there stays
// editable: relabelling it is admitted with a warning (kubectl prints it,
// client-go hands it over), while adding another reserved port is refused
// by the UPDATE webhook.
func TestUpdateRatchetsExistingReservedPorts(t *testing.T) {
	ns := newNamespace(t, nil)
	withoutWebhooks(t, func() {
		mustKubectl(t, "", "create", "-n", ns, "-f", "examples/reserved-port.yaml")
	})
	// Stored as written: neither refused nor mutated.
	if vols := stored(t, vmGVR, ns, "reserved-port").Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["volumes"]; vols != nil {
		t.Fatalf("created while unregistered, but mutated: volumes %v", vols)
	}

	const kept = "Warning: spec.template.spec.domain.devices.interfaces[0].ports[1].port: port 49152 is reserved for libvirt's migration; move it\n"
	r := mustKubectl(t, "", "label", "-n", ns, "vm", "reserved-port", "team=storage")
	if r.stdout != "virtualmachine.kubevirt.io/reserved-port labeled\n" || r.stderr != kept {
		t.Errorf("kubectl label:\nstdout %q\nstderr %q\nwant stderr %q", r.stdout, r.stderr, kept)
	}
	if got := stored(t, vmGVR, ns, "reserved-port").GetLabels()["team"]; got != "storage" {
		t.Errorf("label not stored: %q", got)
	}

	// The same through client-go: the update succeeds, the warning arrives.
	dc, warns := client(t)
	vm := stored(t, vmGVR, ns, "reserved-port")
	vm.SetAnnotations(map[string]string{"owner": "ops"})
	if _, err := dc.Resource(vmGVR).Namespace(ns).Update(context.Background(), vm, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update: %v", err)
	}
	if got := warns.get(); len(got) != 1 || "Warning: "+got[0]+"\n" != kept {
		t.Errorf("client-go warnings %q, want the one kubectl printed", got)
	}

	// A new reserved port is refused; the one kept is still only warned about.
	r = kubectl(t, "", "patch", "-n", ns, "vm", "reserved-port", "--type=json",
		"-p", `[{"op":"add","path":"/spec/template/spec/domain/devices/interfaces/0/ports/-","value":{"port":49153}}]`)
	want := kept + `Error from server (Forbidden): admission webhook "validate-update.vmnet.kubevirt.io" denied the request: ` +
		reserved("spec.template.spec.domain.devices.interfaces[0].ports[2].port", 49153) + "\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("patch adding 49153: exit %d stderr\n %q\nwant\n %q", r.code, r.stderr, want)
	}
	ports := field(t, stored(t, vmGVR, ns, "reserved-port").Object, "spec", "template", "spec", "domain", "devices", "interfaces", 0, "ports")
	sameJSON(t, "stored ports", ports, `[{port: 22}, {port: 49152}]`)

	// Removing the reserved port is of course admitted, without warnings.
	r = mustKubectl(t, "", "patch", "-n", ns, "vm", "reserved-port", "--type=json",
		"-p", `[{"op":"remove","path":"/spec/template/spec/domain/devices/interfaces/0/ports/1"}]`)
	if r.stderr != "" || !strings.Contains(r.stdout, "patched") {
		t.Errorf("patch removing 49152: stdout %q stderr %q", r.stdout, r.stderr)
	}
}
