package node

import (
	"context"
	"fmt"
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
// README's reserved port, upgrades it to imgNext under load, and uninstalls
// it under a stream of VM creates: the pre-delete hook removes the webhook
// configurations first, so no create fails, and nothing is left.
func (n *Node) helmInstall(t *testing.T, ctx context.Context, img, imgNext string) {
	t.Helper()
	root, err := framework.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	helmRun := func(args ...string) error {
		cmd := exec.Command(filepath.Join(root, "bin", "helm"), args...)
		cmd.Dir = root
		home := filepath.Join(n.Dir, "helm")
		cmd.Env = append(os.Environ(), "KUBECONFIG="+n.CP.Kubeconfig,
			"HELM_CONFIG_HOME="+home, "HELM_CACHE_HOME="+home, "HELM_DATA_HOME="+home)
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("helm %s: %v\n%s%s", strings.Join(args, " "), err, out, n.webhookLogs(ctx))
		}
		t.Logf("helm %s: %s", strings.Join(args, " "), time.Since(start).Round(100*time.Millisecond))
		return nil
	}
	helm := func(args ...string) {
		t.Helper()
		if err := helmRun(args...); err != nil {
			t.Fatal(err)
		}
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

	n.underLoad(t, "helm-upgrade", func() error {
		return helmRun("upgrade", "vmnet-webhook", "charts/vmnet-webhook", "--namespace", "vmnet-system",
			"--set", "image.reference="+imgNext, "--wait", "--timeout", "5m")
	})
	n.waitImage(t, ctx, imgNext)

	n.underStream(t, "helm-uninstall", func() error {
		return helmRun("uninstall", "vmnet-webhook", "--namespace", "vmnet-system", "--wait", "--timeout", "2m")
	})
	n.checkNoWebhook(t, ctx, "helm uninstall")
	// The hook's Job, ServiceAccount and RBAC went when it succeeded.
	stdout, stderr, err := n.runIn(t, "kubectl", "get", "job,sa,clusterrole,clusterrolebinding", "-A",
		"-l", "app.kubernetes.io/component=uninstall-hook", "-o", "name")
	if err != nil || strings.TrimSpace(stdout) != "" {
		t.Errorf("after helm uninstall, the hook's objects: %q %v %s", stdout, err, stderr)
	}
	if err := n.Client.CoreV1().Namespaces().Delete(ctx, "vmnet-system", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	n.checkNothingLeft(t, ctx)
}
