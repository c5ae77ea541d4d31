package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	ctrlzap "sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/certs"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
)

// logs collects every log line of the tests, so that tests can look for
// what the server logged.
var logs = &syncBuffer{}

func TestMain(m *testing.M) {
	ctrllog.SetLogger(ctrlzap.New(ctrlzap.WriteTo(logs), ctrlzap.UseDevMode(false)))
	os.Exit(m.Run())
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fakeMutate adds an annotation to every object: one targeted op.
func fakeMutate(_ config.Config, req rules.Request) rules.Result {
	if req.Operation != admissionv1.Create {
		return rules.Result{}
	}
	return rules.Result{
		Patch: []jsonpatch.Operation{{Operation: "add", Path: "/metadata/annotations", Value: map[string]string{"fake": "mutated"}}},
		Fired: []string{"fake-mutate"},
	}
}

// fakeValidate denies objects that are not JSON objects or whose name
// starts with "deny", and warns on names starting with "warn".
func fakeValidate(_ config.Config, req rules.Request) rules.Result {
	var obj struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(req.Object, &obj); err != nil {
		return rules.Result{Errors: field.ErrorList{field.Invalid(field.NewPath("object"), "", "does not decode")}, Fired: []string{"decode"}}
	}
	var res rules.Result
	switch n := obj.Metadata.Name; {
	case len(n) >= 4 && n[:4] == "deny":
		p := field.NewPath("spec", "ports")
		res.Errors = field.ErrorList{
			field.Forbidden(p.Index(0).Child("port"), "port 49152 is reserved"),
			field.Forbidden(p.Index(1).Child("port"), "port 49153 is reserved"),
		}
		res.Fired = []string{"fake-deny"}
	case len(n) >= 4 && n[:4] == "warn":
		res.Warnings = []string{"spec.x: fake warning"}
		res.Fired = []string{"fake-warn"}
	}
	return res
}

type testServer struct {
	srv    *Server
	url    string
	client *http.Client
	ca     *certs.CA
	dir    string
	cancel context.CancelFunc
	done   chan error
}

// startServer runs the real server stack on loopback with fresh certificates.
func startServer(t *testing.T, edit func(*Options)) *testServer {
	t.Helper()
	ca, err := certs.NewCA("test CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Serving(nil, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := certs.WritePair(dir, ca.CertPEM, pair); err != nil {
		t.Fatal(err)
	}
	opts := Options{
		Host:         "127.0.0.1",
		Port:         freePort(t),
		CertDir:      dir,
		HealthAddr:   "127.0.0.1:0",
		MetricsAddr:  "127.0.0.1:0",
		MaxBodyBytes: DefaultMaxBodyBytes,
		Config:       dualStack(),
		Mutate:       fakeMutate,
		Validate:     fakeValidate,
		Log:          ctrllog.Log.WithName("test"),
	}
	if edit != nil {
		edit(&opts)
	}
	srv, err := NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{
		srv:    srv,
		url:    "https://" + net.JoinHostPort(opts.Host, strconv.Itoa(opts.Port)),
		client: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(ca)}}, Timeout: 10 * time.Second},
		ca:     ca,
		dir:    dir,
		cancel: cancel,
		done:   make(chan error, 1),
	}
	go func() { ts.done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-ts.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(70 * time.Second):
			t.Error("server did not stop")
		}
	})
	ts.waitReady(t)
	return ts
}

func (ts *testServer) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + ts.srv.HealthAddr() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("server not ready after 10s")
}

func pool(ca *certs.CA) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// review builds an AdmissionReview for a VirtualMachine named name.
func review(uid, name string, op admissionv1.Operation) []byte {
	return []byte(fmt.Sprintf(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
"uid":%q,"kind":{"group":"kubevirt.io","version":"v1","kind":"VirtualMachine"},
"resource":{"group":"kubevirt.io","version":"v1","resource":"virtualmachines"},
"name":%q,"namespace":"default","operation":%q,"userInfo":{"username":"alice"},
"object":{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":%q,"namespace":"default"},"spec":{}}}}`,
		uid, name, op, name))
}

// post sends body to path and returns the status and body.
func (ts *testServer) post(t *testing.T, path, contentType string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := ts.client.Post(ts.url+path, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// admit posts a review and decodes the answer, which must be a 200.
func (ts *testServer) admit(t *testing.T, path string, body []byte) *admissionv1.AdmissionReview {
	t.Helper()
	status, b := ts.post(t, path, "application/json", body)
	if status != http.StatusOK {
		t.Fatalf("status %d, body %s", status, b)
	}
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("answer is not an AdmissionReview: %v: %s", err, b)
	}
	if out.APIVersion != "admission.k8s.io/v1" || out.Kind != "AdmissionReview" || out.Response == nil {
		t.Fatalf("answer lacks apiVersion, kind or response: %s", b)
	}
	return &out
}

func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o600) }

// metricValue reads one sample (name with its labels, as /metrics prints
// them) from the metrics endpoint; 0 when it is not there yet.
func metricValue(t *testing.T, ts *testServer, sample string) float64 {
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
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("metric %s: %v", line, err)
			}
			return f
		}
	}
	return 0
}

// dualStack is the default config on a cluster whose pod network has IPv6,
// where the mutation does the most.
func dualStack() config.Config {
	c := config.Default()
	c.IPv6.PodNetworkIPv6 = true
	return c
}
