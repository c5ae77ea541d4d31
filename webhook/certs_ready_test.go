package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/certs"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

func status(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestCertsReadyHoldsBackServing: with a certificate still to come (the
// self-managed overlay's rotator), the server is alive but not ready and
// does not listen for admission until CertsReady is closed; then it serves.
func TestCertsReadyHoldsBackServing(t *testing.T) {
	dir := t.TempDir()
	ready := make(chan struct{})
	port := freePort(t)
	srv, err := NewServer(Options{
		Host: "127.0.0.1", Port: port, CertDir: dir, HealthAddr: "127.0.0.1:0", MetricsAddr: "0",
		MaxBodyBytes: DefaultMaxBodyBytes, Config: config.Default(), Mutate: fakeMutate, Validate: fakeValidate,
		Log: ctrllog.Log.WithName("test"), CertsReady: ready,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	health := "http://" + srv.HealthAddr()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))

	time.Sleep(300 * time.Millisecond)
	if s := status(t, health+"/healthz"); s != http.StatusOK {
		t.Errorf("healthz %d while waiting for the certificate, want 200 (the liveness probe must pass)", s)
	}
	if s := status(t, health+"/readyz"); s != http.StatusServiceUnavailable {
		t.Errorf("readyz %d without a certificate, want 503", s)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("admission port accepts connections before the certificate is in place")
	}

	ca, err := certs.NewCA("test CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Serving(nil, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := certs.WritePair(dir, ca.CertPEM, pair); err != nil {
		t.Fatal(err)
	}
	close(ready)
	ts := &testServer{srv: srv}
	ts.waitReady(t)
	if c, err := net.DialTimeout("tcp", addr, time.Second); err != nil {
		t.Errorf("admission port after the certificate: %v", err)
	} else {
		c.Close()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// TestFailedStopsTheServer: an error from the rotator ends Run with it,
// also before any certificate came.
func TestFailedStopsTheServer(t *testing.T) {
	failed := make(chan error, 1)
	srv, err := NewServer(Options{
		Host: "127.0.0.1", Port: freePort(t), CertDir: t.TempDir(), HealthAddr: "127.0.0.1:0", MetricsAddr: "0",
		MaxBodyBytes: DefaultMaxBodyBytes, Config: config.Default(), Mutate: fakeMutate, Validate: fakeValidate,
		Log: ctrllog.Log.WithName("test"), CertsReady: make(chan struct{}), Failed: failed,
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(context.Background()) }()
	boom := errors.New("certificate rotator: boom")
	failed <- boom
	select {
	case err := <-done:
		if !errors.Is(err, boom) {
			t.Fatalf("Run returned %v, want %v", err, boom)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop on the rotator's error")
	}
}
