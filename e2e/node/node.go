// Package node runs a real one-node Kubernetes on this machine for the
// install-path test (make test-node): etcd and kube-apiserver from the
// e2e harness, Debian's containerd, runc and CNI plugins run by hand with
// everything in one work folder, and the kubelet, kube-controller-manager,
// kube-scheduler (and optionally kube-proxy) built at the pinned version.
//
// Nothing may leave the machine: pods sit on a bridge of their own with no
// default route (only the service range, through the bridge), the service
// range is routed into that bridge on the host too, nothing is masqueraded,
// containerd's registry traffic goes to a proxy address that refuses it, and
// kube-apiserver calls webhooks at their pods' addresses
// (--enable-aggregator-routing). Everything started is stopped by pid, and
// Stop undoes what the node changed on the machine.
package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/vmnet-webhook/vmnet-webhook/build/image"
	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

// The node's network: all of it on this machine.
const (
	Bridge  = "vmnet-br0"
	PodCIDR = "10.77.0.0/24"
	// PodCIDR6 gives pods an IPv6 address too, as on a dual-stack cluster
	// (the webhook writes a guest's IPv6 config when its own pod has one);
	// a unique local range, routed nowhere.
	PodCIDR6    = "fd77::/64"
	Gateway     = "10.77.0.1" // the bridge's address: kube-apiserver and the kubelet listen here
	ServiceCIDR = "10.77.1.0/24"
	// KubernetesIP is the kubernetes Service's ClusterIP.
	KubernetesIP = "10.77.1.1"
	Name         = "vmnet-node"
	// PauseImage is the sandbox image, built locally.
	PauseImage = "localhost/vmnet-node/pause:1"
	// refusingProxy is where containerd's registry requests would go: a
	// port nothing listens on, so a pull fails at once instead of leaving.
	refusingProxy = "http://127.0.0.1:9"
)

// Options configure Start.
type Options struct {
	// Dir is the work folder; it is created, and removed by Stop.
	Dir string
	// Images are docker-archive tarballs to import into containerd.
	Images []string
	// KubeProxy runs kube-proxy (iptables mode), for pods that call
	// ClusterIPs (the kubernetes Service).
	KubeProxy bool
	// Logf reports progress.
	Logf func(format string, args ...any)
}

// Node is a running one-node cluster.
type Node struct {
	Dir string
	CP  *framework.ControlPlane
	// Client is a cluster-admin clientset.
	Client *kubernetes.Clientset
	// Timings of the start's phases, in order.
	Timings []Timing

	opts     Options
	host     *Host
	sock     string
	procs    []namedProcess // in start order
	bridge   bool
	stopOnce sync.Once
	stopErr  error
}

type namedProcess struct {
	name string
	*framework.Process
}

// Timing is one measured phase.
type Timing struct {
	Phase string
	Took  time.Duration
}

func (n *Node) timed(phase string, f func() error) error {
	start := time.Now()
	err := f()
	n.Timings = append(n.Timings, Timing{phase, time.Since(start)})
	n.opts.Logf("%s: %s", phase, time.Since(start).Round(100*time.Millisecond))
	return err
}

// Start brings the node up, Ready. On error everything started is stopped
// and the machine restored (the returned Node is nil).
func Start(ctx context.Context, opts Options) (n *Node, err error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("the node test runs containerd and the kubelet: it needs root")
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	bin, err := framework.BinDir()
	if err != nil {
		return nil, err
	}
	for _, b := range []string{"kubelet", "kube-controller-manager", "kube-scheduler", "kube-proxy"} {
		if _, err := os.Stat(filepath.Join(bin, b)); err != nil {
			return nil, fmt.Errorf("%s not found: run `make node-tools` first (make test-node does it)", filepath.Join(bin, b))
		}
	}
	n = &Node{Dir: opts.Dir, opts: opts, sock: filepath.Join(opts.Dir, "containerd", "containerd.sock")}
	if err := n.timed("packages", func() error { return EnsurePackages(opts.Logf) }); err != nil {
		return nil, err
	}
	if err := removeLeftoverBridge(opts.Logf); err != nil {
		return nil, err
	}
	if n.host, err = RecordHost(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, err
	}
	// Interrupted, the harness stops every process it started; this then
	// undoes the rest.
	node := n // n itself is set to nil if the start fails
	framework.AtSignal(func() {
		if err := node.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "node: %v\n", err)
		}
	})
	defer func() {
		if err != nil {
			opts.Logf("start failed: %v", err)
			if serr := n.Stop(); serr != nil {
				opts.Logf("stop: %v", serr)
			}
			n = nil
		}
	}()
	if err := n.timed("bridge", n.setupBridge); err != nil {
		return n, err
	}
	if err := n.timed("etcd and kube-apiserver", func() error { return n.startControlPlane(ctx) }); err != nil {
		return n, err
	}
	if err := n.timed("containerd and images", func() error { return n.startContainerd(ctx) }); err != nil {
		return n, err
	}
	if err := n.timed("kubelet, controller-manager, scheduler", func() error { return n.startKube(ctx, bin) }); err != nil {
		return n, err
	}
	if err := n.timed("node Ready", func() error { return n.waitReady(ctx) }); err != nil {
		return n, err
	}
	return n, nil
}

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// removeLeftoverBridge deletes the bridge of an earlier run that was killed
// before it could (it is ours by its name).
func removeLeftoverBridge(logf func(string, ...any)) error {
	if _, err := net.InterfaceByName(Bridge); err != nil {
		return nil
	}
	logf("removing %s left by an earlier run", Bridge)
	return run("ip", "link", "del", Bridge)
}

// setupBridge makes the pods' bridge with the gateway address (the CNI
// plugin then uses it as it is), and routes the service range into it: a
// packet to a ClusterIP that no kube-proxy rule caught goes nowhere, instead
// of following the default route off the machine.
func (n *Node) setupBridge() error {
	if err := run("ip", "link", "add", Bridge, "type", "bridge"); err != nil {
		return err
	}
	n.bridge = true
	if err := run("ip", "addr", "add", Gateway+"/24", "dev", Bridge); err != nil {
		return err
	}
	if err := run("ip", "link", "set", Bridge, "up"); err != nil {
		return err
	}
	return run("ip", "route", "add", ServiceCIDR, "dev", Bridge)
}

func (n *Node) startControlPlane(ctx context.Context) error {
	cpDir := filepath.Join(n.Dir, "control-plane")
	cp, err := framework.Start(ctx, framework.Options{
		Dir:        cpDir,
		Address:    Gateway,
		ServingIPs: []net.IP{net.ParseIP(KubernetesIP)},
		APIServerArgs: []string{
			"--service-cluster-ip-range=" + ServiceCIDR,
			// The kubernetes Service gets the bridge address as its endpoint.
			"--endpoint-reconciler-type=lease",
			// Webhooks are called at their pods' IPs, not the ClusterIP.
			"--enable-aggregator-routing=true",
			"--kubelet-client-certificate=" + filepath.Join(cpDir, "admin.crt"),
			"--kubelet-client-key=" + filepath.Join(cpDir, "admin.key"),
			"--kubelet-preferred-address-types=InternalIP",
		},
	})
	if err != nil {
		return err
	}
	n.CP = cp
	n.Client, err = kubernetes.NewForConfig(cp.Config)
	return err
}

func (n *Node) start(name, bin string, args, env []string) (*framework.Process, error) {
	p, err := framework.StartProcess(name, bin, args, env, filepath.Join(n.Dir, name+".log"))
	if err != nil {
		return nil, err
	}
	n.procs = append(n.procs, namedProcess{name, p})
	return p, nil
}

func (n *Node) startContainerd(ctx context.Context) error {
	dir := filepath.Join(n.Dir, "containerd")
	cniDir := filepath.Join(n.Dir, "cni")
	for _, d := range []string{dir, cniDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(cniDir, "10-vmnet.conflist"), []byte(cniConfig(filepath.Join(n.Dir, "cni-ipam"))), 0o600); err != nil {
		return err
	}
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(containerdConfig(dir, cniDir)), 0o600); err != nil {
		return err
	}
	p, err := n.start("containerd", "/usr/bin/containerd", []string{"--config", cfg},
		[]string{"HTTP_PROXY=" + refusingProxy, "HTTPS_PROXY=" + refusingProxy, "NO_PROXY="})
	if err != nil {
		return err
	}
	deadline := time.Now().Add(time.Minute)
	for {
		if err := n.ctr("version"); err == nil {
			break
		} else if done, perr := p.Exited(); done || time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("containerd not ready (exited %v: %v): %v; see %s", done, perr, err, filepath.Join(n.Dir, "containerd.log"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	pause, err := n.pauseImage(ctx)
	if err != nil {
		return err
	}
	for _, tar := range append([]string{pause}, n.opts.Images...) {
		if err := n.ctr("-n", "k8s.io", "images", "import", tar); err != nil {
			return err
		}
	}
	return nil
}

func (n *Node) ctr(args ...string) error {
	return run("ctr", append([]string{"--address", n.sock}, args...)...)
}

// pauseImage builds ./pause statically and makes the sandbox image of it.
func (n *Node) pauseImage(ctx context.Context) (string, error) {
	root, err := framework.RepoRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(n.Dir, "pause")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./e2e/node/pause")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build pause: %v: %s", err, out)
	}
	b, err := os.ReadFile(bin)
	if err != nil {
		return "", err
	}
	tar := filepath.Join(n.Dir, "pause.tar")
	_, err = image.WriteTarball(tar, PauseImage, image.Spec{
		Binary: b, Path: "/pause", Entrypoint: []string{"/pause"}, OS: "linux", Architecture: runtime.GOARCH,
	})
	return tar, err
}

func (n *Node) startKube(ctx context.Context, bin string) error {
	cpDir := n.CP.Dir
	kubeconfig := n.CP.Kubeconfig
	ports, err := freePorts(4)
	if err != nil {
		return err
	}
	kubeletDir := filepath.Join(n.Dir, "kubelet")
	if err := os.MkdirAll(kubeletDir, 0o700); err != nil {
		return err
	}
	kcfg := filepath.Join(n.Dir, "kubelet.yaml")
	if err := os.WriteFile(kcfg, []byte(kubeletConfig(n.Dir, cpDir, n.sock, ports[0], ports[1])), 0o600); err != nil {
		return err
	}
	if _, err := n.start("kubelet", filepath.Join(bin, "kubelet"), []string{
		"--config=" + kcfg, "--kubeconfig=" + kubeconfig, "--root-dir=" + kubeletDir,
		"--hostname-override=" + Name, "--node-ip=" + Gateway, "--v=1",
	}, nil); err != nil {
		return err
	}
	if _, err := n.start("kube-controller-manager", filepath.Join(bin, "kube-controller-manager"), []string{
		"--kubeconfig=" + kubeconfig, "--leader-elect=false", "--secure-port=0",
		"--root-ca-file=" + filepath.Join(cpDir, "ca.crt"),
		"--service-account-private-key-file=" + filepath.Join(cpDir, "sa.key"),
		"--use-service-account-credentials=false",
		"--service-cluster-ip-range=" + ServiceCIDR,
	}, nil); err != nil {
		return err
	}
	if _, err := n.start("kube-scheduler", filepath.Join(bin, "kube-scheduler"), []string{
		"--kubeconfig=" + kubeconfig, "--leader-elect=false", "--secure-port=0",
	}, nil); err != nil {
		return err
	}
	if n.opts.KubeProxy {
		pcfg := filepath.Join(n.Dir, "kube-proxy.yaml")
		if err := os.WriteFile(pcfg, []byte(kubeProxyConfig(kubeconfig, ports[2], ports[3])), 0o600); err != nil {
			return err
		}
		if _, err := n.start("kube-proxy", filepath.Join(bin, "kube-proxy"), []string{"--config=" + pcfg}, nil); err != nil {
			return err
		}
	}
	return nil
}

func (n *Node) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var last string
	for {
		for _, p := range n.procs {
			if done, err := p.Exited(); done {
				return fmt.Errorf("%s (pid %d) exited: %v; its log: %s", p.name, p.PID(), err, filepath.Join(n.Dir, p.name+".log"))
			}
		}
		node, err := n.Client.CoreV1().Nodes().Get(ctx, Name, metav1.GetOptions{})
		if err == nil {
			for _, c := range node.Status.Conditions {
				if c.Type == corev1.NodeReady {
					if c.Status == corev1.ConditionTrue {
						return nil
					}
					last = c.Reason + ": " + c.Message
				}
			}
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node %s not Ready: %s; logs in %s", Name, last, n.Dir)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Stop stops everything Start started, by pid, in reverse order, removes the
// pods' processes, network and cgroups, and undoes the machine's changes.
// It returns what it could not undo. Only the first call does anything.
func (n *Node) Stop() error {
	n.stopOnce.Do(func() { n.stopErr = n.stop() })
	return n.stopErr
}

func (n *Node) stop() error {
	var errs []error
	logf := n.opts.Logf
	// The kubelet first, so that it restarts nothing, then every container
	// and sandbox containerd has, while it still runs.
	for _, p := range n.procs {
		if p.name == "kubelet" {
			p.Stop(15 * time.Second)
		}
	}
	if n.running("containerd") {
		if err := n.removeContainers(); err != nil {
			errs = append(errs, err)
		}
	}
	for i := len(n.procs) - 1; i >= 0; i-- {
		n.procs[i].Stop(15 * time.Second)
	}
	if n.CP != nil {
		n.CP.Stop()
	}
	// Shims outlive containerd by design; ours name our socket.
	for _, pid := range shimPIDs(n.sock) {
		logf("killing containerd shim %d", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	if err := n.removeCgroups(); err != nil {
		errs = append(errs, err)
	}
	if n.bridge {
		if err := run("ip", "link", "del", Bridge); err != nil {
			errs = append(errs, err)
		}
	}
	if n.host != nil {
		did, err := n.host.Restore()
		for _, d := range did {
			logf("restored: %s", d)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if err := unmountBelow(n.Dir); err != nil {
		errs = append(errs, err)
	} else if err := os.RemoveAll(n.Dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (n *Node) running(name string) bool {
	for _, p := range n.procs {
		if p.name == name {
			done, _ := p.Exited()
			return !done
		}
	}
	return false
}

// removeContainers kills and deletes every task and container in
// containerd's k8s.io namespace (pods and their sandboxes).
func (n *Node) removeContainers() error {
	out, err := exec.Command("ctr", "--address", n.sock, "-n", "k8s.io", "tasks", "ls", "-q").Output()
	if err != nil {
		return fmt.Errorf("ctr tasks ls: %w", err)
	}
	ids := strings.Fields(string(out))
	for _, id := range ids {
		_ = n.ctr("-n", "k8s.io", "tasks", "kill", "-a", "-s", "SIGKILL", id)
	}
	var errs []error
	for _, id := range ids {
		var err error
		for range 50 {
			// containerd deletes a task itself when it sees it exit.
			if err = n.ctr("-n", "k8s.io", "tasks", "delete", "-f", id); err == nil || strings.Contains(err.Error(), "not found") {
				err = nil
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	out, _ = exec.Command("ctr", "--address", n.sock, "-n", "k8s.io", "containers", "ls", "-q").Output()
	for _, id := range strings.Fields(string(out)) {
		_ = n.ctr("-n", "k8s.io", "containers", "delete", id)
	}
	return errors.Join(errs...)
}

// shimPIDs are the containerd-shim processes serving our containerd.
func shimPIDs(sock string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if len(args) == 0 || !strings.Contains(filepath.Base(args[0]), "containerd-shim") {
			continue
		}
		for i, a := range args {
			if a == "-address" && i+1 < len(args) && args[i+1] == sock {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// kubepodsCgroups lists the kubelet's top cgroup in every hierarchy.
func kubepodsCgroups() map[string]bool {
	out := map[string]bool{}
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/kubepods")
	for _, d := range dirs {
		out[d] = true
	}
	if _, err := os.Stat("/sys/fs/cgroup/kubepods"); err == nil {
		out["/sys/fs/cgroup/kubepods"] = true
	}
	return out
}

// removeCgroups kills what is left in the kubelet's cgroups (only ours:
// they did not exist before) and removes them, deepest first.
func (n *Node) removeCgroups() error {
	var errs []error
	for top := range kubepodsCgroups() {
		if n.host != nil && n.host.cgroups[top] {
			continue
		}
		var dirs []string
		_ = filepath.WalkDir(top, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for _, d := range dirs {
			b, _ := os.ReadFile(filepath.Join(d, "cgroup.procs"))
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil {
					n.opts.Logf("killing %d, left in %s", pid, d)
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		}
		for i := len(dirs) - 1; i >= 0; i-- {
			var err error
			for range 50 {
				if err = os.Remove(dirs[i]); err == nil || errors.Is(err, os.ErrNotExist) {
					err = nil
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

func freePorts(k int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range k {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// PIDs are the node's processes and the control plane's, for checking that
// none outlives Stop.
func (n *Node) PIDs() []int {
	var out []int
	for _, p := range n.procs {
		out = append(out, p.PID())
	}
	if n.CP != nil {
		out = append(out, n.CP.PIDs()...)
	}
	return out
}
