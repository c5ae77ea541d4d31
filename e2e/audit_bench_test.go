package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

// benchVM is a stored VM of about 1.5 KiB: every third one lists port
// 49152, every third has no interfaces (the webhook would add them), the
// rest are what the webhook would leave alone but for the guest's IPv6
// config.
func benchVM(i int) string {
	iface := `{"name":"default","masquerade":{},"ports":[{"port":22},{"port":8080}]}`
	switch i % 3 {
	case 0:
		iface = `{"name":"default","masquerade":{},"ports":[{"port":22},{"port":49152}]}`
	case 1:
		iface = ""
	}
	nets := `[{"name":"default","pod":{}}]`
	if iface == "" {
		nets = `[]`
	}
	userData := fmt.Sprintf(`#cloud-config\nhostname: vm-%05d\nusers:\n  - name: ops\n    ssh_authorized_keys:\n      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchmarkKeyBenchmarkKeyBenchmarkKey00 ops@example\npackages: [qemu-guest-agent, nginx]\nruncmd:\n  - systemctl enable --now qemu-guest-agent nginx\n`, i)
	return fmt.Sprintf(`{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine",
	"metadata":{"name":"vm-%05d","labels":{"app":"web","tier":"frontend","team":"shop"}},
	"spec":{"runStrategy":"Halted","template":{"metadata":{"labels":{"kubevirt.io/domain":"vm-%05[1]d"}},"spec":{
	  "domain":{"cpu":{"cores":2},"memory":{"guest":"2Gi"},"devices":{
	    "disks":[{"name":"rootdisk","disk":{"bus":"virtio"}},{"name":"cloudinitdisk","disk":{"bus":"virtio"}}],
	    "interfaces":[%[2]s]}},
	  "networks":%[3]s,
	  "volumes":[{"name":"rootdisk","containerDisk":{"image":"registry.example/containerdisks/fedora:41"}},
	    {"name":"cloudinitdisk","cloudInitNoCloud":{"userData":%[4]q}}]}}}}`, i, iface, nets, userData)
}

var benchStored sync.Map // namespace -> struct{}

// storeBenchVMs stores n VMs in namespace ns once per test binary, with the
// webhook unregistered: a cluster that had them before it.
func storeBenchVMs(b *testing.B, ns string, n int) {
	b.Helper()
	if _, done := benchStored.LoadOrStore(ns, struct{}{}); done {
		return
	}
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := cs.CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	cfg := rest.CopyConfig(cp.Config)
	cfg.QPS = -1
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		b.Fatal(err)
	}
	withoutWebhooks(b, func() {
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < n; i += 4 {
					obj := &unstructured.Unstructured{}
					if err := obj.UnmarshalJSON([]byte(benchVM(i))); err != nil {
						errs <- err
						return
					}
					if _, err := dc.Resource(vmGVR).Namespace(ns).Create(context.Background(), obj, metav1.CreateOptions{}); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	})
}

// BenchmarkAudit runs bin/vmnet-webhook audit -o json, as a user does, on
// namespaces of stored VMs, and reports the time of one audit, objects
// judged per second and the audit process's peak resident memory. Pages of
// 500 (the default) against pages of 50 show what memory the page holds:
// make bench-audit.
//
// The peak is measured by GNU time (-f %M): the rusage Go's os/exec returns
// is wrong for it, since Linux carries the high-water mark of the memory a
// child was started from (this test binary's, shared through vfork) across
// exec.
func BenchmarkAudit(b *testing.B) {
	bin, err := framework.BinDir()
	if err != nil {
		b.Fatal(err)
	}
	const gnuTime = "/usr/bin/time"
	if _, err := os.Stat(gnuTime); err != nil {
		b.Skipf("%s (GNU time) measures the peak memory: %v", gnuTime, err)
	}
	for _, bc := range []struct{ vms, chunk int }{{1000, 500}, {4000, 500}, {4000, 50}} {
		b.Run(fmt.Sprintf("vms=%d/chunk=%d", bc.vms, bc.chunk), func(b *testing.B) {
			ns := fmt.Sprintf("audit-bench-%d", bc.vms)
			storeBenchVMs(b, ns, bc.vms)
			rssFile := filepath.Join(b.TempDir(), "maxrss")
			var peakKiB int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				cmd := exec.Command(gnuTime, "-f", "%M", "-o", rssFile,
					filepath.Join(bin, "vmnet-webhook"), "audit", "-n", ns, "-o", "json",
					"--chunk-size", fmt.Sprint(bc.chunk), "--pod-ips", framework.PodIPs)
				cmd.Env = append(os.Environ(), "KUBECONFIG="+cp.Kubeconfig)
				cmd.Stdout = io.Discard
				var ee *exec.ExitError
				if err := cmd.Run(); !errors.As(err, &ee) || ee.ExitCode() != 1 {
					b.Fatalf("audit: %v, want exit status 1 (a third of the VMs list port 49152)", err)
				}
				out, err := os.ReadFile(rssFile)
				if err != nil {
					b.Fatal(err)
				}
				var kib int64
				// The last line: GNU time puts "Command exited with non-zero status 1" first.
				lines := strings.Split(strings.TrimSpace(string(out)), "\n")
				if _, err := fmt.Sscan(lines[len(lines)-1], &kib); err != nil {
					b.Fatalf("%s: %q: %v", gnuTime, out, err)
				}
				peakKiB = max(peakKiB, kib)
			}
			b.ReportMetric(float64(bc.vms*b.N)/b.Elapsed().Seconds(), "objects/s")
			b.ReportMetric(float64(peakKiB)/1024, "peak-RSS-MiB")
		})
	}
}
