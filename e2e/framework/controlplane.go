// Package framework runs a local Kubernetes control plane for the end-to-end
// tests and `make run`: etcd and kube-apiserver on loopback, KubeVirt's CRDs,
// and vmnet-webhook registered in front of it with the configurations from
// manifests/. The binaries come from bin/ (make e2e-tools, make build).
// Everything it starts it stops: on Stop, on test cleanup, on SIGINT/SIGTERM,
// and through the kernel (Pdeathsig) if the process dies without cleaning up.
package framework

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Options configure Start.
type Options struct {
	// Dir holds certificates, etcd's data, logs and the kubeconfig. Empty:
	// a temporary directory, removed on Stop.
	Dir string
	// Timeout bounds start-up (default 3 minutes: a busy 2-core machine).
	Timeout time.Duration
	// Address is the IP kube-apiserver binds to and advertises, and that its
	// serving certificate names besides localhost (default 127.0.0.1). A node
	// test gives an address pods can reach.
	Address string
	// ServingIPs are further IPs for the API server's certificate, e.g. the
	// kubernetes Service's ClusterIP.
	ServingIPs []net.IP
	// APIServerArgs come after the harness's own flags, so they win over
	// them (the last value of a flag is the one kept).
	APIServerArgs []string
}

// ControlPlane is a running etcd + kube-apiserver with KubeVirt's CRDs.
type ControlPlane struct {
	// Dir is the state directory; logs are Dir/etcd.log, Dir/kube-apiserver.log.
	Dir string
	// Kubeconfig is a file usable by kubectl: cluster-admin (system:masters).
	Kubeconfig string
	// Config is the same credentials for Go clients.
	Config *rest.Config
	// URL is the API server's address.
	URL string

	bin      string
	kubeDir  string // kube-apiserver and kubectl
	crdDir   string
	tempDir  bool
	etcd     *process
	api      *process
	mu       sync.Mutex
	webhooks []*Webhook
	stopOnce sync.Once
	etcdURL  string
	pki      *pki
	opts     Options
}

// Start starts etcd and kube-apiserver, writes the kubeconfig and installs
// the CRDs in bin/crds, waiting until they are established.
func Start(ctx context.Context, opts Options) (cp *ControlPlane, err error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	kubeDir, crdDir := kubeAndCRDDirs(bin)
	for _, p := range []string{filepath.Join(bin, "etcd"), filepath.Join(kubeDir, "kube-apiserver"), filepath.Join(kubeDir, "kubectl"), crdDir} {
		if !exists(p) {
			return nil, missingBinary(p)
		}
	}
	if opts.Timeout == 0 {
		opts.Timeout = 3 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	if opts.Address == "" {
		opts.Address = "127.0.0.1"
	}
	cp = &ControlPlane{Dir: opts.Dir, bin: bin, kubeDir: kubeDir, crdDir: crdDir, opts: opts}
	if cp.Dir == "" {
		if cp.Dir, err = os.MkdirTemp("", "vmnet-e2e-"); err != nil {
			return nil, err
		}
		cp.tempDir = true
		removeOnSignal(cp.Dir, true)
	} else if err := os.MkdirAll(cp.Dir, 0o700); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			cp.Stop()
			cp = nil
		}
	}()

	p, err := newPKI(cp.Dir)
	if err != nil {
		return cp, err
	}
	cp.pki = p
	if err := p.writeServing("apiserver", append([]net.IP{net.ParseIP(opts.Address)}, opts.ServingIPs...)...); err != nil {
		return cp, err
	}
	if err := p.writeClient("admin", "admin", "system:masters"); err != nil {
		return cp, err
	}
	if err := p.writeServiceAccountKey(); err != nil {
		return cp, err
	}

	if err := cp.startEtcd(ctx); err != nil {
		return cp, err
	}
	if err := cp.startAPIServer(ctx); err != nil {
		return cp, err
	}
	if err := cp.installCRDs(ctx); err != nil {
		return cp, err
	}
	return cp, nil
}

// StartT starts a control plane for a test and stops it in t.Cleanup. When
// the test failed, the logs' last lines are printed and the directory kept.
func StartT(t testing.TB) *ControlPlane {
	t.Helper()
	cp, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatalf("control plane: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			var b strings.Builder
			cp.KeepForInspection(&b)
			t.Log(b.String())
		}
		cp.Stop()
	})
	return cp
}

// KeepForInspection writes the last lines of every log to w and keeps the
// state directory (logs, certificates, kubeconfig) after Stop, saying where:
// for a run that failed.
func (cp *ControlPlane) KeepForInspection(w io.Writer) {
	for _, name := range cp.logs() {
		fmt.Fprintf(w, "--- last lines of %s ---\n%s\n", name, tail(name, 3000))
	}
	cp.tempDir = false
	removeOnSignal(cp.Dir, false)
	fmt.Fprintf(w, "control plane state kept in %s\n", cp.Dir)
}

func (cp *ControlPlane) logs() []string {
	out := []string{filepath.Join(cp.Dir, "etcd.log"), filepath.Join(cp.Dir, "kube-apiserver.log")}
	cp.mu.Lock()
	for _, w := range cp.webhooks {
		out = append(out, w.Log)
	}
	cp.mu.Unlock()
	return out
}

// Stop stops the webhooks, the API server and etcd, and removes a temporary
// directory. It is safe to call more than once.
func (cp *ControlPlane) Stop() {
	cp.stopOnce.Do(func() {
		cp.mu.Lock()
		whs := cp.webhooks
		cp.mu.Unlock()
		for _, w := range whs {
			w.Stop()
		}
		if cp.api != nil {
			cp.api.stop(15 * time.Second)
		}
		if cp.etcd != nil {
			cp.etcd.stop(10 * time.Second)
		}
		if cp.tempDir {
			_ = os.RemoveAll(cp.Dir)
			removeOnSignal(cp.Dir, false)
		}
	})
}

func (cp *ControlPlane) startEtcd(ctx context.Context) error {
	ports, err := FreePorts(2)
	if err != nil {
		return err
	}
	client := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peer := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	log := filepath.Join(cp.Dir, "etcd.log")
	cp.etcd, err = startProcess("etcd", filepath.Join(cp.bin, "etcd"), []string{
		"--name=e2e",
		"--data-dir=" + filepath.Join(cp.Dir, "etcd"),
		"--listen-client-urls=" + client, "--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=e2e=" + peer,
		// Test data: durability buys nothing and fsync is slow on shared disks.
		"--unsafe-no-fsync",
	}, log)
	if err != nil {
		return err
	}
	err = waitHTTP(ctx, cp.etcd, http.DefaultClient, client+"/health", log)
	cp.etcdURL = client
	return err
}

func (cp *ControlPlane) startAPIServer(ctx context.Context) error {
	ports, err := FreePorts(1)
	if err != nil {
		return err
	}
	cp.URL = "https://" + net.JoinHostPort(cp.opts.Address, strconv.Itoa(ports[0]))
	d := func(f string) string { return filepath.Join(cp.Dir, f) }
	log := d("kube-apiserver.log")
	cp.api, err = startProcess("kube-apiserver", filepath.Join(cp.kubeDir, "kube-apiserver"), append([]string{
		"--etcd-servers=" + cp.etcdURL,
		"--bind-address=" + cp.opts.Address, "--advertise-address=" + cp.opts.Address,
		"--secure-port=" + strconv.Itoa(ports[0]),
		"--cert-dir=" + d("apiserver-certs"),
		"--tls-cert-file=" + d("apiserver.crt"), "--tls-private-key-file=" + d("apiserver.key"),
		"--client-ca-file=" + d("ca.crt"),
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + d("sa.pub"),
		"--service-account-signing-key-file=" + d("sa.key"),
		"--service-cluster-ip-range=10.96.0.0/24",
		"--authorization-mode=RBAC",
		// The kubernetes Service's endpoints cannot be a loopback address,
		// and nothing here needs them.
		"--endpoint-reconciler-type=none",
	}, cp.opts.APIServerArgs...), log)
	if err != nil {
		return err
	}

	cfg, err := cp.writeKubeconfig()
	if err != nil {
		return err
	}
	cp.Config = cfg
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	return waitHTTP(ctx, cp.api, hc, cp.URL+"/readyz", log)
}

// writeKubeconfig writes Dir/kubeconfig for the admin user.
func (cp *ControlPlane) writeKubeconfig() (*rest.Config, error) {
	read := func(f string) ([]byte, error) { return os.ReadFile(filepath.Join(cp.Dir, f)) }
	ca, err := read("ca.crt")
	if err != nil {
		return nil, err
	}
	crt, err := read("admin.crt")
	if err != nil {
		return nil, err
	}
	key, err := read("admin.key")
	if err != nil {
		return nil, err
	}
	cp.Kubeconfig = filepath.Join(cp.Dir, "kubeconfig")
	return cp.writeKubeconfigFor(cp.Kubeconfig, "admin", ca, crt, key)
}

// writeKubeconfigFor writes a kubeconfig at path for a user with a client
// certificate.
func (cp *ControlPlane) writeKubeconfigFor(path, user string, ca, crt, key []byte) (*rest.Config, error) {
	const name = "vmnet-e2e"
	kc := clientcmdapi.NewConfig()
	kc.Clusters[name] = &clientcmdapi.Cluster{Server: cp.URL, CertificateAuthorityData: ca}
	kc.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: crt, ClientKeyData: key}
	kc.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: user, Namespace: "default"}
	kc.CurrentContext = name
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return nil, err
	}
	return clientcmd.NewDefaultClientConfig(*kc, nil).ClientConfig()
}

// UserKubeconfig writes Dir/kubeconfig-<user> for a user authenticated by a
// client certificate, in groups (system:authenticated is always added by
// the API server), with whatever RBAC grants that user: none until a test
// binds a role. It returns the file's path.
func (cp *ControlPlane) UserKubeconfig(user string, groups ...string) (string, error) {
	name := "user-" + user
	if err := cp.pki.writeClient(name, user, groups...); err != nil {
		return "", err
	}
	read := func(f string) ([]byte, error) { return os.ReadFile(filepath.Join(cp.Dir, f)) }
	ca, err := read("ca.crt")
	if err != nil {
		return "", err
	}
	crt, err := read(name + ".crt")
	if err != nil {
		return "", err
	}
	key, err := read(name + ".key")
	if err != nil {
		return "", err
	}
	path := filepath.Join(cp.Dir, "kubeconfig-"+user)
	_, err = cp.writeKubeconfigFor(path, user, ca, crt, key)
	return path, err
}

// waitHTTP polls url until it answers 200, the process exits, or ctx ends.
func waitHTTP(ctx context.Context, p *process, hc *http.Client, url, log string) error {
	var last error
	for {
		if p.exited() {
			return fmt.Errorf("%s exited (%v) before it was ready; last lines of %s:\n%s", p.name, p.err, log, tail(log, 3000))
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s: %s", url, resp.Status)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready: %v (last: %v); last lines of %s:\n%s", p.name, ctx.Err(), last, log, tail(log, 3000))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// FreePorts asks the kernel for n free loopback ports. They are released
// before use, so another process could take one in between: the start-up
// then fails with the log saying so, rather than hanging.
func FreePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// PIDs are the process ids of etcd, kube-apiserver and any webhooks still
// running, for tests that check nothing outlives Stop.
func (cp *ControlPlane) PIDs() []int {
	var out []int
	procs := []*process{cp.etcd, cp.api}
	cp.mu.Lock()
	for _, w := range cp.webhooks {
		procs = append(procs, w.proc)
	}
	cp.mu.Unlock()
	for _, p := range procs {
		if p != nil && !p.exited() {
			out = append(out, p.cmd.Process.Pid)
		}
	}
	return out
}
