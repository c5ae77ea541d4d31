// Package guest boots real Linux guests under qemu with the cloud-init seed
// that KubeVirt's virt-launcher would build from VMs as the webhook stored
// them, and checks that the guests get IPv4 by DHCP, the IPv6 address and
// the IPv6 default route. It takes tens of minutes, needs root and Debian
// packages (e2e/guest/setup.sh), and runs only when VMNET_GUEST_TEST=1, as
// `make test-guest` sets it.
package guest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

// guestCase is one boot: a VM of examples/ as the webhook stored it, in a
// guest image with one cloud-init renderer and one NIC naming scheme.
type guestCase struct {
	Name     string // the VM's name and the subtest's
	Example  string // file in examples/
	OptOut   bool   // created with vmnet.kubevirt.io/mutate: "false"
	Renderer string // image: eni, netplan, networkd or network-manager
	IfNames0 bool   // net.ifnames=0: the NIC is eth0, not enp1s0
	Want     outcome
}

// outcome is what a guest must end up with.
type outcome int

const (
	// dualStack: IPv4 by DHCP, the IPv6 address and the IPv6 default route.
	dualStack outcome = iota
	// ipv4Only: what a guest gets from cloud-init's fallback config.
	ipv4Only
	// noNetwork: what a config naming a NIC the guest does not have gives
	// (the guide's own eth0 block on a guest that names its NIC enp1s0).
	// The case shows the test can see the failure the webhook's config
	// exists to avoid.
	noNetwork
)

func (o outcome) String() string {
	return [...]string{"IPv4 + IPv6", "IPv4 only", "no network"}[o]
}

func (c guestCase) nic() string {
	if c.IfNames0 {
		return "eth0"
	}
	return "enp1s0"
}

// cases: both NIC namings, four renderers, the examples whose cloud-init
// the webhook writes or extends, the same guests without the injection
// (IPv4 only: what they had before), and the guide's own network config,
// which the webhook keeps, on a guest it does not fit (no network). Two boot at a time.
var cases = []guestCase{
	{Name: "guide-enp1s0-eni", Example: "guide-vm.yaml", Renderer: "eni"},
	{Name: "guide-eth0-eni", Example: "guide-vm.yaml", Renderer: "eni", IfNames0: true},
	{Name: "guide-enp1s0-netplan", Example: "guide-vm.yaml", Renderer: "netplan"},
	{Name: "bare-enp1s0-networkd", Example: "bare-vm.yaml", Renderer: "networkd"},
	{Name: "userdata-eth0-netplan", Example: "userdata-kept.yaml", Renderer: "netplan", IfNames0: true},
	{Name: "cidr-enp1s0-eni", Example: "custom-ipv6-cidr.yaml", Renderer: "eni"},
	{Name: "ownmac-enp1s0-netplan", Example: "own-mac.yaml", Renderer: "netplan"},
	{Name: "replica-enp1s0-eni", Example: "replicaset.yaml", Renderer: "eni"},
	{Name: "guide-enp1s0-nm", Example: "guide-vm.yaml", Renderer: "network-manager"},
	{Name: "optout-enp1s0-eni", Example: "userdata-kept.yaml", OptOut: true, Renderer: "eni", Want: ipv4Only},
	{Name: "optout-enp1s0-netplan", Example: "userdata-kept.yaml", OptOut: true, Renderer: "netplan", Want: ipv4Only},
	{Name: "ownnd-enp1s0-eni", Example: "guide-dual-stack-vm.yaml", Renderer: "eni", Want: noNetwork},
}

// parallel is how many guests boot at once: the machines this runs on have
// two cores.
const parallel = 2

// webhookArgs are the flags `vmnet-webhook serve` gets here: the default
// mode, which injects because the harness gives the server a dual-stack
// POD_IPS (framework.PodIPs), as on a cluster with IPv6.
var webhookArgs = []string{"--ipv6-inject=auto"}

func TestGuests(t *testing.T) {
	if os.Getenv("VMNET_GUEST_TEST") != "1" {
		t.Skip("boots real Linux guests under qemu (tens of minutes, root): run `make test-guest`, or set VMNET_GUEST_TEST=1 after e2e/guest/setup.sh")
	}
	began := time.Now()
	root, err := framework.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range []string{"qemu-system-x86_64", "dnsmasq", "xorriso", "ip", "ping", "nsenter", "unshare"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run e2e/guest/setup.sh (make test-guest does)", tool)
		}
	}
	// Logs of every boot: serial console, qemu, dnsmasq, the seed.
	out := filepath.Join(root, "bin", "guest")
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}

	// Every process (control plane, qemu, dnsmasq, the namespaces'
	// holders) is started through the harness, which stops them all on
	// SIGINT or SIGTERM.
	imgStart := time.Now()
	images, built := buildImages(t, root)
	imgSeconds := time.Since(imgStart).Seconds()
	t.Logf("images: %s in %.0fs (%s)", images, imgSeconds, map[bool]string{true: "built", false: "cached"}[built])
	pkgs := packages(images)

	acc, why := probeAccel(t, filepath.Join(images, "eni"), out)
	t.Logf("accelerator: %s (%s)", acc.Name, why)

	// The control plane only stores the VMs; it is stopped before the
	// guests boot, so that it takes no CPU from them.
	ctx := context.Background()
	cpStart := time.Now()
	cp, err := framework.Start(ctx, framework.Options{})
	if err != nil {
		t.Fatalf("control plane: %v", err)
	}
	t.Cleanup(cp.Stop)
	wh, err := cp.StartWebhook(ctx, webhookArgs...)
	if err != nil {
		t.Fatalf("webhook: %v", err)
	}
	if err := cp.RegisterWebhooks(ctx, wh); err != nil {
		t.Fatalf("register webhooks: %v", err)
	}
	t.Logf("webhook: %s, POD_IPS=%s", strings.Join(webhookArgs, " "), framework.PodIPs)
	const ns = "guests"
	if _, stderr, err := cp.Kubectl(ctx, "", "create", "namespace", ns); err != nil {
		t.Fatalf("create namespace: %v: %s", err, stderr)
	}
	specs := make([]vmSpec, len(cases))
	for i, c := range cases {
		specs[i] = storeVM(t, cp, root, ns, c)
	}
	cp.Stop()
	t.Logf("control plane: %d VMs stored and read back in %.0fs", len(cases), time.Since(cpStart).Seconds())

	results := make([]result, len(cases))
	bootStart := time.Now()
	sem := make(chan struct{}, parallel)
	t.Run("boot", func(t *testing.T) {
		for i, c := range cases {
			t.Run(c.Name, func(t *testing.T) {
				t.Parallel()
				sem <- struct{}{}
				defer func() { <-sem }()
				runCase(t, &results[i], c, specs[i], images, acc, filepath.Join(out, c.Name))
			})
		}
	})
	bootSeconds := time.Since(bootStart).Seconds()

	rep := report{
		Results: results, Accel: acc, AccelWhy: why, Packages: pkgs,
		ImageSeconds: imgSeconds, ImagesBuilt: built, BootSeconds: bootSeconds,
		TotalSeconds: time.Since(began).Seconds(), Parallel: parallel, When: time.Now().UTC(),
	}
	table := rep.markdown()
	fmt.Printf("\n%s\n", table)
	if err := os.WriteFile(filepath.Join(out, "results.md"), []byte(table), 0o644); err != nil {
		t.Error(err)
	}
	// make test-guest regenerates the file the README links to.
	if dest := os.Getenv("GUEST_RESULTS"); dest != "" {
		if !filepath.IsAbs(dest) {
			dest = filepath.Join(root, dest)
		}
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			t.Error(err)
		} else if err := os.WriteFile(dest, []byte(table), 0o644); err != nil {
			t.Error(err)
		}
	}
	if t.Failed() {
		t.Logf("logs of every boot (serial console, qemu, dnsmasq, seed) are kept in %s", out)
	}
}

// buildImages runs images.sh, which prints the folder of the (cached)
// images; built is whether it had to build them. GUEST_IMAGES names a
// folder of images to use instead (while changing images.sh).
func buildImages(t *testing.T, root string) (dir string, built bool) {
	t.Helper()
	if dir := os.Getenv("GUEST_IMAGES"); dir != "" {
		return dir, false
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(filepath.Join(root, "e2e", "guest", "images.sh"))
	cmd.Stdout = &stdout
	cmd.Stderr = io.MultiWriter(&stderr, os.Stderr)
	if err := cmd.Run(); err != nil {
		t.Fatalf("e2e/guest/images.sh: %v", err)
	}
	return strings.TrimSpace(stdout.String()), stderr.Len() > 0
}

// packages lists the versions of the packages that matter, from every
// image's "packages" file, each once.
func packages(images string) []string {
	var out []string
	seen := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(images, "*", "packages"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if l != "" && !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	sort.Strings(out)
	return out
}

// storeVM creates the case's VM with kubectl, as a user would, and reads
// back what the API server stored (the webhook's patch applied).
func storeVM(t *testing.T, cp *framework.ControlPlane, root, ns string, c guestCase) vmSpec {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(root, "examples", c.Example))
	if err != nil {
		t.Fatal(err)
	}
	var vm map[string]any
	if err := yaml.Unmarshal(text, &vm); err != nil {
		t.Fatalf("examples/%s: %v", c.Example, err)
	}
	meta, _ := vm["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		vm["metadata"] = meta
	}
	meta["name"] = c.Name
	if c.OptOut {
		ann, _ := meta["annotations"].(map[string]any)
		if ann == nil {
			ann = map[string]any{}
			meta["annotations"] = ann
		}
		ann["vmnet.kubevirt.io/mutate"] = "false"
	}
	ctx := context.Background()
	create := func(obj map[string]any) {
		t.Helper()
		doc, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		if _, stderr, err := cp.Kubectl(ctx, string(doc), "create", "-n", ns, "-f", "-"); err != nil {
			t.Fatalf("kubectl create %s (examples/%s): %v: %s", c.Name, c.Example, err, stderr)
		}
	}
	get := func(resource, name string) map[string]any {
		t.Helper()
		got, stderr, err := cp.Kubectl(ctx, "", "get", "-n", ns, resource, name, "-o", "json")
		if err != nil {
			t.Fatalf("kubectl get %s %s: %v: %s", resource, name, err, stderr)
		}
		var obj map[string]any
		if err := json.Unmarshal([]byte(got), &obj); err != nil {
			t.Fatal(err)
		}
		return obj
	}
	var stored map[string]any
	switch vm["kind"] {
	case "VirtualMachine":
		create(vm)
		stored = get("virtualmachine", c.Name)
	case "VirtualMachineInstanceReplicaSet":
		// The replica set's controller does not run here: create two
		// replicas as it would, from the stored template, each controlled
		// by the replica set. The webhook gives each its own MAC and
		// network config; the first one boots.
		meta["name"] = c.Name + "-rs"
		create(vm)
		rs := get("virtualmachineinstancereplicaset", c.Name+"-rs")
		rsMeta, _ := rs["metadata"].(map[string]any)
		tmpl, _ := dig(rs, "spec", "template").(map[string]any)
		tmplMeta, _ := tmpl["metadata"].(map[string]any)
		var macs []string
		for _, name := range []string{c.Name, c.Name + "-2"} {
			create(map[string]any{
				"apiVersion": "kubevirt.io/v1",
				"kind":       "VirtualMachineInstance",
				"metadata": map[string]any{
					"name":   name,
					"labels": tmplMeta["labels"],
					"ownerReferences": []any{map[string]any{
						"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstanceReplicaSet",
						"name": rsMeta["name"], "uid": rsMeta["uid"], "controller": true, "blockOwnerDeletion": true,
					}},
				},
				"spec": tmpl["spec"],
			})
			replica, err := specOf(get("virtualmachineinstance", name))
			if err != nil {
				t.Fatalf("stored VMI %s: %v", name, err)
			}
			macs = append(macs, replica.MAC)
		}
		if macs[0] == "" || macs[0] == macs[1] {
			t.Errorf("%s: the replicas' stored MACs are %q: want two, different", c.Name, macs)
		}
		stored = get("virtualmachineinstance", c.Name)
	default:
		t.Fatalf("examples/%s: kind %v: this test boots VirtualMachines and replicas of VirtualMachineInstanceReplicaSets", c.Example, vm["kind"])
	}
	s, err := specOf(stored)
	if err != nil {
		t.Fatalf("stored %s: %v", c.Name, err)
	}
	return s
}

// result is one row of the report.
type result struct {
	Case     guestCase
	Spec     vmSpec
	MAC      string
	MACFrom  string // "stored" or "random" (none stored: KubeVirt's way)
	Obs      observed
	Failures []string
}

// runCase boots one guest in a network namespace of its own and checks it,
// filling r as it goes (so that a t.Fatal still leaves a row).
func runCase(t *testing.T, r *result, c guestCase, s vmSpec, images string, acc accel, dir string) {
	*r = result{Case: c, Spec: s}
	defer func() {
		if t.Failed() && len(r.Failures) == 0 {
			r.Failures = append(r.Failures, "see the test's log")
		}
	}()
	fail := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		r.Failures = append(r.Failures, msg)
		t.Error(msg)
	}
	fatal := func(err error) {
		t.Helper()
		r.Failures = append(r.Failures, err.Error())
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fatal(err)
	}
	// What the webhook stored, before any guest runs.
	switch c.Want {
	case dualStack:
		if s.NetworkData == "" {
			fail("the stored VM has no networkData in its first cloudInitNoCloud volume")
		}
		if s.MAC == "" {
			fail("the stored VM has no macAddress on its pod interface: a config matched by MAC breaks at the next start")
		}
	case ipv4Only:
		if s.NetworkData != "" {
			fail("the stored VM has networkData though it opted out:\n%s", s.NetworkData)
		}
	case noNetwork:
		if s.NetworkData == "" || s.MAC != "" {
			fail("the VM's own networkData was not kept as it was (MAC %q):\n%s", s.MAC, s.NetworkData)
		}
	}
	v6, err := planIPv6(s.IPv6CIDR)
	if err != nil {
		fatal(err)
	}
	r.MAC, r.MACFrom = s.MAC, "stored"
	if r.MAC == "" {
		r.MAC, r.MACFrom = randomMAC(), "random"
	}
	seed := ""
	if s.NoCloud {
		if seed, err = writeSeed(dir, s); err != nil {
			fatal(err)
		}
	}
	n := newNetns(t, dir)
	if err := n.wire(v6); err != nil {
		fatal(err)
	}
	leases := n.dnsmasq(t, dir, v6)
	t.Logf("booting %s: NIC %s, MAC %s (%s), IPv6 %s/%d via %s", c.Renderer, c.nic(), r.MAC, r.MACFrom, v6.VM, v6.Bits, v6.Gateway)
	r.Obs = n.boot(t, dir, boot{
		Image: filepath.Join(images, c.Renderer), IfNames0: c.IfNames0, MAC: r.MAC,
		Seed: seed, Accel: acc, Timeout: bootTimeout(),
	}, v6, leases)
	o := r.Obs
	if o.Err != "" {
		fail("%s; serial console:\n%s", o.Err, readTail(filepath.Join(dir, "serial.log"), 3000))
		return
	}
	t.Logf("diagnostic after %.0fs: NIC %s, renderer %s, IPv4 %v, IPv6 %v, IPv6 default via %q, failed units %v, cloud-init %q; lease %v; pings %v %v %v",
		o.Seconds, o.NIC, o.Renderer, o.IPv4, o.IPv6, o.Default6, o.Failed, o.Status, o.Lease, o.Ping4, o.Ping6GW, o.Ping6Off)

	// The matrix is what it says: NIC naming and renderer as intended;
	// then the NIC has the name the network config sets, if it sets one.
	if o.bootName() != c.nic() {
		fail("the guest booted with its NIC named %q, want %q (names: %v)", o.bootName(), c.nic(), o.names())
	}
	wantName := setName(s.NetworkData)
	if wantName == "" {
		wantName = c.nic()
	}
	if o.NIC != wantName {
		fail("the guest's NIC is named %q after cloud-init, want %q (names: %v)", o.NIC, wantName, o.names())
	}
	if o.Renderer != c.Renderer {
		fail("cloud-init selected renderer %q, want %q", o.Renderer, c.Renderer)
	}
	// IPv4 by DHCP, as without the webhook.
	hasIPv4 := hasAddr(o.IPv4, netip.MustParseAddr(guestIPv4), ipv4Bits)
	if c.Want == noNetwork {
		if hasIPv4 || o.Lease || o.Ping4 || len(o.IPv6) > 0 || o.Ping6GW || o.Ping6Off {
			fail("want no network; IPv4 %v, lease %v, IPv6 %v, pings %v %v %v", o.IPv4, o.Lease, o.IPv6, o.Ping4, o.Ping6GW, o.Ping6Off)
		}
		return
	}
	if !hasIPv4 {
		fail("no IPv4 %s/%d on the guest (has %v)", guestIPv4, ipv4Bits, o.IPv4)
	}
	if !o.Lease {
		fail("dnsmasq leased no %s to %s", guestIPv4, r.MAC)
	}
	if !o.Ping4 {
		fail("no reply from %s to ping from %s", guestIPv4, launcherIPv4)
	}
	if c.Want == dualStack {
		if !hasAddr(o.IPv6, v6.VM, v6.Bits) {
			fail("no IPv6 %s/%d on the guest (has %v)", v6.VM, v6.Bits, o.IPv6)
		}
		if o.Default6 != v6.Gateway.String() {
			fail("IPv6 default route via %q, want via %s", o.Default6, v6.Gateway)
		}
		if !o.Ping6GW {
			fail("no reply from %s to ping from the gateway %s", v6.VM, v6.Gateway)
		}
		if !o.Ping6Off {
			fail("no reply from %s to ping from the off-link %s (needs the default route)", v6.VM, offLinkIPv6)
		}
	} else {
		if o.Default6 != "" || o.Ping6Off {
			fail("IPv6 default route %q, off-link reply %v, without network config", o.Default6, o.Ping6Off)
		}
	}
}
