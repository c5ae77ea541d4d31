package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// hookUser is the identity of the chart's pre-delete hook: a client
// certificate with a ServiceAccount's user name is matched by RBAC as that
// ServiceAccount.
const hookUser = "system:serviceaccount:vmnet-system:vmnet-webhook-uninstall"

// uninstallWebhooks runs bin/vmnet-webhook uninstall-webhooks with
// kubeconfig, given as --kubeconfig: a path with colons, as a
// ServiceAccount's user name gives it, would split in $KUBECONFIG.
func uninstallWebhooks(t *testing.T, kubeconfig string, args ...string) run {
	t.Helper()
	args = append([]string{"uninstall-webhooks", "--kubeconfig=" + kubeconfig}, args...)
	return runCmd(t, exec.Command(filepath.Join(root, "bin", "vmnet-webhook"), args...), cp.Kubeconfig)
}

// The chart's pre-delete hook, as its ServiceAccount: refused with one line
// naming what to grant until the hook's RBAC (rendered from the chart) is
// there; with it, both configurations are deleted and the API server stops
// calling the webhook, so a VM it would refuse is admitted; run again with
// nothing left to delete, it succeeds. Its RBAC allows nothing else.
func TestUninstallWebhooksAsTheChartsHook(t *testing.T) {
	ns := newNamespace(t, nil)
	kc, err := cp.UserKubeconfig(hookUser)
	if err != nil {
		t.Fatal(err)
	}
	r := uninstallWebhooks(t, kc, "--settle=0s")
	want := `vmnet-webhook uninstall-webhooks: forbidden: this user may not delete mutatingwebhookconfigurations/vmnet-webhook; ` +
		`grant "delete" on admissionregistration.k8s.io mutatingwebhookconfigurations with resourceNames [vmnet-webhook]` + "\n"
	if r.code != 1 || r.stderr != want || r.stdout != "" {
		t.Errorf("without RBAC: exit %d stdout %q\nstderr %q\nwant 1 and %q", r.code, r.stdout, r.stderr, want)
	}

	rbac := chartHookRBAC(t)
	mustKubectl(t, rbac, "apply", "-f", "-")
	t.Cleanup(func() { kubectl(t, rbac, "delete", "-f", "-") })
	for _, tc := range []struct{ args, want string }{
		{"delete validatingwebhookconfiguration/other", "no"},
		{"delete mutatingwebhookconfiguration/other", "no"},
		{"list validatingwebhookconfigurations", "no"},
		{"update validatingwebhookconfiguration/vmnet-webhook", "no"},
		{"create validatingwebhookconfigurations", "no"},
		{"get pods -n vmnet-system", "no"},
		{"delete validatingwebhookconfiguration/vmnet-webhook", "yes"},
		{"get mutatingwebhookconfiguration/vmnet-webhook", "yes"},
	} {
		got := kubectl(t, "", append(append([]string{"auth", "can-i"}, strings.Fields(tc.args)...), "--as="+hookUser)...)
		if strings.TrimSpace(got.stdout) != tc.want {
			t.Errorf("the hook's RBAC: can-i %s: %q, want %s", tc.args, got.stdout, tc.want)
		}
	}

	// Until the test ends, without the shared webhook: put it back after.
	t.Cleanup(func() {
		if err := cp.RegisterWebhooks(context.Background(), wh); err != nil {
			t.Fatalf("register the shared webhook again: %v", err)
		}
	})
	const gone = "mutatingwebhookconfiguration/vmnet-webhook and validatingwebhookconfiguration/vmnet-webhook are gone\n"
	for i := range 2 {
		r := uninstallWebhooks(t, kc)
		if r.code != 0 || r.stdout != gone || r.stderr != "" {
			t.Errorf("run %d with the hook's RBAC: exit %d stdout %q stderr %q", i+1, r.code, r.stdout, r.stderr)
		}
	}
	cs := kubernetesClient(t)
	ctx := context.Background()
	if _, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, "vmnet-webhook", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("mutatingwebhookconfiguration/vmnet-webhook: %v, want not found", err)
	}
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "vmnet-webhook", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("validatingwebhookconfiguration/vmnet-webhook: %v, want not found", err)
	}
	// The settle time has passed: the API server no longer calls the webhook.
	r = mustKubectl(t, "", "create", "-n", ns, "-f", "examples/reserved-port.yaml")
	if r.stdout != "virtualmachine.kubevirt.io/reserved-port created\n" {
		t.Errorf("after uninstall-webhooks, create of the reserved port: %q %q", r.stdout, r.stderr)
	}
}

// A configuration held by a finalizer: uninstall-webhooks says so when its
// timeout ends, exit 1.
func TestUninstallWebhooksTimesOut(t *testing.T) {
	cs := kubernetesClient(t)
	ctx := context.Background()
	const name = "uninstall-held"
	for _, create := range []func() error{
		func() error {
			_, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, &admv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admv1.ValidatingWebhookConfiguration{
				ObjectMeta: metav1.ObjectMeta{Name: name, Finalizers: []string{"example.com/hold"}}}, metav1.CreateOptions{})
			return err
		},
	} {
		if err := create(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_, _ = cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Patch(ctx, name, types.MergePatchType,
			[]byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
	})
	start := time.Now()
	r := uninstallWebhooks(t, cp.Kubeconfig, "--name="+name, "--timeout=2s", "--settle=0s")
	want := "vmnet-webhook uninstall-webhooks: validatingwebhookconfigurations/uninstall-held is still there 2s after it was deleted (a finalizer in metadata.finalizers?)\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("exit %d stderr %q, want 1 and %q", r.code, r.stderr, want)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("took %s with --timeout=2s", took)
	}
	if _, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the mutating configuration, which has no finalizer: %v, want not found", err)
	}
}

// chartHookRBAC is the ClusterRole and ClusterRoleBinding of the chart's
// pre-delete hook, rendered by helm (VMNET_TEST_HELM, else bin/helm).
func chartHookRBAC(t *testing.T) string {
	t.Helper()
	helm := os.Getenv("VMNET_TEST_HELM")
	if helm == "" {
		helm = filepath.Join(root, "bin", "helm")
	}
	if _, err := os.Stat(helm); err != nil {
		t.Skipf("%s is not built (make test builds it): skipping the chart hook's test", helm)
	}
	cmd := exec.Command(helm, "template", "vmnet-webhook", "charts/vmnet-webhook", "--namespace", "vmnet-system",
		"--show-only", "templates/uninstall-hook.yaml")
	cmd.Dir = root
	home := t.TempDir()
	cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+home, "HELM_CACHE_HOME="+home, "HELM_DATA_HOME="+home)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	var rbac []string
	for _, doc := range strings.Split(string(out), "\n---\n") {
		if strings.Contains(doc, "\nkind: ClusterRole\n") || strings.Contains(doc, "\nkind: ClusterRoleBinding\n") {
			rbac = append(rbac, doc)
		}
	}
	if len(rbac) != 2 {
		t.Fatalf("the chart's hook has %d ClusterRole and ClusterRoleBinding, want 2:\n%s", len(rbac), out)
	}
	return strings.Join(rbac, "\n---\n")
}
