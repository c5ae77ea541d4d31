package e2e

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

// What `vmnet-webhook preview -n NS` prints is what the cluster stores for
// `kubectl create -n NS`, MAC included: the MAC is drawn from the VM's
// namespace and name, so the guest config a user reviews is the one the
// guest gets.
func TestPreviewShowsWhatIsStored(t *testing.T) {
	ns := newNamespace(t, nil)
	bin, err := framework.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"examples/guide-vm.yaml", "examples/bare-vm.yaml", "examples/userdata-kept.yaml"} {
		cmd := exec.Command(filepath.Join(bin, "vmnet-webhook"), "preview", "-n", ns, "--pod-ips", framework.PodIPs, "-f", file)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("preview %s: %v", file, err)
		}
		previewed := parse(t, string(out))
		mustKubectl(t, "", "create", "-n", ns, "-f", file)
		got := stored(t, vmGVR, ns, previewed.GetName())
		sameJSON(t, file+": stored spec", got.Object["spec"], toJSON(t, previewed.Object["spec"]))
	}
}
