package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/selfcert"
)

// TestSelfManagedCertificateRenewsBeforeExpiry runs the self-managed
// overlay's certificate rotator against the real API server as a user with
// exactly the overlay's RBAC (by name): it fills the empty Secret, puts the
// CA into both webhook configurations, reports ready once the files are in
// its folder, and renews the serving certificate before it expires (here
// 10 s after issue), with the same CA, so the CA bundle stays.
func TestSelfManagedCertificateRenewsBeforeExpiry(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	admin, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	const ns, secret, hooks, user = "selfcert-e2e", "selfcert-tls", "selfcert-e2e", "selfcert-e2e-user"
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))
	t.Cleanup(func() {
		_ = admin.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
		_ = admin.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(context.Background(), hooks, metav1.DeleteOptions{})
		_ = admin.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(context.Background(), hooks, metav1.DeleteOptions{})
		_ = admin.RbacV1().ClusterRoles().Delete(context.Background(), hooks, metav1.DeleteOptions{})
		_ = admin.RbacV1().ClusterRoleBindings().Delete(context.Background(), hooks, metav1.DeleteOptions{})
	})
	must(admin.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: secret}}, metav1.CreateOptions{}))
	// A Secret the rotator must not be able to read.
	must(admin.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "other"}}, metav1.CreateOptions{}))
	// Webhooks that match nothing anyone creates; only their caBundle matters.
	url := "https://127.0.0.1:1/never"
	ignore := admissionv1.Ignore
	none := admissionv1.SideEffectClassNone
	rule := []admissionv1.RuleWithOperations{{Operations: []admissionv1.OperationType{admissionv1.Create},
		Rule: admissionv1.Rule{APIGroups: []string{"selfcert.e2e.invalid"}, APIVersions: []string{"v1"}, Resources: []string{"nothing"}}}}
	must(admin.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, &admissionv1.MutatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: hooks},
		Webhooks: []admissionv1.MutatingWebhook{{Name: "m.selfcert.e2e", ClientConfig: admissionv1.WebhookClientConfig{URL: &url},
			Rules: rule, FailurePolicy: &ignore, SideEffects: &none, AdmissionReviewVersions: []string{"v1"}}},
	}, metav1.CreateOptions{}))
	must(admin.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: hooks},
		Webhooks: []admissionv1.ValidatingWebhook{{Name: "v.selfcert.e2e", ClientConfig: admissionv1.WebhookClientConfig{URL: &url},
			Rules: rule, FailurePolicy: &ignore, SideEffects: &none, AdmissionReviewVersions: []string{"v1"}}},
	}, metav1.CreateOptions{}))
	// The overlay's RBAC (manifests/overlays/self-managed/rbac.yaml), for a user.
	verbs := []string{"get", "list", "watch", "update", "patch"}
	subject := []rbacv1.Subject{{Kind: "User", Name: user}}
	must(admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "cert"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{secret}, Verbs: verbs}}}, metav1.CreateOptions{}))
	must(admin.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "cert"},
		RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "cert"}, Subjects: subject}, metav1.CreateOptions{}))
	must(admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: hooks},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{"admissionregistration.k8s.io"},
			Resources: []string{"mutatingwebhookconfigurations", "validatingwebhookconfigurations"}, ResourceNames: []string{hooks}, Verbs: verbs}}}, metav1.CreateOptions{}))
	must(admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: hooks},
		RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: hooks}, Subjects: subject}, metav1.CreateOptions{}))

	asUser := rest.CopyConfig(cp.Config)
	asUser.Impersonate = rest.ImpersonationConfig{UserName: user}
	dir := t.TempDir()
	// What the kubelet does with the mounted Secret: copy its keys to files.
	go mirrorSecret(ctx, admin, ns, secret, dir)

	ready, failed, err := selfcert.Start(ctx, selfcert.Options{
		Secret: types.NamespacedName{Namespace: ns, Name: secret}, DNSNames: []string{"vmnet-webhook.vmnet-system.svc"},
		CertDir: dir, Webhooks: hooks,
		Validity: time.Hour, RenewBefore: time.Hour - 10*time.Second, CheckEvery: 2 * time.Second,
		Config: asUser,
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-ready:
	case err := <-failed:
		t.Fatalf("rotator: %v", err)
	case <-time.After(90 * time.Second):
		t.Fatal("not ready after 90 s")
	}
	s, err := admin.CoreV1().Secrets(ns).Get(ctx, secret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ca, first := s.Data["ca.crt"], s.Data["tls.crt"]
	if len(ca) == 0 || len(first) == 0 || len(s.Data["tls.key"]) == 0 {
		t.Fatalf("Secret after ready has ca.crt %d, tls.crt %d, tls.key %d bytes", len(ca), len(first), len(s.Data["tls.key"]))
	}
	checkBundles := func() {
		t.Helper()
		m, err := admin.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, hooks, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		v, err := admin.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, hooks, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(m.Webhooks[0].ClientConfig.CABundle, ca) || !bytes.Equal(v.Webhooks[0].ClientConfig.CABundle, ca) {
			t.Error("the webhook configurations' caBundle is not the Secret's CA")
		}
	}
	checkBundles()
	if other, _ := admin.CoreV1().Secrets(ns).Get(ctx, "other", metav1.GetOptions{}); len(other.Data) != 0 {
		t.Error("the rotator wrote into a Secret that is not its own")
	}
	cert := parseCert(t, first)
	if cert.NotAfter.Sub(time.Now()) > time.Hour+time.Minute || cert.DNSNames[0] != "vmnet-webhook.vmnet-system.svc" {
		t.Errorf("certificate for %v until %v", cert.DNSNames, cert.NotAfter)
	}

	// Renewed before it expires, signed by the same CA.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		s, err := admin.CoreV1().Secrets(ns).Get(ctx, secret, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if now := s.Data["tls.crt"]; len(now) > 0 && !bytes.Equal(now, first) {
			if !bytes.Equal(s.Data["ca.crt"], ca) {
				t.Error("renewal replaced the CA")
			}
			renewed := parseCert(t, now)
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(ca)
			if _, err := renewed.Verify(x509.VerifyOptions{Roots: pool, DNSName: "vmnet-webhook.vmnet-system.svc"}); err != nil {
				t.Errorf("renewed certificate does not verify against the CA: %v", err)
			}
			if !renewed.NotAfter.After(cert.NotAfter) || time.Now().After(cert.NotAfter) {
				t.Errorf("renewed at %v: old until %v, new until %v", time.Now(), cert.NotAfter, renewed.NotAfter)
			}
			t.Logf("renewed %x -> %x", sha256.Sum256(first), sha256.Sum256(now))
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not renewed within 2 minutes")
		}
		time.Sleep(time.Second)
	}
	checkBundles()
}

func mirrorSecret(ctx context.Context, cs kubernetes.Interface, ns, name, dir string) {
	for ctx.Err() == nil {
		if s, err := cs.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{}); err == nil {
			for k, v := range s.Data {
				_ = os.WriteFile(filepath.Join(dir, k), v, 0o600)
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func parseCert(t *testing.T, pemBytes []byte) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(pemBytes)
	if b == nil {
		t.Fatal("no PEM certificate")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
