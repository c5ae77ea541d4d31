package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/certs"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// serve as a process: ready, answers, and on SIGTERM readiness goes false
// first, the webhook answers during the shutdown delay, then it exits 0.
func TestServeProcessSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the shutdown delay")
	}
	dir := t.TempDir()
	if err := certs.WriteDir(dir, nil, nil); err != nil {
		t.Fatal(err)
	}
	port, health, metrics := freePort(t), freePort(t), freePort(t)
	cmd := exec.Command(os.Args[0], "serve", "--bind-address", "127.0.0.1", "--port", fmt.Sprint(port), "--cert-dir", dir,
		"--health-addr", fmt.Sprintf("127.0.0.1:%d", health), "--metrics-addr", fmt.Sprintf("127.0.0.1:%d", metrics))
	cmd.Env = append(os.Environ(), "VMNET_WEBHOOK_RUN_MAIN=1")
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})

	readyz := func() int {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", health))
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	deadline := time.Now().Add(20 * time.Second)
	for readyz() != 200 {
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 20s; log:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	caPEM, _ := os.ReadFile(filepath.Join(dir, certs.CAFile))
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(caPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}, Timeout: 5 * time.Second}
	admit := func(uid string) error {
		body := fmt.Sprintf(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":%q,
"kind":{"group":"kubevirt.io","version":"v1","kind":"VirtualMachine"},"operation":"CREATE","name":"vm","namespace":"default",
"object":{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"vm","namespace":"default"},"spec":{"template":{"spec":{}}}}}}`, uid)
		resp, err := client.Post(fmt.Sprintf("https://localhost:%d/validate", port), "application/json", strings.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var out struct {
			Response struct {
				UID string `json:"uid"`
			} `json:"response"`
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || json.Unmarshal(b, &out) != nil || out.Response.UID != uid {
			return fmt.Errorf("status %d body %s", resp.StatusCode, b)
		}
		return nil
	}
	if err := admit("before"); err != nil {
		t.Fatal(err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	for readyz() != http.StatusServiceUnavailable {
		if time.Since(sent) > 2*time.Second {
			t.Fatal("readiness not false 2s after SIGTERM")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Not ready, still answering: endpoints have time to drop it.
	if err := admit("draining"); err != nil {
		t.Fatalf("during the shutdown delay: %v", err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit: %v; log:\n%s", err, logs.String())
		}
	case <-time.After(shutdownDelay + 15*time.Second):
		t.Fatalf("still running %s after SIGTERM", shutdownDelay+15*time.Second)
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit status %d", code)
	}

	// Every log line is JSON; the request lines carry the uid.
	var sawRequest, sawClean bool
	sc := bufio.NewScanner(&logs)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Errorf("log line is not JSON: %s", sc.Text())
			continue
		}
		sawRequest = sawRequest || (line["msg"] == "admission" && line["uid"] == "draining")
		sawClean = sawClean || line["msg"] == "shut down cleanly"
	}
	if !sawRequest || !sawClean {
		t.Errorf("log lacks the request line or the clean shutdown:\n%s", logs.String())
	}
}

func TestServeRefusesBadSettings(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "") // not in a pod, whatever runs the test
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "no-kubeconfig"))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-min-version", "1.1"}, `--tls-min-version: \"1.1\" is neither 1.2 nor 1.3`},
		{[]string{"--log-level", "chatty"}, `--log-level: "chatty" is not one of`},
		{[]string{"--max-body-bytes", "0"}, "max body bytes 0 out of range"},
		{[]string{"--enforcement", "strict"}, `enforcement: \"strict\" is neither`},
		{[]string{"--cert-secret", "vmnet-webhook-tls", "--cert-dns-names", "a.svc"}, `--cert-secret: \"vmnet-webhook-tls\" is not namespace/name`},
		{[]string{"--cert-secret", "ns/a/b", "--cert-dns-names", "a.svc"}, `is not namespace/name`},
		{[]string{"--cert-secret", "ns/tls"}, "--cert-secret needs --cert-dns-names"},
		{[]string{"--cert-secret", "ns/tls", "--cert-dns-names", "a.svc", "--cert-renew-before", "100h", "--cert-validity", "100h"},
			"--cert-renew-before must be positive and shorter than --cert-validity"},
		// Outside a cluster, and with no kubeconfig given, there is no API to manage it with.
		{[]string{"--cert-secret", "ns/tls", "--cert-dns-names", "a.svc"}, "selfcert: unable to load in-cluster configuration"},
		{[]string{"--metrics-auth"}, `--metrics-auth needs metrics: --metrics-addr is \"0\"`},
		// Authenticated metrics ask the API server; the kubeconfig named is not there.
		{[]string{"--metrics-auth", "--metrics-addr", "127.0.0.1:0"}, "--metrics-auth: invalid configuration: no configuration has been provided"},
	} {
		args := append([]string{"serve", "--bind-address", "127.0.0.1", "--health-addr", "127.0.0.1:0", "--metrics-addr", "0"}, tc.args...)
		s, _, e := runCmd(t, "", args...)
		if s == 0 || !strings.Contains(e, tc.want) {
			t.Errorf("%v: status %d stderr %q, want %q", tc.args, s, e, tc.want)
		}
	}
}
