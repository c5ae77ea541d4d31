package webhook

// Faults while requests flow: certificate rotation, shutdown, stuck and slow
// clients, panics. Each test drives the real server over HTTPS on loopback
// with a bounded loop of requests and checks every answer.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/certs"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
)

// loadMaxPerWorker bounds every load loop, whatever the machine's speed.
const loadMaxPerWorker = 20000

// loadStats counts the answers of a load loop.
type loadStats struct {
	mu     sync.Mutex
	ok     int
	failed []string
	// serials counts answers by the serial of the certificate that served
	// them.
	serials map[string]int
}

func (s *loadStats) record(serial string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if len(s.failed) < 20 {
			s.failed = append(s.failed, err.Error())
		} else {
			s.failed = append(s.failed, "")
		}
		return
	}
	s.ok++
	if s.serials == nil {
		s.serials = map[string]int{}
	}
	s.serials[serial]++
}

// admitOnce sends one review and checks that the answer is a 200
// AdmissionReview for that uid with the expected verdict. It returns the
// serial of the certificate the server presented.
func admitOnce(c *http.Client, url, uid, name string, wantAllowed bool) (string, error) {
	serial, _, err := admitConn(c, url, uid, name, wantAllowed)
	return serial, err
}

// admitConn is admitOnce that also says whether the server closed the
// connection after answering.
func admitConn(c *http.Client, url, uid, name string, wantAllowed bool) (serial string, closed bool, err error) {
	resp, err := c.Post(url, "application/json", bytes.NewReader(review(uid, name, admissionv1.Create)))
	if err != nil {
		return "", false, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", false, fmt.Errorf("%s: reading the answer: %w", uid, err)
	}
	var out admissionv1.AdmissionReview
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &out) != nil || out.Response == nil ||
		string(out.Response.UID) != uid || out.Response.Allowed != wantAllowed {
		return "", false, fmt.Errorf("%s: status %d body %.200s", uid, resp.StatusCode, b)
	}
	return resp.TLS.PeerCertificates[0].SerialNumber.String(), resp.Close, nil
}

// runLoad starts workers that send reviews back to back until stop is
// closed (or each has sent loadMaxPerWorker). Half the workers keep their
// connections alive, the others open a connection (and a TLS handshake)
// per request. It returns a function that waits for them.
func runLoad(ts *testServer, roots *x509.CertPool, workers int, stop <-chan struct{}, stats *loadStats) func() {
	var wg sync.WaitGroup
	for w := range workers {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, DisableKeepAlives: w%2 == 1}
		c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		wg.Go(func() {
			defer tr.CloseIdleConnections()
			for i := range loadMaxPerWorker {
				select {
				case <-stop:
					return
				default:
				}
				// Every third request is denied, the others are allowed.
				name, allowed := "vm", true
				if i%3 == 0 {
					name, allowed = "deny-me", false
				}
				serial, err := admitOnce(c, ts.url+ValidatePath, fmt.Sprintf("w%d-%d", w, i), name, allowed)
				stats.record(serial, err)
			}
		})
	}
	return wg.Wait
}

func serialOf(t *testing.T, certPEM []byte) string {
	t.Helper()
	block, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert.SerialNumber.String()
}

// projectSecretVolume lays dir out as the kubelet lays out a Secret volume:
// tls.crt and tls.key are symlinks through ..data to a timestamped
// directory, and an update swaps ..data in one rename.
func projectSecretVolume(t *testing.T, dir string, pair certs.Pair, generation int) {
	t.Helper()
	ts := fmt.Sprintf("..gen_%d", generation)
	if err := os.Mkdir(filepath.Join(dir, ts), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{certs.CertFile: pair.CertPEM, certs.KeyFile: pair.KeyPEM} {
		if err := os.WriteFile(filepath.Join(dir, ts, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old, _ := os.Readlink(filepath.Join(dir, "..data"))
	if err := os.Symlink(ts, filepath.Join(dir, "..data_tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{certs.CertFile, certs.KeyFile} {
		link := filepath.Join(dir, name)
		if _, err := os.Lstat(link); errors.Is(err, os.ErrNotExist) {
			if err := os.Symlink(filepath.Join("..data", name), link); err != nil {
				t.Fatal(err)
			}
		}
	}
	if old != "" {
		if err := os.RemoveAll(filepath.Join(dir, old)); err != nil {
			t.Fatal(err)
		}
	}
}

// Rotation as cert-manager and the kubelet do it (a new leaf from the same
// CA, the Secret volume's ..data swapped), and as a plain file replacement
// (key then certificate, each renamed into place), while requests flow:
// no request fails, and the new certificate is served within seconds.
func TestCertificateRotationUnderLoad(t *testing.T) {
	for _, layout := range []string{"secret-volume", "files"} {
		t.Run(layout, func(t *testing.T) {
			var first certs.Pair
			ts := startServer(t, func(o *Options) {
				if layout != "secret-volume" {
					return
				}
				// Start from the pair startServer wrote, in the
				// kubelet's layout.
				crt, err1 := os.ReadFile(filepath.Join(o.CertDir, certs.CertFile))
				key, err2 := os.ReadFile(filepath.Join(o.CertDir, certs.KeyFile))
				if err := errors.Join(err1, err2); err != nil {
					t.Fatal(err)
				}
				first = certs.Pair{CertPEM: crt, KeyPEM: key}
				o.CertDir = t.TempDir()
				projectSecretVolume(t, o.CertDir, first, 1)
			})
			next, err := ts.ca.Serving(nil, nil, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			oldSerial, newSerial := servedSerial(t, ts), serialOf(t, next.CertPEM)

			stats := &loadStats{}
			stop := make(chan struct{})
			wait := runLoad(ts, pool(ts.ca), 4, stop, stats)
			time.Sleep(300 * time.Millisecond)

			rotated := time.Now()
			if layout == "secret-volume" {
				projectSecretVolume(t, ts.srv.opts.CertDir, next, 2)
			} else if err := certs.WritePair(ts.dir, ts.ca.CertPEM, next); err != nil {
				t.Fatal(err)
			}
			// controller-runtime's watcher reloads on file events and
			// polls every 10 s; allow one missed event.
			for servedSerial(t, ts) != newSerial {
				if time.Since(rotated) > 15*time.Second {
					close(stop)
					wait()
					t.Fatalf("new certificate not served %s after the rotation", time.Since(rotated))
				}
				time.Sleep(20 * time.Millisecond)
			}
			took := time.Since(rotated)
			time.Sleep(300 * time.Millisecond) // requests on the new certificate
			close(stop)
			wait()

			t.Logf("new certificate served after %s; %d requests answered: %d with the old certificate, %d with the new",
				took.Round(time.Millisecond), stats.ok, stats.serials[oldSerial], stats.serials[newSerial])
			if len(stats.failed) > 0 {
				t.Fatalf("%d requests failed, first: %q", len(stats.failed), stats.failed[:min(3, len(stats.failed))])
			}
			if stats.serials[oldSerial] == 0 || stats.serials[newSerial] == 0 {
				t.Fatalf("requests were not served by both certificates: %v", stats.serials)
			}
		})
	}
}

// Shutdown while requests flow, some of them slow. The clients behave as
// the API server does: once readiness is false (and, here, 100 ms later,
// standing for the endpoint update) they open no new connection to this
// replica, but go on sending on the connections they hold until the server
// closes them (the server answers with Connection: close while draining,
// so that none is still pooled when it stops). Readiness goes false before the listener closes, every request
// sent is answered in full (no reset, no EOF), slow requests in flight
// complete, and Run returns nil (serve exits 0).
//
// Clients that go on opening connections after the shutdown delay are not
// modelled: connections waiting in the listen backlog when the listener
// closes are reset by the kernel, and TLS handshakes in progress are cut
// (controller-runtime's server cancels its base context): the shutdown
// delay is there so that no client is still connecting by then.
func TestShutdownUnderLoad(t *testing.T) {
	ts := startServer(t, func(o *Options) {
		o.ShutdownDelay = 500 * time.Millisecond
		o.Validate = func(c config.Config, r rules.Request) rules.Result {
			if bytes.Contains(r.Object, []byte("slow")) {
				time.Sleep(300 * time.Millisecond)
			}
			return fakeValidate(c, r)
		}
	})
	health := "http://" + ts.srv.HealthAddr() + "/readyz"
	const endpointLag = 100 * time.Millisecond

	var (
		notReadyAt atomic.Int64 // unix nanos of the first 503 from /readyz
		answered   atomic.Int64
		slowDone   atomic.Int64
		mu         sync.Mutex
		failures   []string
	)
	routed := func() bool {
		n := notReadyAt.Load()
		return n == 0 || time.Since(time.Unix(0, n)) < endpointLag
	}
	stopPolling := make(chan struct{})
	defer close(stopPolling)
	go func() {
		for {
			select {
			case <-stopPolling:
				return
			default:
			}
			if resp, err := http.Get(health); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusServiceUnavailable {
					notReadyAt.CompareAndSwap(0, time.Now().UnixNano())
				}
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
	var wg sync.WaitGroup
	for w := range 6 {
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(ts.ca)}, DisableKeepAlives: w%3 == 2}
		c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		wg.Go(func() {
			defer tr.CloseIdleConnections()
			pooled := false // holds a kept-alive connection to this replica
			for i := 0; i < loadMaxPerWorker && (pooled || routed()); i++ {
				name := "vm"
				if w == 0 {
					name = "slow" // long requests in flight when shutdown begins
				}
				_, closed, err := admitConn(c, ts.url+ValidatePath, fmt.Sprintf("w%d-%d", w, i), name, true)
				if err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					pooled = false
					continue
				}
				pooled = !tr.DisableKeepAlives && !closed
				answered.Add(1)
				if w == 0 {
					slowDone.Add(1)
				}
			}
		})
	}

	time.Sleep(400 * time.Millisecond)
	before := answered.Load()
	slowBefore := slowDone.Load()
	ts.cancel()
	var runErr error
	select {
	case runErr = <-ts.done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return 30s after shutdown began")
	}
	ts.done <- nil // for the cleanup
	wg.Wait()

	if runErr != nil {
		t.Fatalf("Run: %v", runErr)
	}
	t.Logf("%d answered, %d of them after shutdown began (%d slow)", answered.Load(), answered.Load()-before, slowDone.Load()-slowBefore)
	if len(failures) > 0 {
		t.Fatalf("%d requests failed, first: %q", len(failures), failures[:min(3, len(failures))])
	}
	if notReadyAt.Load() == 0 {
		t.Fatal("readiness never went false")
	}
	if answered.Load() <= before || slowDone.Load() <= slowBefore {
		t.Fatalf("no requests answered after shutdown began (%d before, %d in all, %d slow)", before, answered.Load(), slowDone.Load())
	}
	// And now the port is closed: a new request is refused, not hung.
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(ts.ca)}}, Timeout: 5 * time.Second}
	if _, err := admitOnce(c, ts.url+ValidatePath, "after", "vm", true); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("after shutdown: %v, want connection refused", err)
	}
}

// Clients that hold connections without sending anything (no TLS
// handshake), that complete the handshake and then send nothing, or that
// send headers a byte at a time, do not keep a good client from being
// answered. controller-runtime's server bounds headers (and handshakes) at
// 32 s, a value it hard-codes; these bad clients are still hanging when the
// good ones are answered.
func TestStuckClientsDoNotBlockOthers(t *testing.T) {
	ts := startServer(t, nil)
	const (
		silentTCP = 200 // connections that never start TLS
		silentTLS = 50  // handshake done, no request
		slowloris = 50  // headers dribbled a byte at a time
	)
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range silentTCP {
		c, err := net.DialTimeout("tcp", ts.addr(), 5*time.Second)
		if err != nil {
			t.Fatalf("silent connection: %v", err)
		}
		conns = append(conns, c)
	}
	for range silentTLS {
		c, err := ts.dialTLS(&tls.Config{})
		if err != nil {
			t.Fatalf("silent TLS connection: %v", err)
		}
		conns = append(conns, c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var dribbling sync.WaitGroup
	for range slowloris {
		c, err := ts.dialTLS(&tls.Config{})
		if err != nil {
			t.Fatalf("slow client: %v", err)
		}
		conns = append(conns, c)
		dribbling.Go(func() {
			req := "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Pad: " + strings.Repeat("a", 1000)
			for i := range len(req) {
				if _, err := c.Write([]byte{req[i]}); err != nil {
					return
				}
				select {
				case <-ctx.Done():
					return
				case <-time.After(50 * time.Millisecond):
				}
			}
		})
	}

	// Good clients, each on a fresh connection, are answered; the bad
	// connections are all still open (the server has not cut them off, so
	// they are really occupying it).
	for i := range 20 {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(ts.ca)}, DisableKeepAlives: true}, Timeout: 5 * time.Second}
		if _, err := admitOnce(c, ts.url+ValidatePath, fmt.Sprintf("good-%d", i), "vm", true); err != nil {
			t.Fatalf("good client %d with %d stuck connections open: %v", i, len(conns), err)
		}
	}
	for i, c := range conns[:silentTCP+silentTLS] {
		_ = c.SetReadDeadline(time.Now().Add(time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("stuck connection %d: %v, want it still open", i, err)
		}
	}
	cancel()
	dribbling.Wait()
}

// A body dribbled a byte at a time, never finished, is cut off at the body
// timeout: the deadline is for the whole body, so trickling does not
// extend it.
func TestDribbledBodyIsCutOffAtTheDeadline(t *testing.T) {
	ts := startServer(t, func(o *Options) { o.BodyTimeout = 500 * time.Millisecond })
	conn, err := ts.dialTLS(&tls.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var answer bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _ = io.Copy(&answer, conn)
	}()
	for {
		select {
		case <-readDone:
		case <-time.After(20 * time.Millisecond):
			if _, err := conn.Write([]byte(" ")); err == nil && time.Since(start) < 10*time.Second {
				continue
			}
		}
		break
	}
	<-readDone
	took := time.Since(start)
	if !strings.HasPrefix(answer.String(), "HTTP/1.1 400 ") || !strings.Contains(answer.String(), "reading the request body") {
		t.Fatalf("answer %q, want a 400 about reading the body", answer.String())
	}
	// Far below the 10 s the client would have gone on for.
	if took > 5*time.Second {
		t.Fatalf("a dribbling body held the connection %s with a 500ms body timeout", took)
	}
}

// Panicking requests mixed into a flow of good ones: each panic is a 500
// naming its uid, every other request gets its right answer.
func TestPanicsUnderLoad(t *testing.T) {
	ts := startServer(t, func(o *Options) {
		o.Validate = func(c config.Config, r rules.Request) rules.Result {
			if bytes.Contains(r.Object, []byte("boom")) {
				panic("injected")
			}
			return fakeValidate(c, r)
		}
	})
	var wg sync.WaitGroup
	var panicked, good atomic.Int64
	errs := make(chan error, 8)
	for w := range 4 {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(ts.ca)}}, Timeout: 10 * time.Second}
		wg.Go(func() {
			for i := range 100 {
				uid := fmt.Sprintf("w%d-%d", w, i)
				if i%4 != 0 {
					if _, err := admitOnce(c, ts.url+ValidatePath, uid, "vm", true); err != nil {
						errs <- err
						return
					}
					good.Add(1)
					continue
				}
				resp, err := c.Post(ts.url+ValidatePath, "application/json", bytes.NewReader(review(uid, "boom", admissionv1.Create)))
				if err != nil {
					errs <- err
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 500 || !strings.Contains(string(b), "request "+uid+";") {
					errs <- fmt.Errorf("%s: status %d body %q", uid, resp.StatusCode, b)
					return
				}
				panicked.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if panicked.Load() != 100 || good.Load() != 300 {
		t.Fatalf("%d panics answered 500 (want 100), %d good answers (want 300)", panicked.Load(), good.Load())
	}
}
