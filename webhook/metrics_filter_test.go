package webhook

import (
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/go-logr/logr"
)

// TestMetricsFilter: with a filter, /metrics is served over HTTPS with the
// serving certificate, and only what the filter lets through gets metrics.
// The filter here stands in for controller-runtime's, which e2e tests
// against a real API server.
func TestMetricsFilter(t *testing.T) {
	ts := startServer(t, func(o *Options) {
		o.MetricsFilter = func(_ logr.Logger, h http.Handler) (http.Handler, error) {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer good" {
					http.Error(w, "Unauthorized", http.StatusUnauthorized)
					return
				}
				h.ServeHTTP(w, r)
			}), nil
		}
	})
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(ts.ca)}}}
	get := func(token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "https://"+ts.srv.MetricsAddr()+"/metrics", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("bad"); code != http.StatusUnauthorized {
		t.Errorf("refused token: %d, want 401", code)
	}
	if code, body := get("good"); code != http.StatusOK || !strings.Contains(body, expiryMetric+" ") {
		t.Errorf("accepted token: %d, body without %s", code, expiryMetric)
	}
	resp, err := http.Get("http://" + ts.srv.MetricsAddr() + "/metrics")
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(b), "vmnet_webhook_") {
			t.Errorf("plain HTTP got metrics: %s", resp.Status)
		}
	}
}

// TestMetricsFilterNeedsMetrics: a filter with metrics off is a mistake.
func TestMetricsFilterNeedsMetrics(t *testing.T) {
	_, err := NewServer(Options{Port: 9443, HealthAddr: "127.0.0.1:0", MetricsAddr: "0", MaxBodyBytes: DefaultMaxBodyBytes,
		Mutate: fakeMutate, Validate: fakeValidate,
		MetricsFilter: func(_ logr.Logger, h http.Handler) (http.Handler, error) { return h, nil }})
	if err == nil || !strings.Contains(err.Error(), "authenticated metrics need a metrics address") {
		t.Errorf("NewServer = %v", err)
	}
}
