package node

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"

	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

// overlay is the one the node test installs: it needs nothing else in the
// cluster.
const overlay = "self-managed"

// run runs a command in the repository's root, as a person would type it
// there, against the node's API server.
func (n *Node) runIn(t *testing.T, name string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root, rerr := framework.RepoRoot()
	if rerr != nil {
		t.Fatal(rerr)
	}
	var cmd *exec.Cmd
	if name == "kubectl" {
		cmd = n.CP.KubectlCmd(context.Background(), args...)
	} else {
		cmd = exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+n.CP.Kubeconfig, "KUBECACHEDIR="+filepath.Join(n.Dir, "kubectl-cache"))
	}
	cmd.Dir = root
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// readmeOutput returns what the README shows right after "$ <command>",
// every time it shows that command: the lines up to the next command or the
// end of the code block, without the block's indentation.
func readmeOutput(t *testing.T, command string) []string {
	t.Helper()
	root, err := framework.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) != "$ "+command {
			continue
		}
		indent := l[:len(l)-len(strings.TrimLeft(l, " "))]
		var block []string
		for _, next := range lines[i+1:] {
			next = strings.TrimPrefix(next, indent)
			if strings.HasPrefix(next, "$ ") || strings.HasPrefix(next, "```") {
				break
			}
			block = append(block, next)
		}
		out = append(out, strings.Join(block, "\n"))
	}
	if len(out) == 0 {
		t.Fatalf("README.md never shows $ %s", command)
	}
	return out
}

// TestInstall goes through the README's install path on a real node:
// make deploy, both replicas Ready as 65532, the README's refusal and
// mutation, the rollouts under load, a config change, make undeploy; then
// the Helm chart once: helm install, the refusal, helm uninstall.
func TestInstall(t *testing.T) {
	img, imgNext := os.Getenv(envImage), os.Getenv(envImageNext)
	if (img == "" || imgNext == "") && os.Getenv(envRun) != "" {
		t.Fatalf("%s and %s must be set: make test-node sets them to the images it built", envImage, envImageNext)
	}
	root, err := framework.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	n := startNode(t, Options{KubeProxy: true, Images: []string{
		filepath.Join(root, "bin", "vmnet-webhook-image.tar"), filepath.Join(root, "bin", "vmnet-webhook-image-next.tar")}})
	ctx := context.Background()

	start := time.Now()
	out, errOut, err := n.runIn(t, "make", "deploy", "IMG="+img, "OVERLAY="+overlay)
	if err != nil {
		t.Fatalf("make deploy IMG=%s OVERLAY=%s: %v\n%s%s%s", img, overlay, err, out, errOut, n.webhookLogs(ctx))
	}
	t.Logf("make deploy IMG=%s OVERLAY=%s: %s", img, overlay, time.Since(start).Round(100*time.Millisecond))
	n.checkReplicas(t, ctx, img)

	t.Run("refusal as in the README", func(t *testing.T) {
		_, stderr, err := n.runIn(t, "kubectl", "create", "-f", "examples/reserved-port.yaml")
		if err == nil {
			t.Fatal("kubectl create -f examples/reserved-port.yaml succeeded")
		}
		for _, want := range readmeOutput(t, "kubectl create -f examples/reserved-port.yaml") {
			if got := strings.TrimSpace(stderr); got != want {
				t.Errorf("kubectl printed\n  %s\nthe README shows\n  %s", got, want)
			}
		}
	})
	t.Run("mutation as in the README", func(t *testing.T) {
		stdout, stderr, err := n.runIn(t, "kubectl", "create", "-f", "examples/guide-vm.yaml")
		if err != nil {
			t.Fatalf("kubectl create -f examples/guide-vm.yaml: %v: %s", err, stderr)
		}
		if want := readmeOutput(t, "kubectl create -f examples/guide-vm.yaml")[0]; strings.TrimSpace(stdout) != want {
			t.Errorf("kubectl printed %q, the README shows %q", strings.TrimSpace(stdout), want)
		}
		// In namespace default, as the README's: the MAC is drawn from it.
		const get = "kubectl get vm example-vm -o jsonpath='{.spec.template.spec.volumes[1].cloudInitNoCloud.networkData}'"
		stdout, stderr, err = n.runIn(t, "kubectl", "get", "vm", "example-vm", "-o", "jsonpath={.spec.template.spec.volumes[1].cloudInitNoCloud.networkData}")
		if err != nil {
			t.Fatalf("%s: %v: %s", get, err, stderr)
		}
		if want := readmeOutput(t, get)[0]; strings.TrimRight(stdout, "\n") != want {
			t.Errorf("stored networkData\n%s\nthe README shows\n%s", stdout, want)
		}
		if _, stderr, err := n.runIn(t, "kubectl", "delete", "-f", "examples/guide-vm.yaml"); err != nil {
			t.Errorf("delete: %v: %s", err, stderr)
		}
	})

	t.Run("pods reach nothing off the machine", func(t *testing.T) { n.checkPodRoutes(t) })

	t.Run("the webhook's RBAC names its objects", func(t *testing.T) {
		sa := "--as=system:serviceaccount:vmnet-system:vmnet-webhook"
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"get", "secret/vmnet-webhook-tls", "-n", "vmnet-system"}, "yes"},
			{[]string{"update", "secret/vmnet-webhook-tls", "-n", "vmnet-system"}, "yes"},
			{[]string{"get", "secret/other", "-n", "vmnet-system"}, "no"},
			{[]string{"list", "secrets", "-n", "vmnet-system"}, "no"},
			{[]string{"create", "secrets", "-n", "vmnet-system"}, "no"},
			{[]string{"delete", "secret/vmnet-webhook-tls", "-n", "vmnet-system"}, "no"},
			{[]string{"get", "secret/vmnet-webhook-tls", "-n", "default"}, "no"},
			{[]string{"update", "validatingwebhookconfiguration/vmnet-webhook"}, "yes"},
			{[]string{"update", "mutatingwebhookconfiguration/vmnet-webhook"}, "yes"},
			{[]string{"update", "validatingwebhookconfiguration/other"}, "no"},
			{[]string{"list", "validatingwebhookconfigurations"}, "no"},
			{[]string{"get", "pods", "-n", "vmnet-system"}, "no"},
		} {
			stdout, _, _ := n.runIn(t, "kubectl", append(append([]string{"auth", "can-i"}, tc.args...), sa)...)
			if got := strings.TrimSpace(stdout); got != tc.want {
				t.Errorf("kubectl auth can-i %s: %s, want %s", strings.Join(tc.args, " "), got, tc.want)
			}
		}
	})

	t.Run("rollouts under load", func(t *testing.T) {
		if _, err := n.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: loadNamespace}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		kubectl := func(args ...string) error {
			if _, stderr, err := n.runIn(t, "kubectl", append([]string{"-n", "vmnet-system"}, args...)...); err != nil {
				return fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, stderr)
			}
			return nil
		}
		n.underLoad(t, "rollout-restart", func() error {
			if err := kubectl("rollout", "restart", "deployment/vmnet-webhook"); err != nil {
				return err
			}
			return kubectl("rollout", "status", "deployment/vmnet-webhook", "--timeout=3m")
		})
		n.underLoad(t, "delete-pod", func() error {
			victim := n.webhookPods(t, ctx)[0].Name
			if err := kubectl("delete", "pod", victim); err != nil {
				return err
			}
			return n.waitPods(ctx, func(pods []corev1.Pod) bool {
				ready := 0
				for _, p := range pods {
					if p.Name == victim {
						return false
					}
					if podReady(p) {
						ready++
					}
				}
				return ready == 2
			})
		})
		var before, after string
		n.underLoad(t, "certificate-renewal", func() error {
			var err error
			if before, err = n.secretCert(ctx); err != nil {
				return err
			}
			// Forced: the serving certificate and key removed from the
			// Secret; the rotator writes new ones, signed by the same CA.
			if err := kubectl("patch", "secret", "vmnet-webhook-tls", "--type=json",
				`-p=[{"op":"remove","path":"/data/tls.crt"},{"op":"remove","path":"/data/tls.key"}]`); err != nil {
				return err
			}
			deadline := time.Now().Add(4 * time.Minute)
			for {
				after, _ = n.secretCert(ctx)
				served := n.servedCerts(t, ctx)
				all := len(served) == 2
				for _, s := range served {
					all = all && s == after
				}
				if after != "" && after != before && all {
					return nil
				}
				if time.Now().After(deadline) {
					return fmt.Errorf("after 4 minutes the Secret's certificate is %s (was %s) and the pods serve %v", after, before, served)
				}
				time.Sleep(time.Second)
			}
		})
		t.Logf("certificate renewed: %s -> %s (SHA-256 prefixes), served by both pods", before, after)
	})

	// The new image is the same build under a second reference: the pod
	// template changes, so the Deployment replaces every pod as for a
	// release (the Makefile's test-node says why).
	t.Run("make deploy of a new image under load", func(t *testing.T) {
		n.underLoad(t, "make-deploy-new-image", func() error {
			if out, errOut, err := n.runIn(t, "make", "deploy", "IMG="+imgNext, "OVERLAY="+overlay); err != nil {
				return fmt.Errorf("make deploy IMG=%s: %v\n%s%s", imgNext, err, out, errOut)
			}
			return nil
		})
		n.waitImage(t, ctx, imgNext)
	})

	t.Run("a config change rolls the pods and takes effect", func(t *testing.T) {
		n.configChange(t, ctx, imgNext)
	})

	t.Run("make undeploy under creates leaves nothing", func(t *testing.T) {
		start := time.Now()
		n.underStream(t, "make-undeploy", func() error {
			if out, errOut, err := n.runIn(t, "make", "undeploy", "OVERLAY="+overlay); err != nil {
				return fmt.Errorf("make undeploy: %v\n%s%s", err, out, errOut)
			}
			return nil
		})
		n.checkNothingLeft(t, ctx)
		n.checkNoWebhook(t, ctx, "make undeploy")
		t.Logf("make undeploy, and everything gone: %s", time.Since(start).Round(100*time.Millisecond))
	})

	// After the kustomize install, so that the images are already on the node.
	t.Run("helm install, refusal, upgrade, helm uninstall leaves nothing", func(t *testing.T) {
		n.helmInstall(t, ctx, img, imgNext)
	})
}

// waitImage waits until the webhook's pods are two, Ready, of the image
// img, and none of another is left (a rollout's old pods may still be
// draining when the command that started it returns).
func (n *Node) waitImage(t *testing.T, ctx context.Context, img string) {
	t.Helper()
	err := n.waitPods(ctx, func(pods []corev1.Pod) bool {
		ready := 0
		for _, p := range pods {
			if p.Spec.Containers[0].Image != img {
				return false
			}
			if podReady(p) && p.DeletionTimestamp == nil {
				ready++
			}
		}
		return ready == 2 && len(pods) == 2
	})
	if err != nil {
		t.Fatalf("pods of %s: %v", img, err)
	}
}

// checkNoWebhook: with the webhook removed, a VM it would refuse is created,
// and stored as sent.
func (n *Node) checkNoWebhook(t *testing.T, ctx context.Context, after string) {
	t.Helper()
	dc := dynamic.NewForConfigOrDie(n.CP.Config).Resource(vmResource).Namespace(loadNamespace)
	name := "after-" + strings.ReplaceAll(after, " ", "-")
	got, err := dc.Create(ctx, vm(name, 49152), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("after %s, a create with port 49152: %v", after, err)
	}
	if mutated(got) {
		t.Errorf("after %s, a create was mutated: a webhook is still called", after)
	}
}

// checkReplicas: two pods Ready, of the image given, each running its
// server as UID and GID 65532 (read from the processes on this machine).
func (n *Node) checkReplicas(t *testing.T, ctx context.Context, img string) {
	t.Helper()
	d, err := n.Client.AppsV1().Deployments("vmnet-system").Get(ctx, "vmnet-webhook", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status.ReadyReplicas != 2 || d.Status.UpdatedReplicas != 2 {
		t.Fatalf("deployment: %d ready, %d updated, want 2", d.Status.ReadyReplicas, d.Status.UpdatedReplicas)
	}
	pods := n.webhookPods(t, ctx)
	if len(pods) != 2 {
		t.Fatalf("%d webhook pods, want 2", len(pods))
	}
	_, pods6, _ := net.ParseCIDR(PodCIDR6)
	for _, p := range pods {
		if !podReady(p) || p.Spec.Containers[0].Image != img {
			t.Errorf("pod %s: ready %v, image %s", p.Name, podReady(p), p.Spec.Containers[0].Image)
		}
		// Dual-stack, as the webhook's IPv6 behaviour expects of a cluster.
		if len(p.Status.PodIPs) != 2 || !pods6.Contains(net.ParseIP(p.Status.PodIPs[1].IP)) {
			t.Errorf("pod %s: IPs %v, want one IPv4 and one in %s", p.Name, p.Status.PodIPs, PodCIDR6)
		}
	}
	procs := podProcessesNamed("vmnet-webhook")
	if len(procs) != 2 {
		t.Errorf("%d vmnet-webhook processes on the machine, want 2", len(procs))
	}
	for pid, ids := range procs {
		if ids != "65532 65532" {
			t.Errorf("vmnet-webhook process %d runs as uid/gid %s, want 65532 65532", pid, ids)
		}
	}
}

func podReady(p corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (n *Node) webhookPods(t *testing.T, ctx context.Context) []corev1.Pod {
	t.Helper()
	pods, err := n.Client.CoreV1().Pods("vmnet-system").List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=webhook"})
	if err != nil {
		t.Fatal(err)
	}
	var out []corev1.Pod
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

// webhookLogs are the webhook containers' logs, for a failure message.
func (n *Node) webhookLogs(ctx context.Context) string {
	var b strings.Builder
	pods, err := n.Client.CoreV1().Pods("vmnet-system").List(ctx, metav1.ListOptions{})
	if err != nil {
		return err.Error()
	}
	for _, p := range pods.Items {
		fmt.Fprintf(&b, "--- pod %s (%s)\n", p.Name, p.Status.Phase)
		for _, c := range p.Status.ContainerStatuses {
			fmt.Fprintf(&b, "container %s ready=%v restarts=%d state=%+v\n", c.Name, c.Ready, c.RestartCount, c.State)
		}
		raw, err := n.Client.CoreV1().Pods("vmnet-system").GetLogs(p.Name, &corev1.PodLogOptions{TailLines: ptr(int64(20))}).DoRaw(ctx)
		if err != nil {
			fmt.Fprintf(&b, "logs: %v\n", err)
			continue
		}
		b.Write(raw)
	}
	return b.String()
}

func ptr[T any](v T) *T { return &v }

// podProcessesNamed maps the pids of processes whose command is name, in
// the kubelet's pod cgroups (other programs of that name may run on the
// machine), to their real uid and gid.
func podProcessesNamed(name string) map[int]string {
	out := map[int]string{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		var comm, uid, gid string
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			if len(f) < 2 {
				continue
			}
			switch f[0] {
			case "Name:":
				comm = f[1]
			case "Uid:":
				uid = f[1]
			case "Gid:":
				gid = f[1]
			}
		}
		cg, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cgroup"))
		if comm == name && strings.Contains(string(cg), "/kubepods/") {
			out[pid] = uid + " " + gid
		}
	}
	return out
}

// checkNothingLeft: after make undeploy (or helm uninstall and deleting the
// namespace), no object of the install is left:
// the namespace (and so everything in it), the webhook configurations, the
// cluster-wide RBAC, and nothing anywhere labelled part-of=vmnet-webhook.
func (n *Node) checkNothingLeft(t *testing.T, ctx context.Context) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, err := n.Client.CoreV1().Namespaces().Get(ctx, "vmnet-system", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("namespace vmnet-system still there 2 minutes after make undeploy (%v)", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	stdout, stderr, err := n.runIn(t, "kubectl", "get", "all,cm,secret,sa,role,rolebinding,clusterrole,clusterrolebinding,"+
		"mutatingwebhookconfiguration,validatingwebhookconfiguration,networkpolicy,pdb",
		"-A", "-l", "app.kubernetes.io/part-of=vmnet-webhook", "-o", "name")
	if err != nil {
		t.Fatalf("kubectl get: %v: %s", err, stderr)
	}
	if strings.TrimSpace(stdout) != "" {
		t.Errorf("left after make undeploy:\n%s", stdout)
	}
	for _, get := range []func() error{
		func() error {
			_, err := n.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, "vmnet-webhook", metav1.GetOptions{})
			return err
		},
		func() error {
			_, err := n.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, "vmnet-webhook", metav1.GetOptions{})
			return err
		},
		func() error {
			_, err := n.Client.RbacV1().ClusterRoles().Get(ctx, "vmnet-webhook-cert", metav1.GetOptions{})
			return err
		},
		func() error {
			_, err := n.Client.RbacV1().ClusterRoleBindings().Get(ctx, "vmnet-webhook-cert", metav1.GetOptions{})
			return err
		},
	} {
		if err := get(); !apierrors.IsNotFound(err) {
			t.Errorf("an object of the install is still there (get: %v)", err)
		}
	}
	// The pods' processes are gone from the machine.
	deadline = time.Now().Add(time.Minute)
	for len(podProcessesNamed("vmnet-webhook")) > 0 {
		if time.Now().After(deadline) {
			t.Errorf("vmnet-webhook processes still running a minute after undeploy: %v", podProcessesNamed("vmnet-webhook"))
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// waitPods polls the webhook pods until ok says so (3 minutes at most).
func (n *Node) waitPods(ctx context.Context, ok func([]corev1.Pod) bool) error {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		pods, err := n.Client.CoreV1().Pods("vmnet-system").List(ctx, metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=webhook"})
		if err == nil && ok(pods.Items) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("webhook pods not as expected after 3 minutes (%v)", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// checkPodRoutes: inside every pod network namespace the only routes are
// the pods' own subnet and the service range through the bridge: no
// default route, IPv4 or IPv6, so nothing a pod sends can leave the machine.
func (n *Node) checkPodRoutes(t *testing.T) {
	t.Helper()
	ents, err := os.ReadDir("/var/run/netns")
	if err != nil || len(ents) == 0 {
		t.Fatalf("no pod network namespaces (%v)", err)
	}
	for _, e := range ents {
		if n.host.netns[e.Name()] {
			continue
		}
		for _, family := range []string{"-4", "-6"} {
			out, err := exec.Command("ip", "-n", e.Name(), family, "route", "show").CombinedOutput()
			if err != nil {
				t.Fatalf("ip -n %s %s route: %v: %s", e.Name(), family, err, out)
			}
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				dst := strings.Fields(line + " ")[0]
				if line == "" || dst == PodCIDR || dst == ServiceCIDR || dst == PodCIDR6 || (family == "-6" && strings.HasPrefix(dst, "fe80::")) {
					continue
				}
				t.Errorf("pod network %s has route %q", e.Name(), line)
			}
		}
	}
	out, err := exec.Command("ip", "route", "show", ServiceCIDR).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "dev "+Bridge) {
		t.Errorf("the service range is not routed into %s on the host: %s %v", Bridge, out, err)
	}
}

// configChange edits the rule settings as the README says (edit
// manifests/base/config.yaml, deploy again), in a copy of the repository's
// Makefile and manifests so that the clone is left alone: enforcement: warn.
// The pods roll (the ConfigMap's name carries its hash) and the reserved
// port is then admitted with the warning instead of refused.
func (n *Node) configChange(t *testing.T, ctx context.Context, img string) {
	t.Helper()
	root, err := framework.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	copyDir := t.TempDir()
	if out, err := exec.Command("cp", "-r", filepath.Join(root, "Makefile"), filepath.Join(root, "manifests"), copyDir).CombinedOutput(); err != nil {
		t.Fatalf("copy: %v: %s", err, out)
	}
	cfgFile := filepath.Join(copyDir, "manifests", "base", "config.yaml")
	b, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("\nenforcement: deny\n")) {
		t.Fatalf("%s has no line enforcement: deny", cfgFile)
	}
	if err := os.WriteFile(cfgFile, bytes.Replace(b, []byte("\nenforcement: deny\n"), []byte("\nenforcement: warn\n"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	oldPods := map[string]bool{}
	for _, p := range n.webhookPods(t, ctx) {
		oldPods[p.Name] = true
	}
	start := time.Now()
	cmd := exec.Command("make", "deploy", "IMG="+img, "OVERLAY="+overlay, "KUBECTL="+filepath.Join(root, "bin", "kubectl"))
	cmd.Dir = copyDir
	cmd.Env = append(os.Environ(), "KUBECONFIG="+n.CP.Kubeconfig)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make deploy with enforcement: warn: %v\n%s", err, out)
	}
	pods := n.webhookPods(t, ctx)
	for _, p := range pods {
		if oldPods[p.Name] {
			t.Errorf("pod %s from before the change is still there", p.Name)
		}
	}
	t.Logf("config change rolled out in %s (make deploy, pods %d new)", time.Since(start).Round(100*time.Millisecond), len(pods))
	stdout, stderr, err := n.runIn(t, "kubectl", "create", "-f", "examples/reserved-port.yaml")
	if err != nil {
		t.Fatalf("with enforcement: warn, kubectl create -f examples/reserved-port.yaml: %v: %s", err, stderr)
	}
	const warn = "Warning: domain.devices.interfaces[0].ports[1].port: port 49152 is reserved for libvirt's migration; use another port"
	if !strings.Contains(stderr, warn) || !strings.Contains(stdout, "created") {
		t.Errorf("with enforcement: warn, kubectl printed\n%s%s\nwant the warning %q and created", stderr, stdout, warn)
	}
}
