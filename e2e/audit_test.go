package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

// Namespaces of the audit tests: fixed names, so that the expected tables
// are written out in full (no other test uses them).
const (
	auditNS      = "audit-vms"
	auditIgnored = "audit-opted-out"
	// auditNamespaces in the order -A lists them.
	auditNamespaces = auditIgnored + "," + auditNS
)

// auditPool is a VirtualMachinePool whose template lists port 49153.
const auditPool = `apiVersion: pool.kubevirt.io/v1beta1
kind: VirtualMachinePool
metadata:
  name: web-pool
spec:
  selector:
    matchLabels: {app: web}
  virtualMachineTemplate:
    metadata:
      labels: {app: web}
    spec:
      runStrategy: Halted
      template:
        spec:
          domain:
            devices:
              interfaces:
              - name: default
                masquerade: {}
                ports: [{port: 8080}, {port: 49153}]
          networks:
          - name: default
            pod: {}
`

// atServedPool puts the pool of auditPool and auditJSON at the storage
// version served (an older KubeVirt serves v1alpha1 alone).
func atServedPool(s string) string {
	return strings.ReplaceAll(s, "pool.kubevirt.io/v1beta1", "pool.kubevirt.io/"+poolGVR.Version)
}

// auditVMI is a VirtualMachineInstance with port 49152, owned by a VM
// (audit judges the VM's template instead) when ownedBy is set.
func auditVMI(name, ownedBy string) string {
	owner := ""
	if ownedBy != "" {
		owner = `
  ownerReferences:
  - {apiVersion: kubevirt.io/v1, kind: VirtualMachine, name: ` + ownedBy + `, uid: 6f1c0a52-0d59-4c1e-9d7a-3f0b1c2d4e5f, controller: true}`
	}
	return `apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata:
  name: ` + name + owner + `
spec:
  domain:
    devices:
      interfaces:
      - name: default
        masquerade: {}
        ports: [{port: 49152}]
  networks:
  - name: default
    pod: {}
`
}

var auditObjectsOnce sync.Once

// auditObjects stores, while the webhook is unregistered (as on a cluster
// where it was installed after the VMs), the objects the audit tests judge:
// in auditNS the guide's dual-stack VM (admitted, with warnings on the
// networkData it brings), a VM with a reserved port, one with a bad IPv6
// CIDR, a Windows VM with warnings, a pool with a reserved port, a VMI of
// its own with a reserved port and one owned by a VM; in auditIgnored, which
// is labelled vmnet.kubevirt.io/ignore=true, a VM with a reserved port.
func auditObjects(t *testing.T) {
	t.Helper()
	auditObjectsOnce.Do(func() {
		cs := kubernetesClient(t)
		for name, labels := range map[string]map[string]string{
			auditNS: nil, auditIgnored: {"vmnet.kubevirt.io/ignore": "true"},
		} {
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
			if _, err := cs.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
				t.Fatalf("create namespace %s: %v", name, err)
			}
		}
		withoutWebhooks(t, func() {
			for _, f := range []string{"guide-dual-stack-vm.yaml", "reserved-port.yaml", "bad-cidr.yaml", "windows-e1000.yaml"} {
				mustKubectl(t, "", "create", "-n", auditNS, "-f", "examples/"+f)
			}
			mustKubectl(t, atServedPool(auditPool), "create", "-n", auditNS, "-f", "-")
			mustKubectl(t, auditVMI("lone-vmi", ""), "create", "-n", auditNS, "-f", "-")
			mustKubectl(t, auditVMI("reserved-port", "reserved-port"), "create", "-n", auditNS, "-f", "-")
			mustKubectl(t, "", "create", "-n", auditIgnored, "-f", "examples/reserved-port.yaml")
		})
	})
}

// audit runs bin/vmnet-webhook audit with the admin's kubeconfig (in
// KUBECONFIG, as a user has it) and the harness's pod IPs.
func audit(t *testing.T, kubeconfig string, args ...string) run {
	t.Helper()
	bin, err := framework.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	return runCmd(t, exec.Command(filepath.Join(bin, "vmnet-webhook"), append([]string{"audit", "--pod-ips", framework.PodIPs}, args...)...), kubeconfig)
}

// runCmd runs cmd in the repository's root with KUBECONFIG set.
func runCmd(t *testing.T, cmd *exec.Cmd, kubeconfig string) run {
	t.Helper()
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, "KUBECONFIG="+kubeconfig)
	return execute(t, cmd)
}

const auditTable = `NAMESPACE   KIND                     NAME              RESULT    DETAIL
audit-vms   VirtualMachine           bad-cidr          refused   spec.template.spec.networks[0].pod.vmIPv6NetworkCIDR: Invalid value: "fd10:0:2::/127": must be an IPv6 CIDR with prefix /126 or shorter (at least 4 addresses), e.g. fd10:0:2::/120
audit-vms   VirtualMachine           example-vm-ipv6   warning   volumes[1].cloudInitNoCloud.networkData: ethernets.eth0 has no match: on a guest whose NIC is not eth0 (enp1s0 on q35)
audit-vms   VirtualMachine           example-vm-ipv6   warning   volumes[1].cloudInitNoCloud.networkData: cloud-init sets up no NIC: the VM loses IPv4 too
audit-vms   VirtualMachine           example-vm-ipv6   warning   volumes[1].cloudInitNoCloud.networkData: fix: set the pod interface's macAddress and match that MAC and set-name: eth0,
audit-vms   VirtualMachine           example-vm-ipv6   warning   volumes[1].cloudInitNoCloud.networkData: or delete networkData: the webhook writes it
audit-vms   VirtualMachine           example-vm-ipv6   warning   volumes[1].cloudInitNoCloud.networkData: ethernets.eth0: gateway6 is deprecated in cloud-init 22.4 and set to go in
audit-vms   VirtualMachine           example-vm-ipv6   warning   volumes[1].cloudInitNoCloud.networkData: 27.4, and newer guests report a degraded boot for it; fix: network config
audit-vms   VirtualMachine           example-vm-ipv6   warning   volumes[1].cloudInitNoCloud.networkData: version 1, with gateway fd10:0:2::1 on a static6 subnet, or delete
audit-vms   VirtualMachine           example-vm-ipv6   warning   volumes[1].cloudInitNoCloud.networkData: networkData: the webhook writes one that works
audit-vms   VirtualMachine           reserved-port     refused   spec.template.spec.domain.devices.interfaces[0].ports[1].port: Forbidden: port 49152 is reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use a port other than 49152 and 49153
audit-vms   VirtualMachine           reserved-port     adds      MAC address, IPv6 networkData, cloud-init disk
audit-vms   VirtualMachine           windows-e1000     warning   spec.template.spec.networks[0].pod: Windows: set IPv6 fd10:0:2::2/120, gateway fd10:0:2::1 in the guest
audit-vms   VirtualMachine           windows-e1000     warning   spec.template.spec.domain.devices.interfaces[0].model: without virtio, Windows ignores the DHCP MTU; set it with netsh
audit-vms   VirtualMachinePool       web-pool          refused   spec.virtualMachineTemplate.spec.template.spec.domain.devices.interfaces[0].ports[1].port: Forbidden: port 49153 is reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use a port other than 49152 and 49153
audit-vms   VirtualMachineInstance   lone-vmi          refused   spec.domain.devices.interfaces[0].ports[0].port: Forbidden: port 49152 is reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use a port other than 49152 and 49153
audit-vms   VirtualMachineInstance   lone-vmi          adds      MAC address, IPv6 networkData, cloud-init disk
`

const auditSummary = "audited 6 objects: 4 would be refused, 2 would be changed, 2 would get warnings; " +
	"not audited: 1 in a namespace the webhook skips, 1 made by a controller from a template audited here\n"

// Objects stored before the webhook was there, judged as the webhook would
// judge them created now: the refusals with the words and field paths a
// user would read, what would be added, the warnings (the guide's recipe's
// among them). The opted-out namespace and the VMI its VM made have no row.
func TestAuditTable(t *testing.T) {
	auditObjects(t)
	r := audit(t, cp.Kubeconfig, "-n", auditNamespaces)
	if r.code != 1 || r.stdout != auditTable || r.stderr != auditSummary {
		t.Errorf("exit %d, want 1\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant:\n%s", r.code, r.stdout, auditTable, r.stderr, auditSummary)
	}
	// Pages of one object each (limit and continue): the same verdicts.
	if p := audit(t, cp.Kubeconfig, "-n", auditNamespaces, "--chunk-size", "1"); p != r {
		t.Errorf("--chunk-size 1: exit %d\nstdout:\n%s\nstderr:\n%s\nwant the same as in one page", p.code, p.stdout, p.stderr)
	}
	// The refusals are the ones the webhook gives when the objects are
	// created with it registered.
	if !strings.Contains(auditTable, reserved("spec.template.spec.domain.devices.interfaces[0].ports[1].port", 49152)) {
		t.Error("the table's refusal is not the webhook's")
	}
	rr := kubectl(t, "", "create", "--dry-run=server", "-n", auditNS, "-f", "examples/reserved-port.yaml")
	if want := denied("examples/reserved-port.yaml") + reserved("spec.template.spec.domain.devices.interfaces[0].ports[1].port", 49152) + "\n"; rr.stderr != want {
		t.Errorf("the webhook refuses with\n%q\nwant\n%q", rr.stderr, want)
	}
}

// What a refusal means for a VM already stored: once the webhook is
// registered, the VMI its controller creates to start it is refused too, so
// such a VM does not start again until its port is fixed.
func TestAuditRefusedVMDoesNotStart(t *testing.T) {
	auditObjects(t)
	r := kubectl(t, auditVMI("reserved-port-restart", "reserved-port"), "create", "--dry-run=server", "-n", auditNS, "-f", "-")
	want := `Error from server (Forbidden): error when creating "STDIN": admission webhook "validate-vmi.vmnet.kubevirt.io" denied the request: ` +
		reserved("spec.domain.devices.interfaces[0].ports[0].port", 49152) + "\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("the VMI a refused VM starts: exit %d stderr\n%q\nwant\n%q", r.code, r.stderr, want)
	}
}

// -o json lists every object judged, the skipped ones too,
// with the summary; -o yaml is the same document.
func TestAuditJSON(t *testing.T) {
	auditObjects(t)
	r := audit(t, cp.Kubeconfig, "-n", auditNamespaces, "-o", "json")
	if want := atServedPool(auditJSON); r.code != 1 || r.stdout != want || r.stderr != auditSummary {
		t.Errorf("exit %d, want 1\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", r.code, r.stdout, want, r.stderr)
	}
	y := audit(t, cp.Kubeconfig, "-n", auditNamespaces, "-o", "yaml")
	if y.code != 1 {
		t.Errorf("-o yaml: exit %d, want 1", y.code)
	}
	sameJSON(t, "-o yaml", parse(t, y.stdout).Object, r.stdout)
}

// Exit status 0 when nothing would be refused, whatever else there is to
// say; -l selects objects by label as kubectl does.
func TestAuditExitStatuses(t *testing.T) {
	auditObjects(t)
	r := audit(t, cp.Kubeconfig, "-n", auditNS, "-l", "vm.kubevirt.io/template=windows2k22-server-medium")
	wantOut := `NAMESPACE   KIND             NAME            RESULT    DETAIL
audit-vms   VirtualMachine   windows-e1000   warning   spec.template.spec.networks[0].pod: Windows: set IPv6 fd10:0:2::2/120, gateway fd10:0:2::1 in the guest
audit-vms   VirtualMachine   windows-e1000   warning   spec.template.spec.domain.devices.interfaces[0].model: without virtio, Windows ignores the DHCP MTU; set it with netsh
`
	wantErr := "audited 1 object: 0 would be refused, 0 would be changed, 1 would get warnings\n"
	if r.code != 0 || r.stdout != wantOut || r.stderr != wantErr {
		t.Errorf("-l: exit %d, want 0\nstdout:\n%s\nwant:\n%s\nstderr %q\nwant %q", r.code, r.stdout, wantOut, r.stderr, wantErr)
	}

	r = audit(t, cp.Kubeconfig, "-n", auditIgnored)
	wantErr = "audited 0 objects: 0 would be refused, 0 would be changed, 0 would get warnings; not audited: 1 in a namespace the webhook skips\n"
	if r.code != 0 || r.stdout != "" || r.stderr != wantErr {
		t.Errorf("opted-out namespace: exit %d stdout %q stderr %q, want 0, nothing, %q", r.code, r.stdout, r.stderr, wantErr)
	}

	r = audit(t, cp.Kubeconfig, "-n", "audit-no-such-namespace")
	wantErr = "vmnet-webhook audit: namespace \"audit-no-such-namespace\" not found\n"
	if r.code != 2 || r.stdout != "" || r.stderr != wantErr {
		t.Errorf("missing namespace: exit %d stderr %q, want 2 %q", r.code, r.stderr, wantErr)
	}

	// Credentials the API server does not accept: one line, exit 2.
	kcfg, err := clientcmd.LoadFromFile(cp.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range kcfg.AuthInfos {
		*u = clientcmdapi.AuthInfo{Token: "not-a-token"}
	}
	bogus := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kcfg, bogus); err != nil {
		t.Fatal(err)
	}
	r = audit(t, bogus, "-n", auditNS)
	wantErr = "vmnet-webhook audit: unauthorized: the API server at " + cp.URL + " does not accept the kubeconfig's credentials\n"
	if r.code != 2 || r.stdout != "" || r.stderr != wantErr {
		t.Errorf("bad credentials: exit %d stdout %q stderr %q, want 2 and %q", r.code, r.stdout, r.stderr, wantErr)
	}

	// An API server that does not answer: one line, exit 2.
	dead := filepath.Join(t.TempDir(), "kubeconfig")
	kc, err := os.ReadFile(cp.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dead, []byte(strings.ReplaceAll(string(kc), cp.URL, "https://127.0.0.1:1")), 0o600); err != nil {
		t.Fatal(err)
	}
	r = audit(t, dead, "-n", auditNS)
	if r.code != 2 || r.stdout != "" || strings.Count(r.stderr, "\n") != 1 ||
		!strings.HasPrefix(r.stderr, "vmnet-webhook audit: cannot reach the API server at https://127.0.0.1:1: ") {
		t.Errorf("unreachable API server: exit %d stdout %q stderr %q, want 2 and one line", r.code, r.stdout, r.stderr)
	}
}

// On a terminal, stderr shows a running count, erased before the summary;
// elsewhere (every other test here) stderr has the summary alone. script(1)
// gives the command a terminal.
func TestAuditProgressOnTerminal(t *testing.T) {
	auditObjects(t)
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script(1), which gives a command a terminal, is not installed")
	}
	bin, err := framework.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	line := fmt.Sprintf("%q audit --pod-ips %s -n %s >/dev/null", filepath.Join(bin, "vmnet-webhook"), framework.PodIPs, auditNamespaces)
	r := runCmd(t, exec.Command(script, "-qec", line, "/dev/null"), cp.Kubeconfig)
	const erase = "\r\x1b[K"
	// One line per page: the two namespaces, of each kind in turn.
	want := ""
	for _, p := range []string{"1 object read (virtualmachines)", "5 objects read (virtualmachines)",
		"5 objects read (virtualmachineinstancereplicasets)", "5 objects read (virtualmachineinstancereplicasets)",
		"5 objects read (virtualmachinepools)", "6 objects read (virtualmachinepools)",
		"6 objects read (virtualmachineinstances)", "8 objects read (virtualmachineinstances)"} {
		want += erase + p
	}
	want += erase + strings.ReplaceAll(auditSummary, "\n", "\r\n")
	if r.code != 1 || r.stdout != want {
		t.Errorf("on a terminal: exit %d, output\n%q\nwant\n%q", r.code, r.stdout, want)
	}
}

// A user with no permission gets one line naming the verb and resource to
// grant, exit 2; with the ClusterRole of manifests/audit bound, the same
// user sees exactly what the admin sees.
func TestAuditAsLeastPrivilegedUser(t *testing.T) {
	auditObjects(t)
	kc, err := cp.UserKubeconfig("auditor")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, `vmnet-webhook audit: forbidden: this user may not get validatingwebhookconfigurations.admissionregistration.k8s.io; grant "get" on validatingwebhookconfigurations.admissionregistration.k8s.io (manifests/audit has the roles with all that audit needs)` + "\n"},
		{[]string{"-n", auditNS, "--config", "manifests/base/config.yaml"}, `vmnet-webhook audit: forbidden: this user may not get namespaces; grant "get" on namespaces (manifests/audit has the roles with all that audit needs)` + "\n"},
	} {
		r := audit(t, kc, tc.args...)
		if r.code != 2 || r.stdout != "" || r.stderr != tc.want {
			t.Errorf("audit %v without permission: exit %d stdout %q\nstderr %q\nwant 2 and %q", tc.args, r.code, r.stdout, r.stderr, tc.want)
		}
	}

	// The Role is in the webhook's namespace, which an install makes.
	mustKubectl(t, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: vmnet-system\n", "apply", "-f", "-")
	mustKubectl(t, "", "apply", "-k", "manifests/audit")
	mustKubectl(t, "", "create", "clusterrolebinding", "vmnet-webhook-audit-auditor", "--clusterrole=vmnet-webhook-audit", "--user=auditor")
	mustKubectl(t, "", "create", "rolebinding", "-n", "vmnet-system", "vmnet-webhook-audit-auditor", "--role=vmnet-webhook-audit", "--user=auditor")
	r := audit(t, kc, "-n", auditNamespaces)
	if r.code != 1 || r.stdout != auditTable || r.stderr != auditSummary {
		t.Errorf("with the ClusterRole: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	// All namespaces, as JSON: the other tests' objects are there too; the
	// two namespaces' items are the same.
	r = audit(t, kc, "-A", "-o", "json")
	var all, want struct{ Items []map[string]any }
	if err := json.Unmarshal([]byte(r.stdout), &all); err != nil || r.code != 1 {
		t.Fatalf("-A -o json with the ClusterRole: exit %d, %v\nstdout:\n%s\nstderr:\n%s", r.code, err, r.stdout, r.stderr)
	}
	if err := json.Unmarshal([]byte(atServedPool(auditJSON)), &want); err != nil {
		t.Fatal(err)
	}
	var ours []map[string]any
	for _, it := range all.Items {
		if ns := it["namespace"]; ns == auditNS || ns == auditIgnored {
			ours = append(ours, it)
		}
	}
	sameJSON(t, "-A: the items of "+auditNS+" and "+auditIgnored, ours, toJSON(t, want.Items))
}

// Installed on PATH as kubectl-vmnet, the binary is a kubectl plugin:
// kubectl plugin list finds it, and kubectl vmnet audit and kubectl vmnet
// preview are the commands.
func TestAuditKubectlPlugin(t *testing.T) {
	auditObjects(t)
	dir := t.TempDir()
	// What make install-plugin does.
	install := exec.Command("make", "-s", "install-plugin", "PLUGIN_DIR="+dir)
	install.Dir = root
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("make install-plugin: %v\n%s", err, out)
	}
	kubectlIn := func(args ...string) run {
		cmd := exec.Command(cp.KubectlPath(), args...)
		cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"),
			"KUBECACHEDIR="+filepath.Join(cp.Dir, "kubectl-cache"))
		return runCmd(t, cmd, cp.Kubeconfig)
	}

	r := kubectlIn("plugin", "list")
	if want := filepath.Join(dir, "kubectl-vmnet") + "\n"; r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Errorf("kubectl plugin list: exit %d stdout %q stderr %q, want %q listed", r.code, r.stdout, r.stderr, want)
	}
	r = kubectlIn("vmnet", "audit", "--pod-ips", framework.PodIPs, "-n", auditNamespaces)
	if r.code != 1 || r.stdout != auditTable || r.stderr != auditSummary {
		t.Errorf("kubectl vmnet audit: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = kubectlIn("vmnet", "preview", "--pod-ips", framework.PodIPs, "-f", "examples/reserved-port.yaml")
	want := `Error from server (Forbidden): admission webhook "validate.vmnet.kubevirt.io" denied the request: ` +
		reserved("spec.template.spec.domain.devices.interfaces[0].ports[1].port", 49152) + "\n"
	if r.code != 1 || r.stdout != "" || r.stderr != want {
		t.Errorf("kubectl vmnet preview: exit %d stdout %q\nstderr %q\nwant %q", r.code, r.stdout, r.stderr, want)
	}
	r = kubectlIn("vmnet", "audit", "--help")
	if r.code != 0 || !strings.HasPrefix(r.stderr, "Usage: kubectl vmnet audit [flags]\n") {
		t.Errorf("kubectl vmnet audit --help: exit %d stderr %q, want 0 and the usage as the plugin's", r.code, r.stderr)
	}
	r = kubectlIn("vmnet")
	if r.code != 2 || !strings.HasPrefix(r.stderr, "kubectl vmnet: ") || !strings.Contains(r.stderr, "kubectl vmnet audit") {
		t.Errorf("kubectl vmnet: exit %d stderr %q, want 2 and the plugin's usage", r.code, r.stderr)
	}
}

// auditJSON is what -o json prints for auditNamespaces.
const auditJSON = `{
    "summary": {
        "audited": 6,
        "refused": 4,
        "changed": 2,
        "warned": 2,
        "skipped": 1,
        "fromTemplate": 1
    },
    "items": [
        {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachine",
            "namespace": "audit-opted-out",
            "name": "reserved-port",
            "result": "skipped",
            "reason": "namespace audit-opted-out is labelled vmnet.kubevirt.io/ignore=true"
        },
        {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachine",
            "namespace": "audit-vms",
            "name": "bad-cidr",
            "result": "refused",
            "refusals": [
                {
                    "webhook": "validate.vmnet.kubevirt.io",
                    "field": "spec.template.spec.networks[0].pod.vmIPv6NetworkCIDR",
                    "message": "spec.template.spec.networks[0].pod.vmIPv6NetworkCIDR: Invalid value: \"fd10:0:2::/127\": must be an IPv6 CIDR with prefix /126 or shorter (at least 4 addresses), e.g. fd10:0:2::/120"
                }
            ]
        },
        {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachine",
            "namespace": "audit-vms",
            "name": "example-vm-ipv6",
            "result": "admitted",
            "warnings": [
                "volumes[1].cloudInitNoCloud.networkData: ethernets.eth0 has no match: on a guest whose NIC is not eth0 (enp1s0 on q35)",
                "volumes[1].cloudInitNoCloud.networkData: cloud-init sets up no NIC: the VM loses IPv4 too",
                "volumes[1].cloudInitNoCloud.networkData: fix: set the pod interface's macAddress and match that MAC and set-name: eth0,",
                "volumes[1].cloudInitNoCloud.networkData: or delete networkData: the webhook writes it",
                "volumes[1].cloudInitNoCloud.networkData: ethernets.eth0: gateway6 is deprecated in cloud-init 22.4 and set to go in",
                "volumes[1].cloudInitNoCloud.networkData: 27.4, and newer guests report a degraded boot for it; fix: network config",
                "volumes[1].cloudInitNoCloud.networkData: version 1, with gateway fd10:0:2::1 on a static6 subnet, or delete",
                "volumes[1].cloudInitNoCloud.networkData: networkData: the webhook writes one that works"
            ]
        },
        {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachine",
            "namespace": "audit-vms",
            "name": "reserved-port",
            "result": "refused",
            "refusals": [
                {
                    "webhook": "validate.vmnet.kubevirt.io",
                    "field": "spec.template.spec.domain.devices.interfaces[0].ports[1].port",
                    "message": "spec.template.spec.domain.devices.interfaces[0].ports[1].port: Forbidden: port 49152 is reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use a port other than 49152 and 49153"
                }
            ],
            "additions": [
                "MAC address",
                "IPv6 networkData",
                "cloud-init disk"
            ]
        },
        {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachine",
            "namespace": "audit-vms",
            "name": "windows-e1000",
            "result": "admitted",
            "warnings": [
                "spec.template.spec.networks[0].pod: Windows: set IPv6 fd10:0:2::2/120, gateway fd10:0:2::1 in the guest",
                "spec.template.spec.domain.devices.interfaces[0].model: without virtio, Windows ignores the DHCP MTU; set it with netsh"
            ]
        },
        {
            "apiVersion": "pool.kubevirt.io/v1beta1",
            "kind": "VirtualMachinePool",
            "namespace": "audit-vms",
            "name": "web-pool",
            "result": "refused",
            "refusals": [
                {
                    "webhook": "validate.vmnet.kubevirt.io",
                    "field": "spec.virtualMachineTemplate.spec.template.spec.domain.devices.interfaces[0].ports[1].port",
                    "message": "spec.virtualMachineTemplate.spec.template.spec.domain.devices.interfaces[0].ports[1].port: Forbidden: port 49153 is reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use a port other than 49152 and 49153"
                }
            ]
        },
        {
            "apiVersion": "kubevirt.io/v1",
            "kind": "VirtualMachineInstance",
            "namespace": "audit-vms",
            "name": "lone-vmi",
            "result": "refused",
            "refusals": [
                {
                    "webhook": "validate-vmi.vmnet.kubevirt.io",
                    "field": "spec.domain.devices.interfaces[0].ports[0].port",
                    "message": "spec.domain.devices.interfaces[0].ports[0].port: Forbidden: port 49152 is reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use a port other than 49152 and 49153"
                }
            ],
            "additions": [
                "MAC address",
                "IPv6 networkData",
                "cloud-init disk"
            ]
        }
    ]
}
`
