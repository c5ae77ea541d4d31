// Package e2e tests vmnet-webhook where it lives: behind a real
// kube-apiserver with KubeVirt's CRDs, through bin/kubectl as a user types it
// and through client-go. One control plane and one webhook serve the whole
// package (starting them costs seconds); each test works in namespaces of
// its own, and a test that unregisters or replaces the webhook puts the
// shared one back before it returns.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

var (
	// cp and wh are shared by every test of the package (TestMain).
	cp *framework.ControlPlane
	wh *framework.Webhook
	// root is the repository's top directory: kubectl runs there, so that
	// `-f examples/x.yaml` reads and prints as the user typed it.
	root string
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	ctx := context.Background()
	var err error
	if root, err = framework.RepoRoot(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if cp, err = framework.Start(ctx, framework.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, "control plane:", err)
		return 1
	}
	defer cp.Stop()
	if wh, err = cp.StartWebhook(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "webhook:", err)
		return 1
	}
	if err := cp.RegisterWebhooks(ctx, wh); err != nil {
		fmt.Fprintln(os.Stderr, "register webhooks:", err)
		return 1
	}
	if err := readServed(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "KubeVirt's CRDs:", err)
		return 1
	}
	servePool()
	code := m.Run()
	if code != 0 {
		cp.KeepForInspection(os.Stderr)
	}
	return code
}

// Resources of the four kinds, at the versions the tests use.
var (
	vmGVR    = schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachines"}
	vmiGVR   = schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachineinstances"}
	vmirsGVR = schema.GroupVersionResource{Group: "kubevirt.io", Version: "v1", Resource: "virtualmachineinstancereplicasets"}
	// poolGVR's version is the storage version served (servePool).
	poolGVR   = schema.GroupVersionResource{Group: "pool.kubevirt.io", Resource: "virtualmachinepools"}
	nsCounter atomic.Int64
)

// newNamespace creates a namespace for one test, with labels. Namespaces
// are not deleted: no namespace controller runs to finish the deletion, and
// the control plane goes at the end of the package.
func newNamespace(t *testing.T, labels map[string]string) string {
	t.Helper()
	slug := strings.Trim(regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(strings.ToLower(t.Name()), "-"), "-")
	name := fmt.Sprintf("t%d-%s", nsCounter.Add(1), slug)
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-")
	}
	cs := kubernetes.NewForConfigOrDie(cp.Config)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if _, err := cs.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	return name
}

// run is one kubectl invocation: what the user sees.
type run struct {
	stdout, stderr string
	code           int // exit status
}

// kubectl runs bin/kubectl in the repository's root with args (add "-n",
// ns yourself), stdin feeding "-f -" when not empty.
func kubectl(t *testing.T, stdin string, args ...string) run {
	t.Helper()
	cmd := cp.KubectlCmd(context.Background(), args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	return execute(t, cmd)
}

// execute runs cmd in the repository's root: what the user sees, and the
// exit status; a command that cannot run at all fails the test.
func execute(t *testing.T, cmd *exec.Cmd) run {
	t.Helper()
	cmd.Dir = root
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := run{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%v: %v", cmd.Args, err)
	}
	return r
}

// mustKubectl is kubectl that must exit 0.
func mustKubectl(t *testing.T, stdin string, args ...string) run {
	t.Helper()
	r := kubectl(t, stdin, args...)
	if r.code != 0 {
		t.Fatalf("kubectl %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// warnings collects the API server's warnings to a client-go client.
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) HandleWarningHeader(code int, agent, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

func (w *warnings) get() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.list...)
}

// client is a dynamic client whose warnings are collected.
func client(t *testing.T) (dynamic.Interface, *warnings) {
	t.Helper()
	w := &warnings{}
	cfg := rest.CopyConfig(cp.Config)
	cfg.WarningHandler = w
	cfg.QPS = -1 // no client-side throttling: tests send bursts
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return dc, w
}

// stored reads an object back from the API server.
func stored(t *testing.T, gvr schema.GroupVersionResource, ns, name string) *unstructured.Unstructured {
	t.Helper()
	dc, _ := client(t)
	obj, err := dc.Resource(gvr).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get %s %s/%s: %v", gvr.Resource, ns, name, err)
	}
	return obj
}

// absent checks that no object of that name was stored.
func absent(t *testing.T, gvr schema.GroupVersionResource, ns, name string) {
	t.Helper()
	dc, _ := client(t)
	_, err := dc.Resource(gvr).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err == nil {
		t.Errorf("%s %s/%s was stored", gvr.Resource, ns, name)
	} else if !strings.Contains(err.Error(), "not found") {
		t.Errorf("get %s %s/%s: %v", gvr.Resource, ns, name, err)
	}
}

// example reads examples/<name> as an object.
func example(t *testing.T, name string) *unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return parse(t, string(b))
}

// parse reads one YAML or JSON object.
func parse(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
		t.Fatalf("parse: %v\n%s", err, doc)
	}
	return &unstructured.Unstructured{Object: m}
}

// field returns the value at a path of map keys and list indexes.
func field(t *testing.T, obj map[string]any, path ...any) any {
	t.Helper()
	var v any = obj
	for i, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%v: not an object at %v", path, path[:i])
			}
			if v, ok = m[k]; !ok {
				t.Fatalf("%v: no %q at %v; have %v", path, k, path[:i], keys(m))
			}
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				t.Fatalf("%v: no item %d at %v (%T of %d)", path, k, path[:i], v, len(l))
			}
			v = l[k]
		}
	}
	return v
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// toJSON is a canonical form for comparisons (map keys sorted).
func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(j)
}

// sameJSON fails unless got and the JSON or YAML in want are equal.
func sameJSON(t *testing.T, what string, got any, want string) {
	t.Helper()
	var w any
	if err := yaml.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad expectation: %v", what, err)
	}
	if g, ww := toJSON(t, got), toJSON(t, w); g != ww {
		t.Errorf("%s:\n got %s\nwant %s", what, g, ww)
	}
}

// networkData is what the rules write for the default pod CIDR, for the
// pod network's NIC with the given MAC.
func networkData(mac string) string {
	return networkDataFor(mac, "fd10:0:2::2/120", "fd10:0:2::1")
}

// networkDataFor is what the rules write for the NIC with the given MAC,
// address and gateway.
func networkDataFor(mac, addr, gw string) string {
	return `# vmnet-webhook: pod network, IPv6 by static address
version: 1
config:
  - type: physical
    name: eth0
    mac_address: "` + mac + `"
    subnets:
      - type: dhcp4
      - type: static6
        address: ` + addr + `
        gateway: ` + gw + `
`
}

// assignedMAC returns the macAddress the webhook gave the first interface
// of spec, after checking it is one it may give: a locally administered
// unicast MAC, in the colon form.
func assignedMAC(t *testing.T, spec map[string]any) string {
	t.Helper()
	mac, _ := field(t, spec, "domain", "devices", "interfaces", 0, "macAddress").(string)
	hw, err := net.ParseMAC(mac)
	if err != nil || len(hw) != 6 || hw.String() != mac || hw[0]&1 != 0 || hw[0]&2 == 0 {
		t.Fatalf("macAddress %q is not a locally administered unicast MAC in colon form", mac)
	}
	return mac
}

// denied is the prefix kubectl prints for a refusal by the validating
// webhook of VM, VMIRS and pool creates, for a file given with -f.
func denied(file string) string {
	return `Error from server (Forbidden): error when creating "` + file + `": admission webhook "validate.vmnet.kubevirt.io" denied the request: `
}

// reserved is the denial text of one reserved port.
func reserved(path string, port int) string {
	return fmt.Sprintf("%s: Forbidden: port %d is reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use a port other than 49152 and 49153", path, port)
}

// readRoot reads a file relative to the repository's root.
func readRoot(rel string) ([]byte, error) {
	return os.ReadFile(filepath.Join(root, rel))
}

// kubernetesClient is a typed client for the built-in kinds.
func kubernetesClient(t *testing.T) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cp.Config)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}
