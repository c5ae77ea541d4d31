package e2e

import (
	"context"
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// With --metrics-auth, /metrics is HTTPS and answers only a bearer token
// this kube-apiserver authenticates (TokenReview) and authorizes for GET
// /metrics (SubjectAccessReview): 401 without a token, 403 for a
// ServiceAccount without the right, 200 for one bound to the component's
// ClusterRole vmnet-webhook-metrics-reader. The webhook asks with the
// admin's kubeconfig, as in a pod it would with its own token.
func TestAuthenticatedMetrics(t *testing.T) {
	ctx := context.Background()
	t.Setenv("KUBECONFIG", cp.Kubeconfig)
	w, err := cp.StartWebhook(ctx, "--metrics-auth")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	pool, err := w.CAPool()
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	get := func(token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+w.MetricsAddr+"/metrics", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	// Plain HTTP gets no metrics.
	if resp, err := http.Get("http://" + w.MetricsAddr + "/metrics"); err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || strings.Contains(string(body), "vmnet_webhook_") {
			t.Errorf("plain HTTP: %s %q", resp.Status, body)
		}
	}
	if code, body := get(""); code != http.StatusUnauthorized {
		t.Errorf("no token: %d %q, want 401", code, body)
	}

	cs := kubernetesClient(t)
	ns := newNamespace(t, nil)
	token := func(sa string) string {
		t.Helper()
		if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Status.Token
	}
	if code, body := get(token("no-rights")); code != http.StatusForbidden {
		t.Errorf("a ServiceAccount without the role: %d %q, want 403", code, body)
	}

	// The reader role as the component ships it.
	mustKubectl(t, "", "apply", "--server-side", "-f", "manifests/components/metrics-auth/rbac.yaml")
	reader := token("reader")
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-metrics-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "vmnet-webhook-metrics-reader"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "reader", Namespace: ns}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.RbacV1().ClusterRoleBindings().Delete(ctx, binding.Name, metav1.DeleteOptions{}) })
	// The API server's RBAC follows the binding through its cache; a deny
	// seen meanwhile stays in the filter's cache for 30 seconds.
	deadline := time.Now().Add(45 * time.Second)
	for {
		code, body := get(reader)
		if code == http.StatusOK {
			if !strings.Contains(body, "vmnet_webhook_serving_certificate_expiry_timestamp_seconds ") {
				t.Errorf("200 without the webhook's metrics:\n%.500s", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a ServiceAccount bound to vmnet-webhook-metrics-reader: %d %q after 45s, want 200", code, body)
		}
		time.Sleep(time.Second)
	}
}
