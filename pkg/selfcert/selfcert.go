// Package selfcert lets the webhook look after its own serving certificate,
// for clusters with neither cert-manager nor OpenShift's service CA: with
// github.com/open-policy-agent/cert-controller (as Gatekeeper does) it keeps
// a CA and a serving certificate in one Secret, renews the certificate before
// it expires, and writes the CA into the caBundle of the webhook's own two
// configurations. The pod mounts the Secret; the server reloads the files.
//
// The API client reads only the objects it owns: list and watch requests
// for Secrets and webhook configurations carry a metadata.name field
// selector, so RBAC can grant them by resourceNames.
package selfcert

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"path"
	"time"

	"github.com/go-logr/logr"
	"github.com/open-policy-agent/cert-controller/pkg/rotator"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// Options say which Secret, certificate and webhook configurations.
type Options struct {
	// Secret holds ca.crt, ca.key, tls.crt and tls.key. It must exist (the
	// overlay ships it empty): RBAC cannot grant creating it by name.
	Secret types.NamespacedName
	// DNSNames of the serving certificate; the first is its common name.
	DNSNames []string
	// CertDir is where the Secret is mounted.
	CertDir string
	// Webhooks is the name of the MutatingWebhookConfiguration and of the
	// ValidatingWebhookConfiguration whose caBundle is kept.
	Webhooks string
	// Validity of the serving certificate, and how long before its end it
	// is renewed; CheckEvery is how often that is checked.
	Validity, RenewBefore, CheckEvery time.Duration
	// Config reaches the API server; nil means in-cluster.
	Config *rest.Config
	Log    logr.Logger
}

// Start runs the certificate rotator until ctx ends. ready is closed once
// the certificate files are in CertDir and the CA is in both webhook
// configurations; errc receives an error if the rotator stops on its own.
func Start(ctx context.Context, o Options) (ready <-chan struct{}, errc <-chan error, err error) {
	if o.Secret.Namespace == "" || o.Secret.Name == "" || len(o.DNSNames) == 0 || o.CertDir == "" || o.Webhooks == "" {
		return nil, nil, errors.New("selfcert: secret (namespace/name), DNS names, cert dir and webhook name are required")
	}
	cfg := o.Config
	if cfg == nil {
		if cfg, err = rest.InClusterConfig(); err != nil {
			return nil, nil, fmt.Errorf("selfcert: %w", err)
		}
	}
	cfg = rest.CopyConfig(cfg)
	cfg.Wrap(OnlyNamed(map[string]string{
		path.Join("/api/v1/namespaces", o.Secret.Namespace, "secrets"):          o.Secret.Name,
		"/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations":   o.Webhooks,
		"/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations": o.Webhooks,
	}))
	mgr, err := manager.New(cfg, manager.Options{
		Scheme:                 scheme.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Logger:                 o.Log,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("selfcert: %w", err)
	}
	isReady := make(chan struct{})
	usages := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	if err := rotator.AddRotator(mgr, &rotator.CertRotator{
		SecretKey:      o.Secret,
		CertDir:        o.CertDir,
		CAName:         "vmnet-webhook-ca",
		CAOrganization: "vmnet-webhook",
		DNSName:        o.DNSNames[0],
		ExtraDNSNames:  o.DNSNames[1:],
		IsReady:        isReady,
		Webhooks: []rotator.WebhookInfo{
			{Name: o.Webhooks, Type: rotator.Mutating},
			{Name: o.Webhooks, Type: rotator.Validating},
		},
		ExtKeyUsages: &usages,
		// Every replica runs it; writes conflict on the Secret's
		// resourceVersion and the loser reads the winner's certificate.
		RequireLeaderElection:  false,
		EnableReadinessCheck:   true,
		ServerCertDuration:     o.Validity,
		LookaheadInterval:      o.RenewBefore,
		RotationCheckFrequency: o.CheckEvery,
		FieldOwner:             "vmnet-webhook",
	}); err != nil {
		return nil, nil, fmt.Errorf("selfcert: %w", err)
	}
	ec := make(chan error, 1)
	go func() {
		if err := mgr.Start(ctx); err != nil {
			ec <- fmt.Errorf("certificate rotator: %w", err)
		}
	}()
	return isReady, ec, nil
}

// OnlyNamed adds fieldSelector=metadata.name=<name> to list and watch
// requests of the collections in names (path → name), so that a client with
// RBAC by resourceNames may make them.
func OnlyNamed(names map[string]string) func(http.RoundTripper) http.RoundTripper {
	return func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(req *http.Request) (*http.Response, error) {
			if name, ok := names[req.URL.Path]; ok && req.Method == http.MethodGet {
				req = req.Clone(req.Context())
				q := req.URL.Query()
				q.Set("fieldSelector", "metadata.name="+name)
				req.URL.RawQuery = q.Encode()
			}
			return rt.RoundTrip(req)
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
