package node

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The node test runs only through make test-node, which builds what it needs
// and sets these: it needs root and changes the machine while it runs.
const (
	envRun   = "VMNET_TEST_NODE"
	envImage = "VMNET_TEST_NODE_IMG"
	// envImageNext names the image the upgrade phases move to.
	envImageNext = "VMNET_TEST_NODE_IMG_NEXT"
	// envHelper makes the test binary the interrupted node's child.
	envHelper = "VMNET_TEST_NODE_CHILD"
)

// startNode starts the node for a test and stops it at cleanup, then checks
// the machine is as it was: no process of ours, no bridge, no chain, no
// sysctl changed.
func startNode(t *testing.T, opts Options) *Node {
	t.Helper()
	if os.Getenv(envRun) == "" {
		t.Skipf("make test-node runs this (root; it runs containerd and a kubelet on the machine): %s=1", envRun)
	}
	dir, err := os.MkdirTemp("", "vmnet-node-")
	if err != nil {
		t.Fatal(err)
	}
	opts.Dir = dir
	opts.Logf = t.Logf
	start := time.Now()
	n, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	t.Logf("node Ready %s after start", time.Since(start).Round(100*time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			keepLogs(t, n)
		}
		start := time.Now()
		host := n.host
		pids := n.PIDs()
		if err := n.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
		t.Logf("node stopped and machine restored in %s", time.Since(start).Round(100*time.Millisecond))
		for _, pid := range pids {
			if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err == nil {
				t.Errorf("process %d still running after Stop", pid)
			}
		}
		if err := host.Check(); err != nil {
			t.Errorf("machine not as before: %v", err)
		}
		if left := shimPIDs(n.sock); len(left) > 0 {
			t.Errorf("containerd shims still running: %v", left)
		}
		if mps, _ := mountsBelow(dir); len(mps) > 0 {
			t.Errorf("still mounted: %v", mps)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("work folder %s left", dir)
		}
	})
	return n
}

// keepLogs copies the node's logs out of its work folder before Stop
// removes it, and says where.
func keepLogs(t *testing.T, n *Node) {
	dst, err := os.MkdirTemp("", "vmnet-node-logs-")
	if err != nil {
		return
	}
	logs, _ := filepath.Glob(filepath.Join(n.Dir, "*.log"))
	more, _ := filepath.Glob(filepath.Join(n.Dir, "control-plane", "*.log"))
	for _, l := range append(logs, more...) {
		if b, err := os.ReadFile(l); err == nil {
			_ = os.WriteFile(filepath.Join(dst, filepath.Base(l)), b, 0o600)
			t.Logf("--- last lines of %s ---\n%s", filepath.Base(l), lastLines(string(b), 15))
		}
	}
	t.Logf("node logs kept in %s", dst)
}

func lastLines(s string, k int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > k {
		lines = lines[len(lines)-k:]
	}
	return strings.Join(lines, "\n")
}

// TestInterruptedNodeCleansUp: a harness stopped by SIGTERM (CI cancelled,
// Ctrl-C) still stops every process it started and undoes the machine's
// changes. The node runs in a child: this test binary again, which starts
// it, prints its pids and waits to be killed.
func TestInterruptedNodeCleansUp(t *testing.T) {
	if os.Getenv(envHelper) != "" {
		n, err := Start(context.Background(), Options{Dir: os.Getenv(envHelper), Logf: func(string, ...any) {}})
		if err != nil {
			fmt.Println("ERROR", err)
			os.Exit(1)
		}
		fmt.Println("READY", n.PIDs())
		select {}
	}
	if os.Getenv(envRun) == "" {
		t.Skipf("make test-node runs this: %s=1", envRun)
	}
	host, err := RecordHost()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "vmnet-node-")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestInterruptedNodeCleansUp$", "-test.v=false")
	cmd.Env = append(os.Environ(), envHelper+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "READY") {
		_ = cmd.Process.Kill()
		t.Fatalf("child: %q %v", line, err)
	}
	var pids []int
	for _, f := range strings.Fields(strings.Trim(strings.TrimPrefix(line, "READY"), " []\n")) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	if len(pids) < 6 {
		t.Fatalf("child reported pids %v, want etcd, kube-apiserver, containerd, kubelet, controller-manager, scheduler", pids)
	}
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 143 {
		t.Errorf("child exited with %v, want status 143 (SIGTERM)", err)
	}
	t.Logf("SIGTERM to stopped and cleaned up: %s", time.Since(start).Round(100*time.Millisecond))
	for _, pid := range pids {
		if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err == nil {
			t.Errorf("process %d of the interrupted node still running", pid)
		}
	}
	if _, err := net.InterfaceByName(Bridge); err == nil {
		t.Errorf("bridge %s left", Bridge)
	}
	if err := host.Check(); err != nil {
		t.Errorf("machine not as before: %v", err)
	}
	if mps, _ := mountsBelow(dir); len(mps) > 0 {
		t.Errorf("still mounted: %v", mps)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("work folder %s left", dir)
	}
}
