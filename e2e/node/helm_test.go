package node

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

// helmInstall installs the chart once, as docs/install.md says (the
// namespace made beforehand with its Pod Security labels, then helm install
// with the image already on the node), checks that the webhook refuses the
// README's reserved port, and that helm uninstall leaves nothing.
func (n *Node) helmInstall(t *testing.T, ctx context.Context, img string) {
	t.Helper()
	root, err := framework.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	helm := func(args ...string) {
		t.Helper()
		cmd := exec.Command(filepath.Join(root, "bin", "helm"), args...)
		cmd.Dir = root
		home := filepath.Join(n.Dir, "helm")
		cmd.Env = append(os.Environ(), "KUBECONFIG="+n.CP.Kubeconfig,
			"HELM_CONFIG_HOME="+home, "HELM_CACHE_HOME="+home, "HELM_DATA_HOME="+home)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, out, n.webhookLogs(ctx))
		}
		t.Logf("helm %s: %s", strings.Join(args, " "), time.Since(start).Round(100*time.Millisecond))
	}

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "vmnet-system", Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/audit":   "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
	}}}
	if _, err := n.Client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	helm("install", "vmnet-webhook", "charts/vmnet-webhook", "--namespace", "vmnet-system",
		"--set", "image.reference="+img, "--wait", "--timeout", "5m")
	n.checkReplicas(t, ctx, img)

	// The rotator writes the CA into the webhook configurations helm has
	// just created: allow it a few seconds before an x509 error is final.
	var stderr string
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
		_, stderr, err = n.runIn(t, "kubectl", "create", "-f", "examples/reserved-port.yaml")
		if err == nil {
			t.Fatal("helm install: kubectl create -f examples/reserved-port.yaml succeeded")
		}
		if strings.Contains(stderr, `admission webhook "validate.vmnet.kubevirt.io" denied the request`) || time.Now().After(deadline) {
			break
		}
	}
	if want := readmeOutput(t, "kubectl create -f examples/reserved-port.yaml")[0]; strings.TrimSpace(stderr) != want {
		t.Errorf("helm install: kubectl printed\n  %s\nthe README shows\n  %s", strings.TrimSpace(stderr), want)
	}

	helm("uninstall", "vmnet-webhook", "--namespace", "vmnet-system", "--wait", "--timeout", "2m")
	if err := n.Client.CoreV1().Namespaces().Delete(ctx, "vmnet-system", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	n.checkNothingLeft(t, ctx)
}
