package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/certs"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

const expiryMetric = "vmnet_webhook_serving_certificate_expiry_timestamp_seconds"

// servedNotAfter is the NotAfter of the certificate the webhook listener
// presents in a handshake.
func servedNotAfter(t *testing.T, ts *testServer) time.Time {
	t.Helper()
	conn, err := tls.Dial("tcp", ts.addr(), &tls.Config{InsecureSkipVerify: true}) // the point is to see what is served
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].NotAfter
}

func notAfter(t *testing.T, p certs.Pair) time.Time {
	t.Helper()
	block, _ := pem.Decode(p.CertPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert.NotAfter
}

// TestServingCertificateExpiryMetric: the gauge holds the NotAfter of the
// certificate the listener presents, at start and after the files rotate.
func TestServingCertificateExpiryMetric(t *testing.T) {
	ts := startServer(t, nil)
	served := servedNotAfter(t, ts)
	if got := metricValue(t, ts, expiryMetric); got != float64(served.Unix()) {
		t.Fatalf("%s = %v at start, want the served certificate's NotAfter %d (%s)", expiryMetric, got, served.Unix(), served)
	}

	// A certificate issued two days earlier expires two days earlier.
	pair, err := ts.ca.Serving(nil, nil, time.Now().Add(-48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := notAfter(t, pair)
	if want.Equal(served) {
		t.Fatal("the new certificate expires when the old one does")
	}
	if err := certs.WritePair(ts.dir, ts.ca.CertPEM, pair); err != nil {
		t.Fatal(err)
	}
	// controller-runtime's watcher reacts to file events, and polls every 10s.
	deadline := time.Now().Add(30 * time.Second)
	for metricValue(t, ts, expiryMetric) != float64(want.Unix()) {
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v 30s after the rotation, want %d", expiryMetric, metricValue(t, ts, expiryMetric), want.Unix())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := servedNotAfter(t, ts); !got.Equal(want) {
		t.Errorf("the gauge says %s but the listener serves a certificate expiring %s", want, got)
	}
}

// TestUnreadableCertificateStopsTheServer: a key that does not match the
// certificate is reported, and Run returns it, rather than serving nothing.
func TestUnreadableCertificateStopsTheServer(t *testing.T) {
	dir := t.TempDir()
	ca, err := certs.NewCA("test CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a, err := ca.Serving(nil, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, err := ca.Serving(nil, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	a.KeyPEM = b.KeyPEM
	if err := certs.WritePair(dir, ca.CertPEM, a); err != nil {
		t.Fatal(err)
	}
	srv, err := NewServer(Options{
		Host: "127.0.0.1", Port: freePort(t), CertDir: dir, HealthAddr: "127.0.0.1:0", MetricsAddr: "0",
		MaxBodyBytes: DefaultMaxBodyBytes, Config: config.Default(), Mutate: fakeMutate, Validate: fakeValidate,
		Log: ctrllog.Log.WithName("test"),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = srv.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "serving certificate: tls: private key does not match public key") {
		t.Errorf("Run = %v, want the mismatched key reported", err)
	}
}

// TestCountersAlertsReadAreExported: the error counters are there before
// the first error, so that an alert on their increase sees it.
func TestCountersAlertsReadAreExported(t *testing.T) {
	ts := startServer(t, nil)
	for _, sample := range []string{
		`vmnet_webhook_internal_errors_total{webhook="mutate"}`,
		`vmnet_webhook_internal_errors_total{webhook="validate"}`,
		`vmnet_webhook_rule_panics_total{webhook="mutate"}`,
		`vmnet_webhook_rule_panics_total{webhook="validate"}`,
	} {
		if !strings.Contains(scrape(t, ts), "\n"+sample+" ") {
			t.Errorf("/metrics lacks %s", sample)
		}
	}
}

// scrape is the text of the server's /metrics.
func scrape(t *testing.T, ts *testServer) string {
	t.Helper()
	resp, err := http.Get("http://" + ts.srv.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
