package manifests

import (
	"slices"
	"testing"

	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
)

const (
	openshiftServingCert = "service.beta.openshift.io/serving-cert-secret-name"
	openshiftInjectCA    = "service.beta.openshift.io/inject-cabundle"
)

// annotations are those of the objects the overlays annotate, by kind.
func (in *install) annotations() map[string]map[string]string {
	return map[string]map[string]string{
		"Service":                        in.service.Annotations,
		"MutatingWebhookConfiguration":   in.mutating.Annotations,
		"ValidatingWebhookConfiguration": in.validating.Annotations,
	}
}

// issuer follows a Certificate's issuerRef to a rendered namespaced Issuer.
func (in *install) issuer(t *testing.T, c *cmv1.Certificate) *cmv1.Issuer {
	t.Helper()
	ref := c.Spec.IssuerRef
	if (ref.Kind != "" && ref.Kind != "Issuer") || (ref.Group != "" && ref.Group != "cert-manager.io") {
		t.Fatalf("Certificate %s is issued by %s.%s %s, want a namespaced Issuer", c.Name, ref.Kind, ref.Group, ref.Name)
	}
	is, ok := in.issuers[ref.Name]
	if !ok {
		t.Fatalf("Certificate %s: Issuer %s is not rendered", c.Name, ref.Name)
	}
	return is
}

func (in *install) tlsSecret(t *testing.T) string {
	t.Helper()
	m, v := in.mountOf(t, in.flags(t)["cert-dir"])
	if v.Secret == nil {
		t.Fatalf("volume %s at --cert-dir is not a Secret", m.Name)
	}
	return v.Secret.SecretName
}

func TestCertManagerOverlay(t *testing.T) {
	in := render(t, "overlays/cert-manager")
	secret := in.tlsSecret(t)

	// The serving certificate: the one whose Secret the pods mount.
	var serving *cmv1.Certificate
	for _, c := range in.certificates {
		if c.Spec.SecretName == secret {
			if serving != nil {
				t.Fatalf("Certificates %s and %s both write %s", serving.Name, c.Name, secret)
			}
			serving = c
		}
	}
	if serving == nil {
		t.Fatalf("no Certificate writes the mounted Secret %s", secret)
	}
	svc := in.service.Name + "." + in.service.Namespace + ".svc"
	if want := []string{svc, svc + ".cluster.local"}; !slices.Equal(serving.Spec.DNSNames, want) {
		t.Errorf("serving Certificate dnsNames %v, want %v (the Service the API server calls)", serving.Spec.DNSNames, want)
	}
	if serving.Spec.IsCA {
		t.Errorf("serving Certificate is a CA")
	}
	if !slices.Contains(serving.Spec.Usages, cmv1.UsageServerAuth) {
		t.Errorf("serving Certificate usages %v lack server auth", serving.Spec.Usages)
	}

	// Both keys ECDSA P-256, renewed well before expiry. The serving key is
	// new at every renewal; the CA's key stays, so that certificates it
	// signed before its own renewal keep verifying against the renewed CA.
	for _, c := range in.certificates {
		pk := c.Spec.PrivateKey
		rotation := cmv1.RotationPolicyAlways
		if c.Spec.IsCA {
			rotation = cmv1.RotationPolicyNever
		}
		if pk == nil || pk.Algorithm != cmv1.ECDSAKeyAlgorithm || pk.Size != 256 || pk.RotationPolicy != rotation {
			t.Errorf("Certificate %s private key %+v, want ECDSA 256, rotationPolicy %s", c.Name, pk, rotation)
		}
		if c.Spec.Duration == nil || c.Spec.RenewBefore == nil || 2*c.Spec.RenewBefore.Duration > c.Spec.Duration.Duration {
			t.Errorf("Certificate %s: duration %v renewBefore %v: want renewal at least half-way", c.Name, c.Spec.Duration, c.Spec.RenewBefore)
		}
	}

	// The chain: serving <- CA Issuer <- CA Certificate <- self-signed Issuer.
	caIssuer := in.issuer(t, serving)
	if caIssuer.Spec.CA == nil {
		t.Fatalf("serving Certificate's Issuer %s is not a CA issuer", caIssuer.Name)
	}
	var ca *cmv1.Certificate
	for _, c := range in.certificates {
		if c.Spec.SecretName == caIssuer.Spec.CA.SecretName {
			ca = c
		}
	}
	if ca == nil || !ca.Spec.IsCA {
		t.Fatalf("no CA Certificate writes %s, the CA Issuer's Secret", caIssuer.Spec.CA.SecretName)
	}
	if root := in.issuer(t, ca); root.Spec.SelfSigned == nil {
		t.Errorf("CA Certificate %s is issued by %s, want a self-signed Issuer", ca.Name, root.Name)
	}
	if len(in.certificates) != 2 || len(in.issuers) != 2 {
		t.Errorf("%d Certificates and %d Issuers, want 2 and 2", len(in.certificates), len(in.issuers))
	}

	// cainjector fills both configurations from the serving Certificate.
	want := serving.Namespace + "/" + serving.Name
	for kind, a := range map[string]map[string]string{
		"MutatingWebhookConfiguration":   in.mutating.Annotations,
		"ValidatingWebhookConfiguration": in.validating.Annotations,
	} {
		if got := a[cmv1.WantInjectAnnotation]; got != want {
			t.Errorf("%s %s = %q, want %q", kind, cmv1.WantInjectAnnotation, got, want)
		}
	}
	for kind, a := range in.annotations() {
		if _, ok := a[openshiftServingCert]; ok {
			t.Errorf("%s carries OpenShift's %s", kind, openshiftServingCert)
		}
		if _, ok := a[openshiftInjectCA]; ok {
			t.Errorf("%s carries OpenShift's %s", kind, openshiftInjectCA)
		}
	}
}

func TestOpenShiftOverlay(t *testing.T) {
	in := render(t, "overlays/openshift")
	if got, want := in.service.Annotations[openshiftServingCert], in.tlsSecret(t); got != want {
		t.Errorf("Service %s = %q, want the mounted Secret %q", openshiftServingCert, got, want)
	}
	for kind, a := range map[string]map[string]string{
		"MutatingWebhookConfiguration":   in.mutating.Annotations,
		"ValidatingWebhookConfiguration": in.validating.Annotations,
	} {
		if a[openshiftInjectCA] != "true" {
			t.Errorf("%s lacks %s: \"true\"", kind, openshiftInjectCA)
		}
	}
	if len(in.certificates)+len(in.issuers) != 0 {
		t.Errorf("renders cert-manager objects")
	}
	for kind, a := range in.annotations() {
		if _, ok := a[cmv1.WantInjectAnnotation]; ok {
			t.Errorf("%s carries cert-manager's %s", kind, cmv1.WantInjectAnnotation)
		}
	}
}

// The base provides no certificate: the overlays do, each its own way.
func TestBaseHasNoCertificateSource(t *testing.T) {
	in := render(t, "base")
	if len(in.certificates)+len(in.issuers) != 0 {
		t.Errorf("renders cert-manager objects")
	}
	for kind, a := range in.annotations() {
		for _, k := range []string{cmv1.WantInjectAnnotation, openshiftServingCert, openshiftInjectCA} {
			if _, ok := a[k]; ok {
				t.Errorf("%s carries %s", kind, k)
			}
		}
	}
	if in.tlsSecret(t) != "vmnet-webhook-tls" {
		t.Errorf("pods mount %s, want vmnet-webhook-tls", in.tlsSecret(t))
	}
}
