package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/certs"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
)

func (ts *testServer) addr() string { return strings.TrimPrefix(ts.url, "https://") }

func (ts *testServer) dialTLS(cfg *tls.Config) (*tls.Conn, error) {
	if cfg.RootCAs == nil {
		cfg.RootCAs = pool(ts.ca)
	}
	return tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ts.addr(), cfg)
}

func TestTLSVersions(t *testing.T) {
	ts := startServer(t, nil)
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		conn, err := ts.dialTLS(&tls.Config{MinVersion: v, MaxVersion: v})
		if err == nil {
			conn.Close()
			t.Errorf("TLS %s accepted, want refused", tls.VersionName(v))
			continue
		}
		// The server's alert, not a client that refused to try.
		if !strings.Contains(err.Error(), "remote error: tls: protocol version not supported") {
			t.Errorf("TLS %s: %v, want the server's protocol version alert", tls.VersionName(v), err)
		}
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		conn, err := ts.dialTLS(&tls.Config{MinVersion: v, MaxVersion: v})
		if err != nil {
			t.Errorf("TLS %s refused: %v", tls.VersionName(v), err)
			continue
		}
		conn.Close()
	}

	ts13 := startServer(t, func(o *Options) { o.TLSMinVersion = tls.VersionTLS13 })
	if conn, err := ts13.dialTLS(&tls.Config{MaxVersion: tls.VersionTLS12}); err == nil {
		conn.Close()
		t.Error("TLS 1.2 accepted with a 1.3 minimum")
	}
}

func TestHTTP2(t *testing.T) {
	offer := &tls.Config{NextProtos: []string{"h2", "http/1.1"}}
	off := startServer(t, nil)
	conn, err := off.dialTLS(offer.Clone())
	if err != nil {
		t.Fatal(err)
	}
	if p := conn.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
		t.Errorf("default: negotiated %q, want http/1.1", p)
	}
	conn.Close()

	on := startServer(t, func(o *Options) { o.EnableHTTP2 = true })
	conn, err = on.dialTLS(offer.Clone())
	if err != nil {
		t.Fatal(err)
	}
	if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
		t.Errorf("enabled: negotiated %q, want h2", p)
	}
	conn.Close()
	// An HTTP/2 client gets real answers.
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(on.ca)}, ForceAttemptHTTP2: true}}
	resp, err := c.Post(on.url+ValidatePath, "application/json", bytes.NewReader(review("u-h2", "vm", admissionv1.Create)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != 200 {
		t.Errorf("proto %s status %d, want HTTP/2 200", resp.Proto, resp.StatusCode)
	}
}

func servedSerial(t *testing.T, ts *testServer) string {
	t.Helper()
	conn, err := tls.Dial("tcp", ts.addr(), &tls.Config{InsecureSkipVerify: true}) // the point is to see what is served
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
}

func TestCertificateReload(t *testing.T) {
	ts := startServer(t, nil)
	before := servedSerial(t, ts)

	ca, err := certs.NewCA("second CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pair, err := ca.Serving(nil, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pair.CertPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	want := cert.SerialNumber.String()
	if want == before {
		t.Fatal("new certificate has the old serial")
	}
	if err := certs.WritePair(ts.dir, ca.CertPEM, pair); err != nil {
		t.Fatal(err)
	}
	// controller-runtime's watcher reacts to file events, and polls every 10s.
	deadline := time.Now().Add(30 * time.Second)
	for servedSerial(t, ts) != want {
		if time.Now().After(deadline) {
			t.Fatal("new certificate not served after 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Clients that trust the new CA get answers, without a restart.
	ts.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(ca)}}}
	if r := ts.admit(t, ValidatePath, review("u-r", "vm", admissionv1.Create)).Response; !r.Allowed {
		t.Fatalf("after reload: %+v", r)
	}
}

func TestClientCA(t *testing.T) {
	clientCA, err := certs.NewCA("API server client CA", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	caFile := t.TempDir() + "/client-ca.crt"
	if err := writeFile(caFile, clientCA.CertPEM); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, func(o *Options) { o.ClientCAFile = caFile })
	body := review("u-ca", "vm", admissionv1.Create)

	// Without a client certificate: refused.
	if resp, err := ts.client.Post(ts.url+ValidatePath, "application/json", bytes.NewReader(body)); err == nil {
		resp.Body.Close()
		t.Fatalf("without a client certificate: status %d, want a TLS error", resp.StatusCode)
	}

	// With a certificate from another CA: refused.
	otherCA, _ := certs.NewCA("other", time.Now())
	other, _ := otherCA.Client("intruder", time.Now())
	if _, err := clientWith(ts, other).Post(ts.url+ValidatePath, "application/json", bytes.NewReader(body)); err == nil {
		t.Fatal("a certificate from another CA was accepted")
	}

	// With one signed by the client CA: answered.
	good, err := clientCA.Client("kube-apiserver", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ts.client = clientWith(ts, good)
	if r := ts.admit(t, ValidatePath, body).Response; !r.Allowed || r.UID != "u-ca" {
		t.Fatalf("with a client certificate: %+v", r)
	}

	if _, err := NewServer(Options{Port: 1, MaxBodyBytes: 1, ClientCAFile: t.TempDir() + "/missing", Mutate: fakeMutate, Validate: fakeValidate}); err == nil || !strings.Contains(err.Error(), "client CA") {
		t.Errorf("missing client CA file: err %v", err)
	}
}

func clientWith(ts *testServer, p certs.Pair) *http.Client {
	cert, err := tls.X509KeyPair(p.CertPEM, p.KeyPEM)
	if err != nil {
		panic(err)
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(ts.ca), Certificates: []tls.Certificate{cert}}}}
}

// A panic in a rule is answered HTTP 500 with a one-line body naming the
// uid, so that the API server applies the webhook's failurePolicy; the uid
// and the stack are logged, both counters move, and serving continues.
func TestRulePanicIsAnswered500AndServingContinues(t *testing.T) {
	boom := func(next RuleFunc) RuleFunc {
		return func(c config.Config, r rules.Request) rules.Result {
			if bytes.Contains(r.Object, []byte("boom")) {
				var m map[string]int
				m["boom"]++ // a nil map write: a real runtime panic
			}
			return next(c, r)
		}
	}
	ts := startServer(t, func(o *Options) {
		o.Mutate = boom(fakeMutate)
		o.Validate = boom(fakeValidate)
	})
	for _, c := range []struct{ path, name string }{{MutatePath, "mutate"}, {ValidatePath, "validate"}} {
		before := metricValue(t, ts, `vmnet_webhook_internal_errors_total{webhook="`+c.name+`"}`)
		panicsBefore := metricValue(t, ts, `vmnet_webhook_rule_panics_total{webhook="`+c.name+`"}`)
		uid := "uid-panic-" + c.name
		status, body := ts.post(t, c.path, "application/json", review(uid, "boom", admissionv1.Create))
		want := "internal error in vmnet-webhook while evaluating request " + uid + "; the webhook's log has the details\n"
		if status != http.StatusInternalServerError || string(body) != want {
			t.Fatalf("%s: status %d body %q, want 500 %q", c.path, status, body, want)
		}
		var line string
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "rule panicked") && strings.Contains(l, `"uid":"`+uid+`"`) {
				line = l
			}
		}
		if line == "" || !strings.Contains(line, "assignment to entry in nil map") || !strings.Contains(line, "goroutine ") {
			t.Errorf("%s: no log line with the uid, the panic and the stack; log:\n%s", c.path, logs.String())
		}
		if got := metricValue(t, ts, `vmnet_webhook_internal_errors_total{webhook="`+c.name+`"}`); got != before+1 {
			t.Errorf("%s: internal errors counter %v, want %v", c.path, got, before+1)
		}
		if got := metricValue(t, ts, `vmnet_webhook_rule_panics_total{webhook="`+c.name+`"}`); got != panicsBefore+1 {
			t.Errorf("%s: panics counter %v, want %v", c.path, got, panicsBefore+1)
		}
		if r := ts.admit(t, c.path, review("u-after-"+c.name, "vm", admissionv1.Create)).Response; !r.Allowed || string(r.UID) != "u-after-"+c.name {
			t.Fatalf("%s after the panic: %+v", c.path, r)
		}
	}
}

func TestRequestLogLine(t *testing.T) {
	ts := startServer(t, nil)
	ts.admit(t, ValidatePath, review("uid-log-1", "deny-log", admissionv1.Create))
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `"uid":"uid-log-1"`) && strings.Contains(l, `"msg":"admission"`) {
			for _, want := range []string{`"webhook":"validate"`, `"kind":"VirtualMachine"`, `"namespace":"default"`, `"name":"deny-log"`,
				`"operation":"CREATE"`, `"decision":"denied"`, `"rules":["fake-deny"]`, `"latency":"`} {
				if !strings.Contains(l, want) {
					t.Errorf("log line lacks %s: %s", want, l)
				}
			}
			if strings.Contains(l, "spec") {
				t.Errorf("log line shows object contents: %s", l)
			}
			return
		}
	}
	t.Fatalf("no admission log line for uid-log-1:\n%s", logs.String())
}

func TestMetrics(t *testing.T) {
	ts := startServer(t, nil)
	ts.admit(t, MutatePath, review("u-m1", "vm", admissionv1.Create))
	ts.admit(t, ValidatePath, review("u-m2", "deny-m", admissionv1.Create))
	ts.admit(t, ValidatePath, review("u-m3", "warn-m", admissionv1.Create))
	ts.post(t, ValidatePath, "text/plain", nil)

	resp, err := http.Get("http://" + ts.srv.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(b)
	for _, want := range []string{
		`controller_runtime_webhook_requests_total{code="200",webhook="/validate"}`,
		`controller_runtime_webhook_requests_total{code="415",webhook="/validate"}`,
		`controller_runtime_webhook_latency_seconds_bucket{webhook="/mutate"`,
		`controller_runtime_webhook_requests_in_flight{webhook="/validate"}`,
		`vmnet_webhook_decisions_total{decision="patched",kind="VirtualMachine",operation="CREATE",webhook="mutate"}`,
		`vmnet_webhook_decisions_total{decision="denied",kind="VirtualMachine",operation="CREATE",webhook="validate"}`,
		`vmnet_webhook_rule_fired_total{kind="VirtualMachine",rule="fake-deny",webhook="validate"}`,
		`vmnet_webhook_patch_operations_total{kind="VirtualMachine"}`,
		`vmnet_webhook_warnings_total{kind="VirtualMachine",webhook="validate"}`,
		`vmnet_webhook_bad_requests_total{reason="content_type",webhook="validate"}`,
		`go_goroutines `,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// On shutdown readiness goes false first, the request in flight completes,
// and Run returns nil.
func TestShutdownSequence(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	ts := startServer(t, func(o *Options) {
		o.ShutdownDelay = 300 * time.Millisecond
		o.Validate = func(c config.Config, r rules.Request) rules.Result {
			if bytes.Contains(r.Object, []byte("slow")) {
				once.Do(func() { close(entered) })
				<-release
			}
			return fakeValidate(c, r)
		}
	})
	health := "http://" + ts.srv.HealthAddr()

	type answer struct {
		status int
		body   []byte
	}
	inflight := make(chan answer, 1)
	go func() {
		resp, err := ts.client.Post(ts.url+ValidatePath, "application/json", bytes.NewReader(review("u-slow", "slow", admissionv1.Create)))
		if err != nil {
			inflight <- answer{0, []byte(err.Error())}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		inflight <- answer{resp.StatusCode, b}
	}()
	<-entered
	ts.cancel()

	// Readiness goes false while the request is still in flight.
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(health + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("readiness still true 5s after shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-ts.done:
		t.Fatalf("Run returned (%v) with a request in flight", err)
	case <-time.After(ts.srv.opts.ShutdownDelay + 200*time.Millisecond):
	}
	// The listener has closed; the in-flight request still completes.
	close(release)
	a := <-inflight
	if a.status != 200 || !bytes.Contains(a.body, []byte(`"uid":"u-slow"`)) {
		t.Fatalf("in-flight request: status %d body %s", a.status, a.body)
	}
	select {
	case err := <-ts.done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		ts.done <- nil // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after the last request")
	}
	if _, err := net.DialTimeout("tcp", ts.addr(), time.Second); err == nil {
		t.Error("webhook port still accepts connections after shutdown")
	}
}

func TestNewServerRejectsBadOptions(t *testing.T) {
	base := Options{Port: 9443, MaxBodyBytes: DefaultMaxBodyBytes, HealthAddr: "127.0.0.1:0", MetricsAddr: "0", Mutate: fakeMutate, Validate: fakeValidate}
	for name, edit := range map[string]func(*Options){
		"no rules":          func(o *Options) { o.Mutate = nil },
		"body limit zero":   func(o *Options) { o.MaxBodyBytes = 0 },
		"body limit huge":   func(o *Options) { o.MaxBodyBytes = 1 << 40 },
		"port out of range": func(o *Options) { o.Port = 70000 },
		"TLS 1.1":           func(o *Options) { o.TLSMinVersion = tls.VersionTLS11 },
		"bad health addr":   func(o *Options) { o.HealthAddr = "nonsense:port" },
	} {
		o := base
		edit(&o)
		if s, err := NewServer(o); err == nil {
			s.health.Close()
			t.Errorf("%s: accepted", name)
		}
	}
	// A webhook server that cannot start (no certificates) makes Run fail.
	o := base
	o.CertDir = t.TempDir()
	s, err := NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "serving certificate: open ") || !strings.Contains(err.Error(), "tls.crt: no such file") {
		t.Fatalf("Run without certificates: %v", err)
	}
}

// A client that sends headers and part of a body, then stalls, is cut off
// after the body timeout; the server keeps answering others meanwhile.
func TestStalledBodyIsCutOff(t *testing.T) {
	ts := startServer(t, func(o *Options) { o.BodyTimeout = 300 * time.Millisecond })
	conn, err := ts.dialTLS(&tls.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"apiVersion\":"); err != nil {
		t.Fatal(err)
	}
	if r := ts.admit(t, ValidatePath, review("u-meanwhile", "vm", admissionv1.Create)).Response; !r.Allowed {
		t.Fatalf("meanwhile: %+v", r)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	got, _ := io.ReadAll(conn) // until the server closes the connection
	if elapsed := time.Since(start); elapsed > 4*time.Second {
		t.Fatalf("connection held for %s", elapsed)
	}
	if !strings.HasPrefix(string(got), "HTTP/1.1 400 ") || !strings.Contains(string(got), "reading the request body") {
		t.Fatalf("answer %q, want a 400 about reading the body", got)
	}
}
