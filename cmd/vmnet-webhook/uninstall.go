package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/pflag"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	admclient "k8s.io/client-go/kubernetes/typed/admissionregistration/v1"
)

// uninstallWebhooks deletes the mutating and validating webhook
// configurations of the install and waits until both are gone, so that the
// API server stops calling the webhook before its Service and pods go. The
// chart runs it as a pre-delete hook: helm uninstall deletes Services and
// Deployments before kinds its uninstall order does not list, which
// include the webhook configurations. Exit status: 0 both gone, 1 an error
// from the cluster, 2 bad usage.
func uninstallWebhooks(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("uninstall-webhooks", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	kube := addKubeconfigFlags(fs)
	name := fs.String("name", "vmnet-webhook", "name of both webhook configurations")
	timeout := fs.Duration("timeout", time.Minute, "how long to wait for both configurations to be gone")
	settle := fs.Duration("settle", 2*time.Second, "how long to wait after they are gone, for every API server to see it")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: %s uninstall-webhooks [flags]

Deletes the MutatingWebhookConfiguration and the ValidatingWebhookConfiguration
of the install, waits until both are gone, then waits --settle more: each API
server stops calling a webhook only once its watch of the configurations has
seen the deletion. Run it before deleting the webhook's Service or pods (the
Helm chart runs it as a pre-delete hook). Configurations already gone are fine.

Exit status: 0 both gone, 1 an error from the cluster, 2 bad usage.

Flags:
%s`, programName(), fs.FlagUsages())
	}
	if status, done := parseFlags(fs, args); done {
		return status
	}
	failf := failer(stderr, "uninstall-webhooks")
	switch {
	case len(validation.IsDNS1123Subdomain(*name)) > 0:
		return failf(2, "--name %q is not a valid object name: %s", *name, validation.IsDNS1123Subdomain(*name)[0])
	case *timeout <= 0:
		return failf(2, "--timeout must be positive, got %s", *timeout)
	case *settle < 0:
		return failf(2, "--settle must not be negative, got %s", *settle)
	}

	restCfg, err := kube.restConfig("vmnet-webhook-uninstall-webhooks")
	if err != nil {
		return failf(2, "kubeconfig: %v", err)
	}
	client, err := admclient.NewForConfig(restCfg)
	if err != nil {
		return failf(2, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := deleteWebhookConfigurations(ctx, client, *name, *timeout); err != nil {
		return failf(1, "%v", err)
	}
	fmt.Fprintf(stdout, "mutatingwebhookconfiguration/%s and validatingwebhookconfiguration/%s are gone\n", *name, *name)
	time.Sleep(*settle)
	return 0
}

// webhookConfiguration is one of the two kinds deleted, with its client's calls.
type webhookConfiguration struct {
	resource string
	delete   func(ctx context.Context, name string, opts metav1.DeleteOptions) error
	get      func(ctx context.Context, name string) error
}

// webhookConfigurations are both kinds, mutating first.
func webhookConfigurations(c admclient.AdmissionregistrationV1Interface) []webhookConfiguration {
	return []webhookConfiguration{
		{
			resource: "mutatingwebhookconfigurations",
			delete:   c.MutatingWebhookConfigurations().Delete,
			get: func(ctx context.Context, name string) error {
				_, err := c.MutatingWebhookConfigurations().Get(ctx, name, metav1.GetOptions{})
				return err
			},
		},
		{
			resource: "validatingwebhookconfigurations",
			delete:   c.ValidatingWebhookConfigurations().Delete,
			get: func(ctx context.Context, name string) error {
				_, err := c.ValidatingWebhookConfigurations().Get(ctx, name, metav1.GetOptions{})
				return err
			},
		},
	}
}

// deleteWebhookConfigurations deletes both configurations named name and
// polls until the API server no longer has them (a finalizer someone added
// would keep one). Errors name the verb and resource, so that a refused
// permission says what to grant.
func deleteWebhookConfigurations(ctx context.Context, c admclient.AdmissionregistrationV1Interface, name string, timeout time.Duration) error {
	confs := webhookConfigurations(c)
	for _, wc := range confs {
		err := wc.delete(ctx, name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return apiVerbError("delete", wc.resource, name, err)
		}
	}
	for _, wc := range confs {
		for {
			err := wc.get(ctx, name)
			if apierrors.IsNotFound(err) {
				break
			}
			if err != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return apiVerbError("get", wc.resource, name, err)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%s/%s is still there %s after it was deleted (a finalizer in metadata.finalizers?)", wc.resource, name, timeout)
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// apiVerbError words a failed request in one line; for a refused
// permission, what to grant.
func apiVerbError(verb, resource, name string, err error) error {
	switch {
	case apierrors.IsForbidden(err):
		return fmt.Errorf("forbidden: this user may not %s %s/%s; grant %q on admissionregistration.k8s.io %s with resourceNames [%s]",
			verb, resource, name, verb, resource, name)
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("unauthorized: the API server does not accept these credentials (%s %s/%s)", verb, resource, name)
	}
	return fmt.Errorf("%s %s/%s: %v", verb, resource, name, err)
}
