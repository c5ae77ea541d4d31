package framework

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	admv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"
)

// plainHTTP reaches the webhook's health and metrics addresses.
var plainHTTP = &http.Client{Timeout: 5 * time.Second}

// WebhookConfigurations is the file RegisterWebhooks reads, relative to the
// repository root: the configurations a cluster gets, not a copy.
const WebhookConfigurations = "manifests/base/webhook-configurations.yaml"

// Webhook is a running `vmnet-webhook serve`.
type Webhook struct {
	Port        int
	CertDir     string // ca.crt, tls.crt, tls.key from `vmnet-webhook certs`
	HealthAddr  string
	MetricsAddr string
	Log         string
	proc        *process
}

// StartWebhook writes certificates with `bin/vmnet-webhook certs --dir D
// --ip 127.0.0.1`, then runs `bin/vmnet-webhook serve` on free loopback ports
// with extraArgs appended, and waits until /readyz answers. The control
// plane stops it on Stop; Stop it earlier to test a webhook that is down.
func (cp *ControlPlane) StartWebhook(ctx context.Context, extraArgs ...string) (*Webhook, error) {
	bin := filepath.Join(cp.bin, "vmnet-webhook")
	w, err := startServer(ctx, cp.Dir, "webhook", bin, bin, extraArgs)
	if err != nil {
		return nil, err
	}
	cp.mu.Lock()
	cp.webhooks = append(cp.webhooks, w)
	cp.mu.Unlock()
	return w, nil
}

// Stop stops the webhook server (SIGTERM, then SIGKILL after 10s).
func (w *Webhook) Stop() {
	if w.proc != nil {
		w.proc.stop(10 * time.Second)
	}
}

// RegisterWebhooks creates the webhook configurations of manifests/ with
// each clientConfig.service replaced by the URL of w on loopback (same path)
// and caBundle set to w's CA, then waits until the API server calls w.
// Configurations of the same names are replaced.
func (cp *ControlPlane) RegisterWebhooks(ctx context.Context, w *Webhook) error {
	mutating, validating, err := cp.loadConfigurations()
	if err != nil {
		return err
	}
	ca, err := os.ReadFile(filepath.Join(w.CertDir, "ca.crt"))
	if err != nil {
		return err
	}
	if err := pointAt(mutating, validating, w.Port, ca); err != nil {
		return err
	}
	if err := cp.UnregisterWebhooks(ctx); err != nil {
		return err
	}
	// w may have served before (registered again after a test unregistered
	// it): wait for new calls, not for any.
	before, err := webhookRequests(ctx, "http://"+w.MetricsAddr+"/metrics")
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		return err
	}
	for _, m := range mutating {
		if _, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, m, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create MutatingWebhookConfiguration %s: %w", m.Name, err)
		}
	}
	for _, v := range validating {
		if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, v, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("create ValidatingWebhookConfiguration %s: %w", v.Name, err)
		}
	}
	return cp.waitWebhooksCalled(ctx, w, before, len(mutating) > 0, len(validating) > 0)
}

// pointAt replaces each webhook's clientConfig.service by the URL of a
// server on loopback port, same path, trusted through ca.
func pointAt(mutating []*admv1.MutatingWebhookConfiguration, validating []*admv1.ValidatingWebhookConfiguration, port int, ca []byte) error {
	rewrite := func(cc *admv1.WebhookClientConfig, name string) error {
		if cc.Service == nil {
			return fmt.Errorf("%s: webhook %s has no clientConfig.service to rewrite", WebhookConfigurations, name)
		}
		path := "/"
		if cc.Service.Path != nil {
			path = *cc.Service.Path
		}
		u := fmt.Sprintf("https://127.0.0.1:%d%s", port, path)
		*cc = admv1.WebhookClientConfig{URL: &u, CABundle: ca}
		return nil
	}
	for _, m := range mutating {
		for i := range m.Webhooks {
			if err := rewrite(&m.Webhooks[i].ClientConfig, m.Webhooks[i].Name); err != nil {
				return err
			}
		}
	}
	for _, v := range validating {
		for i := range v.Webhooks {
			if err := rewrite(&v.Webhooks[i].ClientConfig, v.Webhooks[i].Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// UnregisterWebhooks deletes the configurations named in manifests/, so that
// objects can be stored without the webhook (e.g. to test UPDATE of an
// object created before it existed), and waits until the API server has
// stopped calling them.
func (cp *ControlPlane) UnregisterWebhooks(ctx context.Context) error {
	mutating, validating, err := cp.loadConfigurations()
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		return err
	}
	for _, m := range mutating {
		err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(ctx, m.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	for _, v := range validating {
		err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, v.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return cp.waitWebhooksGone(ctx)
}

// loadConfigurations reads the webhook configurations from manifests/.
func (cp *ControlPlane) loadConfigurations() ([]*admv1.MutatingWebhookConfiguration, []*admv1.ValidatingWebhookConfiguration, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, nil, err
	}
	path := filepath.Join(root, WebhookConfigurations)
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var (
		mutating   []*admv1.MutatingWebhookConfiguration
		validating []*admv1.ValidatingWebhookConfiguration
	)
	r := utilyaml.NewYAMLReader(bufio.NewReader(f))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		switch meta.Kind {
		case "MutatingWebhookConfiguration":
			var m admv1.MutatingWebhookConfiguration
			if err := yaml.UnmarshalStrict(doc, &m); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", path, err)
			}
			mutating = append(mutating, &m)
		case "ValidatingWebhookConfiguration":
			var v admv1.ValidatingWebhookConfiguration
			if err := yaml.UnmarshalStrict(doc, &v); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", path, err)
			}
			validating = append(validating, &v)
		case "":
		default:
			return nil, nil, fmt.Errorf("%s: unexpected kind %s", path, meta.Kind)
		}
	}
	if len(mutating)+len(validating) == 0 {
		return nil, nil, fmt.Errorf("%s: no webhook configurations", path)
	}
	return mutating, validating, nil
}

// probeVM is a minimal VirtualMachine, created with server-side dry run to
// find out whether the API server calls the webhook yet.
const probeVM = `{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"vmnet-e2e-probe","namespace":"default"},
"spec":{"runStrategy":"Halted","template":{"spec":{"domain":{"devices":{}}}}}}`

// waitWebhooksCalled waits until a dry-run create reaches the webhook's
// mutating and validating paths, read from its request counters: the API
// server picks up new configurations asynchronously, and a test that starts
// before would see objects go through unchecked.
func (cp *ControlPlane) waitWebhooksCalled(ctx context.Context, w *Webhook, before map[string]float64, mutate, validate bool) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rc, err := restClientFor(cp.Config)
	if err != nil {
		return err
	}
	for {
		_ = rc.Post().AbsPath("/apis/kubevirt.io/v1/namespaces/default/virtualmachines").
			Param("dryRun", "All").Body([]byte(probeVM)).SetHeader("Content-Type", "application/json").
			Do(ctx).Error()
		counts, err := webhookRequests(ctx, "http://"+w.MetricsAddr+"/metrics")
		if err == nil && (!mutate || counts["/mutate"] > before["/mutate"]) && (!validate || counts["/validate"] > before["/validate"]) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the API server did not call the webhook: %v (requests per path: %v, metrics error: %v); last lines of %s:\n%s",
				ctx.Err(), counts, err, w.Log, tail(w.Log, 2000))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// probeReservedVM has a reserved port and no cloud-init: while any of the
// webhooks is registered, a dry-run create of it is either refused
// (validation, reachable or not under failurePolicy Fail) or comes back with
// a volume added (mutation).
const probeReservedVM = `{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"vmnet-e2e-probe-gone","namespace":"default"},
"spec":{"runStrategy":"Halted","template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"default","masquerade":{},"ports":[{"port":49152}]}]}},
"networks":[{"name":"default","pod":{}}]}}}}`

// waitWebhooksGone waits until the API server has dropped the deleted
// configurations: it picks up deletions asynchronously too.
func (cp *ControlPlane) waitWebhooksGone(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rc, err := restClientFor(cp.Config)
	if err != nil {
		return err
	}
	for {
		body, err := rc.Post().AbsPath("/apis/kubevirt.io/v1/namespaces/default/virtualmachines").
			Param("dryRun", "All").Body([]byte(probeReservedVM)).SetHeader("Content-Type", "application/json").
			Do(ctx).Raw()
		if err == nil && !bytes.Contains(body, []byte(`"volumes"`)) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the API server still calls the webhooks after their configurations were deleted: %v (last answer: %v)", ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// webhookRequests sums controller_runtime_webhook_requests_total by path.
func webhookRequests(ctx context.Context, url string) (map[string]float64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := plainHTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return parseWebhookRequests(resp.Body)
}

// parseWebhookRequests reads Prometheus text format.
func parseWebhookRequests(r io.Reader) (map[string]float64, error) {
	counts := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	const metric = "controller_runtime_webhook_requests_total{"
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, metric) {
			continue
		}
		labels, value, ok := strings.Cut(line[len(metric):], "} ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(labels, ",") {
			if k, p, ok := strings.Cut(l, "="); ok && k == "webhook" {
				counts[strings.Trim(p, `"`)] += v
			}
		}
	}
	return counts, sc.Err()
}
