package node

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

var vmResource = schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachines"}

const (
	loadNamespace = "vmnet-load"
	// Every answer is checked; a denial must be the webhook's own.
	createDenial = `admission webhook "validate.vmnet.kubevirt.io" denied the request: ` +
		`spec.template.spec.domain.devices.interfaces[0].ports[0].port: Forbidden: port 49152 is reserved for libvirt's live migration`
	updateDenial = `admission webhook "validate-update.vmnet.kubevirt.io" denied the request: ` +
		`spec.template.spec.domain.devices.interfaces[0].ports[0].port: Forbidden: port 49153 is reserved for libvirt's live migration`
)

func vm(name string, port int) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
		"metadata": map[string]any{"name": name, "namespace": loadNamespace},
		"spec": map[string]any{"runStrategy": "Halted", "template": map[string]any{"spec": map[string]any{
			"domain": map[string]any{
				"devices":   map[string]any{"interfaces": []any{map[string]any{"name": "default", "masquerade": map[string]any{}, "ports": []any{map[string]any{"port": int64(port)}}}}},
				"resources": map[string]any{"requests": map[string]any{"memory": "64Mi"}},
			},
			"networks": []any{map[string]any{"name": "default", "pod": map[string]any{}}},
		}}},
	}}
}

// mutated: the mutating webhook added the IPv6 cloud-init volume.
func mutated(u *unstructured.Unstructured) bool {
	vols, _, _ := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "volumes")
	for _, v := range vols {
		m, _ := v.(map[string]any)
		nd, _, _ := unstructured.NestedString(m, "cloudInitNoCloud", "networkData")
		if m["name"] == "cloudinitdisk" && strings.Contains(nd, "gateway: fd10:0:2::1") {
			return true
		}
	}
	return false
}

// loadCounts are one phase's admissions by kind: ok, failed (the API server
// could not get an answer, or any other error), wrong (an answer that is
// not the webhook's: admitted where it must deny, stored unmutated).
type loadCounts struct {
	creates, createsDenied, updates, updatesDenied atomic.Int64
	failed, wrong                                  atomic.Int64
	// Of the VM creates alone: sent, and answered with an error.
	createsAttempted, createsFailed atomic.Int64
	mu                              sync.Mutex
	firstProblems                   []string
}

func (c *loadCounts) problem(wrong bool, format string, args ...any) {
	if wrong {
		c.wrong.Add(1)
	} else {
		c.failed.Add(1)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.firstProblems) < 5 {
		c.firstProblems = append(c.firstProblems, time.Now().Format("15:04:05.000")+" "+fmt.Sprintf(format, args...))
	}
}

func (c *loadCounts) String() string {
	return fmt.Sprintf("VM creates: %d attempted, %d failed; %d creates stored mutated, %d creates denied, %d updates admitted, %d updates denied; %d failed, %d wrong",
		c.createsAttempted.Load(), c.createsFailed.Load(),
		c.creates.Load(), c.createsDenied.Load(), c.updates.Load(), c.updatesDenied.Load(), c.failed.Load(), c.wrong.Load())
}

// runLoad sends a steady stream of VM admissions from workers goroutines
// until stop is closed: each worker creates a valid VM (checked mutated),
// creates one with port 49152 (checked denied by the webhook), updates its
// VM's labels (admitted) and adds port 49153 to it (checked denied). Each
// worker waits `pause` between rounds, so the rate stays bounded.
func runLoad(cfg *rest.Config, phase string, workers int, pause time.Duration, stop <-chan struct{}) (*loadCounts, func()) {
	c := &loadCounts{}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	dc := dynamic.NewForConfigOrDie(cfg).Resource(vmResource).Namespace(loadNamespace)
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("%s-%d-%d", phase, w, i)
				c.createsAttempted.Add(2)
				got, err := dc.Create(ctx, vm(name, 8080), metav1.CreateOptions{})
				switch {
				case err != nil:
					c.createsFailed.Add(1)
					c.problem(false, "create %s: %v", name, err)
				case !mutated(got):
					c.problem(true, "create %s: stored without the webhook's mutation", name)
				default:
					c.creates.Add(1)
				}
				_, err = dc.Create(ctx, vm(name+"-reserved", 49152), metav1.CreateOptions{})
				switch {
				case err == nil:
					c.problem(true, "create %s-reserved: admitted with port 49152", name)
				case apierrors.IsForbidden(err) && strings.Contains(err.Error(), createDenial):
					c.createsDenied.Add(1)
				default:
					c.createsFailed.Add(1)
					c.problem(false, "create %s-reserved: %v", name, err)
				}
				if got == nil {
					continue
				}
				label := []byte(fmt.Sprintf(`{"metadata":{"labels":{"round":"%d"}}}`, i))
				if _, err := dc.Patch(ctx, name, types.MergePatchType, label, metav1.PatchOptions{}); err != nil {
					c.problem(false, "update %s labels: %v", name, err)
				} else {
					c.updates.Add(1)
				}
				port := []byte(`{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[` +
					`{"name":"default","masquerade":{},"ports":[{"port":49153}]}]}}}}}}`)
				_, err = dc.Patch(ctx, name, types.MergePatchType, port, metav1.PatchOptions{})
				switch {
				case err == nil:
					c.problem(true, "update %s: port 49153 admitted", name)
				case apierrors.IsForbidden(err) && strings.Contains(err.Error(), updateDenial):
					c.updatesDenied.Add(1)
				default:
					c.problem(false, "update %s port: %v", name, err)
				}
				select {
				case <-stop:
					return
				case <-time.After(pause):
				}
			}
		}()
	}
	return c, wg.Wait
}

// underLoad runs disrupt while the load runs: load alone for a few seconds,
// the disruption (which returns when it is complete), a few seconds more.
// Every admission of the phase must have been answered, correctly.
func (n *Node) underLoad(t *testing.T, phase string, disrupt func() error) {
	t.Helper()
	var c *loadCounts
	took, _, err := around(3*time.Second, func(stop <-chan struct{}) func() {
		var wait func()
		c, wait = runLoad(n.CP.Config, phase, 3, 100*time.Millisecond, stop)
		return wait
	}, disrupt)
	t.Logf("%s: done in %s under load; %s", phase, took.Round(100*time.Millisecond), c)
	if err != nil {
		t.Fatalf("%s: %v", phase, err)
	}
	for _, p := range c.firstProblems {
		t.Errorf("%s: %s", phase, p)
	}
	if c.creates.Load() == 0 || c.createsDenied.Load() == 0 || c.updates.Load() == 0 || c.updatesDenied.Load() == 0 {
		t.Errorf("%s: load did not exercise every kind of admission: %s", phase, c)
	}
}

// fingerprint names a certificate: cert-controller gives every certificate
// serial number 1, so the serial cannot tell a renewed one from the old.
func fingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:8])
}

// servedCerts are the fingerprints of the certificates the webhook pods
// serve on their own addresses, as the API server connects to them.
func (n *Node) servedCerts(t *testing.T, ctx context.Context) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range n.webhookPods(t, ctx) {
		if p.Status.PodIP == "" {
			continue
		}
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 3 * time.Second}, "tcp", net.JoinHostPort(p.Status.PodIP, "9443"),
			&tls.Config{InsecureSkipVerify: true}) // #nosec G402 -- only reading which certificate is served
		if err != nil {
			out[p.Name] = "error: " + err.Error()
			continue
		}
		out[p.Name] = fingerprint(conn.ConnectionState().PeerCertificates[0].Raw)
		conn.Close()
	}
	return out
}

// secretCert is the fingerprint of tls.crt in the webhook's Secret.
func (n *Node) secretCert(ctx context.Context) (string, error) {
	s, err := n.Client.CoreV1().Secrets("vmnet-system").Get(ctx, "vmnet-webhook-tls", metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	block, _ := pem.Decode(s.Data["tls.crt"])
	if block == nil {
		return "", fmt.Errorf("the Secret has no tls.crt yet")
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return "", err
	}
	return fingerprint(block.Bytes), nil
}

// around starts traffic with start, runs disrupt with pad of traffic before
// and after it, then stops the traffic and waits for it (start's answer); it
// returns how long disrupt took, the whole span and disrupt's error.
func around(pad time.Duration, start func(stop <-chan struct{}) (wait func()), disrupt func() error) (took, all time.Duration, err error) {
	stop := make(chan struct{})
	began := time.Now()
	wait := start(stop)
	time.Sleep(pad)
	err = disrupt()
	took = time.Since(began) - pad
	time.Sleep(pad)
	close(stop)
	wait()
	return took, time.Since(began), err
}
