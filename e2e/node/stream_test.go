package node

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

const (
	// streamRate is the VM creates sent per second while the webhook is
	// removed; each create goes out on its own, so a slow answer does not
	// slow the stream.
	streamRate = 10
	// streamMax bounds a phase's creates (streamRate for five minutes).
	streamMax = streamRate * 300
	// minRate is the fewest creates per second a phase must have sent for
	// its 0 failed to mean anything.
	minRate = 5
)

// streamCounts are one phase's VM creates: attempted, failed (the API
// server answered with an error), and of those stored, how many the
// webhook mutated (it was still called) and how many it did not.
type streamCounts struct {
	attempted, failed, mutated, unmutated atomic.Int64
	mu                                    sync.Mutex
	firstFailures                         []string
}

func (c *streamCounts) fail(format string, args ...any) {
	c.failed.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.firstFailures) < 5 {
		c.firstFailures = append(c.firstFailures, time.Now().Format("15:04:05.000")+" "+fmt.Sprintf(format, args...))
	}
}

// streamCreates creates valid VMs at streamRate per second until stop is
// closed or streamMax were sent; the function returned waits for the
// answers of those sent.
func streamCreates(cfg *rest.Config, phase string, stop <-chan struct{}) (*streamCounts, func()) {
	c := &streamCounts{}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = -1, 0
	dc := dynamic.NewForConfigOrDie(cfg).Resource(vmResource).Namespace(loadNamespace)
	var wg sync.WaitGroup
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Second / streamRate)
		defer tick.Stop()
		for i := 0; i < streamMax; i++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			name := fmt.Sprintf("%s-%d", phase, i)
			c.attempted.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				got, err := dc.Create(context.Background(), vm(name, 8080), metav1.CreateOptions{})
				switch {
				case err != nil:
					c.fail("create %s: %v", name, err)
				case mutated(got):
					c.mutated.Add(1)
				default:
					c.unmutated.Add(1)
				}
			}()
		}
	}()
	return c, func() { <-done; wg.Wait() }
}

// underStream runs disrupt (which returns when it is complete) with VM
// creates streaming from 2 s before to 2 s after it, logs the creates
// attempted and failed, and fails the test on any failed create or a
// stream slower than minRate.
func (n *Node) underStream(t *testing.T, phase string, disrupt func() error) *streamCounts {
	t.Helper()
	var c *streamCounts
	took, all, err := around(2*time.Second, func(stop <-chan struct{}) func() {
		var wait func()
		c, wait = streamCreates(n.CP.Config, phase, stop)
		return wait
	}, disrupt)
	rate := float64(c.attempted.Load()) / all.Seconds()
	t.Logf("%s: done in %s; VM creates: %d attempted in %s (%.1f/s), %d failed; stored %d mutated, %d without the webhook",
		phase, took.Round(100*time.Millisecond), c.attempted.Load(), all.Round(100*time.Millisecond), rate, c.failed.Load(),
		c.mutated.Load(), c.unmutated.Load())
	if err != nil {
		t.Fatalf("%s: %v", phase, err)
	}
	for _, f := range c.firstFailures {
		t.Errorf("%s: %s", phase, f)
	}
	if rate < minRate {
		t.Errorf("%s: %.1f VM creates a second, want at least %d", phase, rate, minRate)
	}
	return c
}
