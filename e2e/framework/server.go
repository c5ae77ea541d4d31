package framework

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// StartServer runs bin (bin/vmnet-webhook, or a program taking the same
// serve flags, such as the benchmarks' floor) on free loopback ports without
// a control plane, with certificates from `bin/vmnet-webhook certs` in a new
// directory under dir, and waits until /readyz answers. The caller Stops it.
// Benchmarks and soak tests use it; StartWebhook is the usual way in tests.
func StartServer(ctx context.Context, dir, bin string, extraArgs ...string) (*Webhook, error) {
	bins, err := BinDir()
	if err != nil {
		return nil, err
	}
	return startServer(ctx, dir, filepath.Base(bin), bin, filepath.Join(bins, "vmnet-webhook"), extraArgs)
}

// startServer writes certificates with `certsBin certs` into a new directory
// name-* under dir, runs `bin serve` there on free loopback ports, logging
// to name.log, and waits until /readyz answers; on failure it stops bin.
func startServer(ctx context.Context, dir, name, bin, certsBin string, extraArgs []string) (*Webhook, error) {
	for _, b := range []string{bin, certsBin} {
		if !exists(b) {
			return nil, missingBinary(b)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp(dir, name+"-")
	if err != nil {
		return nil, err
	}
	certs := exec.CommandContext(ctx, certsBin, "certs", "--dir", dir, "--ip", "127.0.0.1")
	if out, err := certs.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("vmnet-webhook certs: %v\n%s", err, out)
	}
	for _, f := range []string{"ca.crt", "tls.crt", "tls.key"} {
		if !exists(filepath.Join(dir, f)) {
			return nil, fmt.Errorf("vmnet-webhook certs did not write %s in %s", f, dir)
		}
	}
	ports, err := FreePorts(3)
	if err != nil {
		return nil, err
	}
	w := &Webhook{
		Port:        ports[0],
		CertDir:     dir,
		HealthAddr:  "127.0.0.1:" + strconv.Itoa(ports[1]),
		MetricsAddr: "127.0.0.1:" + strconv.Itoa(ports[2]),
		Log:         filepath.Join(dir, name+".log"),
	}
	args := append([]string{"serve",
		// Loopback only, like everything the harness starts.
		"--bind-address", "127.0.0.1",
		"--port", strconv.Itoa(w.Port),
		"--cert-dir", dir,
		"--health-addr", w.HealthAddr,
		"--metrics-addr", w.MetricsAddr,
	}, extraArgs...)
	if w.proc, err = startProcess(name, bin, args, w.Log); err != nil {
		return nil, err
	}
	// /readyz is plain HTTP on the health address.
	if err := waitHTTP(ctx, w.proc, plainHTTP, "http://"+w.HealthAddr+"/readyz", w.Log); err != nil {
		w.Stop()
		return nil, err
	}
	return w, nil
}

// PID is the server's process id (for reading /proc), 0 once it exited.
func (w *Webhook) PID() int {
	if w.proc == nil || w.proc.exited() {
		return 0
	}
	return w.proc.cmd.Process.Pid
}

// URL is the server's HTTPS base address.
func (w *Webhook) URL() string { return "https://127.0.0.1:" + strconv.Itoa(w.Port) }

// CAPool trusts the server's certificate.
func (w *Webhook) CAPool() (*x509.CertPool, error) {
	pem, err := os.ReadFile(filepath.Join(w.CertDir, "ca.crt"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s/ca.crt holds no certificate", w.CertDir)
	}
	return pool, nil
}

// Exited reports whether the server's process has ended, and how.
func (w *Webhook) Exited() (bool, error) {
	if w.proc == nil {
		return true, nil
	}
	if !w.proc.exited() {
		return false, nil
	}
	return true, w.proc.err
}

// Requests reads the server's controller_runtime_webhook_requests_total by
// path ("/mutate", "/validate") from its metrics address.
func (w *Webhook) Requests(ctx context.Context) (map[string]float64, error) {
	return webhookRequests(ctx, "http://"+w.MetricsAddr+"/metrics")
}
