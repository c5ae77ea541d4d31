package loadgen

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
	"github.com/vmnet-webhook/vmnet-webhook/webhook"
)

func serve(t *testing.T, h http.Handler) (string, *x509.CertPool) {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv.URL, pool
}

func endpoint(rule webhook.RuleFunc) http.Handler {
	return webhook.NewEndpoint(&webhook.Handler{Name: "test", Rule: rule, Config: dualStack(), Log: logr.Discard()},
		webhook.DefaultMaxBodyBytes, 10*time.Second)
}

func cases(t *testing.T, path string, names ...string) []*Case {
	t.Helper()
	var out []*Case
	for _, n := range names {
		f, err := LoadExample(filepath.Join("..", ".."), n)
		if err != nil {
			t.Fatal(err)
		}
		e, err := FromRules(dualStack(), path, f)
		if err != nil {
			t.Fatal(err)
		}
		c, err := NewCase(n, path, f, e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func run(t *testing.T, url string, pool *x509.CertPool, cs []*Case) Result {
	t.Helper()
	res, err := Run(context.Background(), Options{URL: url, CA: pool, Conns: 4, Cases: cs,
		Warmup: 50 * time.Millisecond, Duration: 300 * time.Millisecond, MaxRequests: 2000})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Right answers count as requests; each decision is seen.
func TestRunCountsRightAnswers(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle(webhook.MutatePath, endpoint(rules.Mutate))
	mux.Handle(webhook.ValidatePath, endpoint(rules.Validate))
	url, pool := serve(t, mux)
	cs := append(cases(t, webhook.MutatePath, "bare-vm", "windows-e1000"), cases(t, webhook.ValidatePath, "guide-vm", "reserved-port")...)
	res := run(t, url, pool, cs)
	if res.Errors() != 0 || res.Requests == 0 {
		t.Fatalf("%d requests, %d errors: %q", res.Requests, res.Errors(), res.FirstErrors)
	}
	for _, d := range []string{"allowed", "patched", "denied"} {
		if res.ByDecision[d] == 0 {
			t.Errorf("no %s answer: %v", d, res.ByDecision)
		}
	}
	if res.P50 <= 0 || res.P99 < res.P50 {
		t.Errorf("p50 %v, p99 %v", res.P50, res.P99)
	}
}

// A server that answers "allowed" where a patch or a denial is due gets
// only wrong answers; one that fails gets server errors.
func TestRunCatchesWrongAnswers(t *testing.T) {
	allow := func(config.Config, rules.Request) rules.Result { return rules.Result{} }
	mux := http.NewServeMux()
	mux.Handle(webhook.MutatePath, endpoint(allow))
	mux.Handle(webhook.ValidatePath, endpoint(allow))
	mux.HandleFunc("/fail", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) })
	url, pool := serve(t, mux)
	for _, cs := range [][]*Case{cases(t, webhook.MutatePath, "bare-vm"), cases(t, webhook.ValidatePath, "reserved-port")} {
		res := run(t, url, pool, cs)
		if res.WrongAnswers == 0 || res.Requests != 0 {
			t.Errorf("%s: %d right, %d wrong answers", cs[0].Name, res.Requests, res.WrongAnswers)
		}
	}
	failing := cases(t, webhook.ValidatePath, "guide-vm")
	failing[0].Path = "/fail"
	if res := run(t, url, pool, failing); res.ServerErrors == 0 || res.Requests != 0 {
		t.Errorf("500s: %d right, %d server errors", res.Requests, res.ServerErrors)
	}
}

// A wrong rule cannot become its own expectation: FromRules checks the
// examples' "# expect:" lines.
func TestFromRulesChecksExamples(t *testing.T) {
	f, err := LoadExample(filepath.Join("..", ".."), "bare-vm")
	if err != nil {
		t.Fatal(err)
	}
	f.Expect = []string{"patch /spec/template/spec/networks"}
	if _, err := FromRules(dualStack(), webhook.MutatePath, f); err == nil {
		t.Error("a patch differing from the example's expectation was accepted")
	}
}

// dualStack is the default config on a cluster whose pod network has IPv6,
// as the harness's servers run (framework.PodIPs).
func dualStack() config.Config {
	c := config.Default()
	c.IPv6.PodNetworkIPv6 = true
	return c
}
