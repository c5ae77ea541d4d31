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
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/netconfig"
)

// guestCase is one boot: a VM of examples/ as the webhook stored it, in a
// guest image with one cloud-init renderer and one NIC naming scheme.
type guestCase struct {
	Name     string // the VM's name and the subtest's
	Example  string // file in examples/
	OptOut   bool   // created with vmnet.kubevirt.io/mutate: "false"
	Suite    string // Debian release of the image: bookworm (12, the default) or trixie (13)
	Renderer string // image: eni, netplan, networkd or network-manager
	IfNames0 bool   // net.ifnames=0: the NIC is eth0, not enp1s0
	// Fix: the VM is created as a user who read the webhook's warning on
	// the example would write it: the pod interface's MAC pinned and the
	// networkData the lint proposes (netconfig.Lint) in place of
	// the example's.
	Fix bool
	// Reboot: after the first boot, the guest is powered off and booted
	// again from the same disk, with the same seed (a VM restart), then
	// with a new instance id (the VM recreated from its manifest).
	Reboot bool
	// MTU is the pod network's MTU (0: 1500): the pod NIC's, the bridge's
	// and the tap's, the virtio NIC's host MTU and DHCPv4 option 26.
	MTU int
	// Model is set on the pod interface before the VM is created: "" keeps
	// the example's (virtio); e1000e gives the guest no host MTU.
	Model string
	// Extra: only under make test-guest-all (GUEST_ALL=1), to keep CI's
	// time in bounds.
	Extra bool
	Want  outcome
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

// mtu is the case's pod MTU.
func (c guestCase) mtu() int {
	if c.MTU == 0 {
		return 1500
	}
	return c.MTU
}

func (c guestCase) suite() string {
	if c.Suite == "" {
		return "bookworm"
	}
	return c.Suite
}

// debian names the case's release as the report does.
func debian(suite string) string {
	return map[string]string{"bookworm": "Debian 12", "trixie": "Debian 13"}[suite]
}

// cases: both NIC namings, four renderers, the examples whose cloud-init
// the webhook writes or extends, the same guests without the injection
// (IPv4 only: what they had before), the guide's own network config, which
// the webhook keeps, on a guest it does not fit (no network), and the fix
// the webhook's warning on it proposes; Debian 13's renderers, a VM booted
// again, and a pod interface that is not the first. Two boot at a time.
var cases = []guestCase{
	{Name: "guide-enp1s0-eni", Example: "guide-vm.yaml", Renderer: "eni"},
	{Name: "guide-eth0-eni", Example: "guide-vm.yaml", Renderer: "eni", IfNames0: true},
	{Name: "guide-enp1s0-netplan", Example: "guide-vm.yaml", Renderer: "netplan"},
	{Name: "bare-enp1s0-networkd", Example: "bare-vm.yaml", Renderer: "networkd"},
	{Name: "userdata-eth0-netplan", Example: "userdata-kept.yaml", Renderer: "netplan", IfNames0: true},
	// CI's pod MTUs other than 1500 (9000 on each release, 1400 on Debian
	// 13), two on cases that check something else too; mtuMatrix adds the
	// rest of 1400 and 9000 under make test-guest-all.
	{Name: "cidr-mtu9000-enp1s0-eni", Example: "custom-ipv6-cidr.yaml", Renderer: "eni", MTU: 9000},
	{Name: "guide-enp1s0-nm", Example: "guide-vm.yaml", Renderer: "network-manager"},
	{Name: "optout-enp1s0-eni", Example: "userdata-kept.yaml", OptOut: true, Renderer: "eni", Want: ipv4Only},
	{Name: "ownnd-enp1s0-eni", Example: "guide-dual-stack-vm.yaml", Renderer: "eni", Want: noNetwork},
	{Name: "fix-enp1s0-eni", Example: "guide-dual-stack-vm.yaml", Fix: true, Renderer: "eni"},
	{Name: "second-enp1s0-eni", Example: "pod-second-interface.yaml", Renderer: "eni"},
	{Name: "d13-guide-enp1s0-netplan", Example: "guide-vm.yaml", Suite: "trixie", Renderer: "netplan", Reboot: true},
	{Name: "d13-mtu1400-enp1s0-nm", Example: "guide-vm.yaml", Suite: "trixie", Renderer: "network-manager", MTU: 1400},
	{Name: "d13-bare-enp1s0-networkd", Example: "bare-vm.yaml", Suite: "trixie", Renderer: "networkd"},
	{Name: "d13-fix-mtu9000-enp1s0-netplan", Example: "guide-dual-stack-vm.yaml", Fix: true, Suite: "trixie", Renderer: "netplan", MTU: 9000},
	// Beyond CI's budget: make test-guest-all.
	{Name: "ownmac-enp1s0-netplan", Example: "own-mac.yaml", Renderer: "netplan", Extra: true},
	{Name: "replica-enp1s0-eni", Example: "replicaset.yaml", Renderer: "eni", Extra: true},
	{Name: "optout-enp1s0-netplan", Example: "userdata-kept.yaml", OptOut: true, Renderer: "netplan", Want: ipv4Only, Extra: true},
	{Name: "d13-guide-enp1s0-nm", Example: "guide-vm.yaml", Suite: "trixie", Renderer: "network-manager", Extra: true},
	{Name: "d13-ownnd-enp1s0-netplan", Example: "guide-dual-stack-vm.yaml", Suite: "trixie", Renderer: "netplan", Want: noNetwork, Extra: true},
	{Name: "reboot-enp1s0-eni", Example: "guide-vm.yaml", Renderer: "eni", Reboot: true, Extra: true},
	{Name: "fix-enp1s0-nm", Example: "guide-dual-stack-vm.yaml", Fix: true, Renderer: "network-manager", Extra: true},
	{Name: "d13-second-enp1s0-netplan", Example: "pod-second-interface.yaml", Suite: "trixie", Renderer: "netplan", Extra: true},
	{Name: "d13-guide-eth0-netplan", Example: "guide-vm.yaml", Suite: "trixie", Renderer: "netplan", IfNames0: true, Extra: true},
	// A NIC with no host MTU: what the guest takes from DHCP alone.
	{Name: "e1000e-mtu9000-enp1s0-eni", Example: "guide-vm.yaml", Renderer: "eni", MTU: 9000, Model: "e1000e", Extra: true},
	{Name: "d13-e1000e-mtu9000-enp1s0-netplan", Example: "guide-vm.yaml", Suite: "trixie", Renderer: "netplan", MTU: 9000, Model: "e1000e", Extra: true},
}

// mtuMatrix is the rest of the pod MTUs under every renderer, for make
// test-guest-all: 1400 (OVN-Kubernetes over Geneve) and 9000 (jumbo
// frames), the guide's VM in each cell no case above runs.
func mtuMatrix() []guestCase {
	var out []guestCase
	for _, img := range []struct{ suite, renderer, short string }{
		{"bookworm", "eni", "eni"}, {"bookworm", "netplan", "netplan"}, {"bookworm", "network-manager", "nm"},
		{"bookworm", "networkd", "networkd"}, {"trixie", "netplan", "netplan"}, {"trixie", "network-manager", "nm"},
		{"trixie", "networkd", "networkd"},
	} {
		for _, mtu := range []int{1400, 9000} {
			name := fmt.Sprintf("mtu%d-enp1s0-%s", mtu, img.short)
			if img.suite == "trixie" {
				name = "d13-" + name
			}
			if slices.ContainsFunc(cases, func(c guestCase) bool {
				return c.suite() == img.suite && c.Renderer == img.renderer && c.MTU == mtu && c.Model == ""
			}) {
				continue // a case above runs this cell
			}
			out = append(out, guestCase{Name: name, Example: "guide-vm.yaml", Suite: img.suite, Renderer: img.renderer, MTU: mtu, Extra: true})
		}
	}
	return out
}

func init() { cases = append(cases, mtuMatrix()...) }

// fixMAC is the MAC a user pins on the pod interface when the webhook's
// warning on the guide's recipe asks for one.
const fixMAC = "02:9a:0b:00:00:01"

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
	for _, tool := range []string{"qemu-system-x86_64", "xorrisofs", "ip", "ping", "nsenter", "unshare"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run e2e/guest/setup.sh (make test-guest does)", tool)
		}
	}
	if _, err := os.Stat(kvdhcpPath(t)); err != nil {
		t.Fatalf("KubeVirt's DHCP servers: %v: make test-guest builds it", err)
	}
	// Logs of every boot: serial console, qemu, the DHCP servers, the seed.
	out := filepath.Join(root, "bin", "guest")
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}

	// Every process (control plane, qemu, the DHCP servers, the namespaces'
	// holders) is started through the harness, which stops them all on
	// SIGINT or SIGTERM.
	all := os.Getenv("GUEST_ALL") == "1"
	var run []int // the cases of this run
	suites := map[string]bool{"bookworm": true}
	for i, c := range cases {
		if c.Extra && !all {
			continue
		}
		run = append(run, i)
		suites[c.suite()] = true
	}
	imgStart := time.Now()
	images := map[string]string{} // release -> folder of its images
	pkgs := map[string][]string{}
	built := false
	for _, suite := range []string{"bookworm", "trixie"} {
		if !suites[suite] {
			continue
		}
		dir, b := buildImages(t, root, suite)
		images[suite], pkgs[suite], built = dir, packages(dir), built || b
		t.Logf("images of %s: %s (%s)", debian(suite), dir, map[bool]string{true: "built", false: "cached"}[b])
	}
	imgSeconds := time.Since(imgStart).Seconds()
	t.Logf("images in %.0fs", imgSeconds)

	acc, why := probeAccel(t, filepath.Join(images["bookworm"], "eni"), out)
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
	told := make([][]string, len(cases))
	for _, i := range run {
		specs[i], told[i] = storeVM(t, cp, root, ns, cases[i])
	}
	cp.Stop()
	t.Logf("control plane: %d VMs stored and read back in %.0fs", len(run), time.Since(cpStart).Seconds())

	results := make([]result, len(cases))
	bootStart := time.Now()
	sem := make(chan struct{}, parallel)
	t.Run("boot", func(t *testing.T) {
		for _, i := range run {
			c := cases[i]
			t.Run(c.Name, func(t *testing.T) {
				t.Parallel()
				sem <- struct{}{}
				defer func() { <-sem }()
				defer func() { results[i].Told = told[i] }() // also after a t.Fatal
				runCase(t, &results[i], c, specs[i], images[c.suite()], acc, filepath.Join(out, c.Name))
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
		t.Logf("logs of every boot (serial console, qemu, DHCP servers, seed) are kept in %s", out)
	}
}

// kvdhcpPath is the helper that runs KubeVirt's DHCP servers
// (e2e/tools/kvdhcp): GUEST_KVDHCP, or bin/kvdhcp, which make builds.
func kvdhcpPath(t *testing.T) string {
	if p := os.Getenv("GUEST_KVDHCP"); p != "" {
		return p
	}
	root, err := framework.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "bin", "kvdhcp")
}

// buildImages runs images.sh for a Debian release, which prints the folder
// of the (cached) images; built is whether it had to build them.
// GUEST_IMAGES_BOOKWORM or GUEST_IMAGES_TRIXIE name a folder of images to
// use instead (while changing images.sh).
func buildImages(t *testing.T, root, suite string) (dir string, built bool) {
	t.Helper()
	if dir := os.Getenv("GUEST_IMAGES_" + strings.ToUpper(suite)); dir != "" {
		return dir, false
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(filepath.Join(root, "e2e", "guest", "images.sh"), suite)
	cmd.Stdout = &stdout
	cmd.Stderr = io.MultiWriter(&stderr, os.Stderr)
	if err := cmd.Run(); err != nil {
		t.Fatalf("e2e/guest/images.sh %s: %v", suite, err)
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
// back what the API server stored (the webhook's patch applied); told is
// the warnings kubectl printed.
func storeVM(t *testing.T, cp *framework.ControlPlane, root, ns string, c guestCase) (stored vmSpec, told []string) {
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
	if c.Fix {
		applyFix(t, vm)
	}
	if c.Model != "" {
		setModel(t, vm, c.Model)
	}
	ctx := context.Background()
	create := func(obj map[string]any) {
		t.Helper()
		doc, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		_, stderr, err := cp.Kubectl(ctx, string(doc), "create", "-n", ns, "-f", "-")
		if err != nil {
			t.Fatalf("kubectl create %s (examples/%s): %v: %s", c.Name, c.Example, err, stderr)
		}
		for _, l := range strings.Split(stderr, "\n") {
			if w, ok := strings.CutPrefix(l, "Warning: "); ok {
				told = append(told, w)
			}
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
	var obj map[string]any
	switch vm["kind"] {
	case "VirtualMachine":
		create(vm)
		obj = get("virtualmachine", c.Name)
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
		obj = get("virtualmachineinstance", c.Name)
	default:
		t.Fatalf("examples/%s: kind %v: this test boots VirtualMachines and replicas of VirtualMachineInstanceReplicaSets", c.Example, vm["kind"])
	}
	s, err := specOf(obj)
	if err != nil {
		t.Fatalf("stored %s: %v", c.Name, err)
	}
	return s, told
}

// applyFix does to a VM what the webhook's warning on its networkData
// asks: pin the pod interface's MAC, and put the networkData the lint
// proposes in place of the VM's own.
func applyFix(t *testing.T, vm map[string]any) {
	t.Helper()
	before, err := specOf(vm)
	if err != nil || before.NetworkData == "" || before.Interfaces == 0 {
		t.Fatalf("a fix needs a VM with networkData and interfaces (%v)", err)
	}
	spec, _ := dig(vm, "spec", "template", "spec").(map[string]any)
	list(dig(spec, "domain", "devices", "interfaces"))[before.PodIndex]["macAddress"] = fixMAC
	prefix, err := netip.ParsePrefix(before.IPv6CIDR)
	if err != nil {
		t.Fatal(err)
	}
	lint := netconfig.Lint(before.NetworkData, netconfig.PodNIC{MAC: fixMAC, Index: before.PodIndex, IPv6: prefix}, false)
	if lint.Fix == "" {
		t.Fatalf("the lint proposes no fix for:\n%s\nwarnings: %q", before.NetworkData, lint.Warnings)
	}
	for _, v := range list(spec["volumes"]) {
		if nc, ok := v["cloudInitNoCloud"].(map[string]any); ok {
			delete(nc, "networkDataBase64")
			nc["networkData"] = lint.Fix
			return
		}
	}
	t.Fatal("no cloudInitNoCloud volume to fix")
}

// setModel sets the model of a VM's pod interface, as its owner would
// write it.
func setModel(t *testing.T, vm map[string]any, model string) {
	t.Helper()
	s, err := specOf(vm)
	if err != nil || s.Interfaces == 0 {
		t.Fatalf("a model needs a VM with interfaces (%v)", err)
	}
	spec, _ := dig(vm, "spec", "template", "spec").(map[string]any)
	list(dig(spec, "domain", "devices", "interfaces"))[s.PodIndex]["model"] = model
}

// result is one row of the report, and the rows of the same guest's
// later boots.
type result struct {
	Case     guestCase
	Spec     vmSpec
	MAC      string
	MACFrom  string // "stored" or "random" (none stored: KubeVirt's way)
	Boot     string // which boot: "" for the first, else how it came about
	Obs      observed
	Failures []string
	Told     []string // the warnings kubectl printed when the VM was created
	Again    []result // the later boots of a Reboot case
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
	v4, err := planIPv4(s.IPv4CIDR)
	if err != nil {
		fatal(err)
	}
	v6, err := planIPv6(s.IPv6CIDR)
	if err != nil {
		fatal(err)
	}
	pn := podNet{V4: v4, V6: v6, MTU: c.mtu()}
	// One NIC per interface; the pod network's on the bridge, the others
	// on taps of their own.
	nics := make([]nic, max(s.Interfaces, 1))
	var others []string
	for i := range nics {
		if i != s.PodIndex {
			nics[i] = nic{MAC: randomMAC(), Tap: fmt.Sprintf("tapo%d", i)}
			others = append(others, nics[i].Tap)
		}
	}
	n := newNetns(t, dir)
	podMAC, err := n.wire(pn, others)
	if err != nil {
		fatal(err)
	}
	// A VM that stores no MAC gets the pod NIC's, new with every pod.
	r.MAC, r.MACFrom = s.MAC, "stored"
	if r.MAC == "" {
		r.MAC, r.MACFrom = podMAC, "the pod NIC's"
	}
	nics[s.PodIndex] = nic{MAC: r.MAC, Tap: "tap0", Model: s.Model, MTU: pn.MTU}
	// The instance id is the firmware UUID: the stored one, else, for a
	// VM, the one KubeVirt's VM mutator sets at create (kept across
	// restarts, new when the VM is made anew), and for a VMI without one a
	// new UUID at every start (cloudInitUUIDFromVMI).
	created := s.FirmwareUUID
	if created == "" {
		created = newUUID()
	}
	seed := func(generation int) string {
		if !s.NoCloud {
			return ""
		}
		iid := created
		if generation > 0 || (s.VMI && s.FirmwareUUID == "") {
			iid = newUUID()
		}
		iso, err := writeSeed(dir, s, iid, generation, t.Logf)
		if err != nil {
			fatal(err)
		}
		return iso
	}
	dhcpLog := n.dhcp(t, dir, kvdhcpPath(t), pn, hostname(s))
	b := boot{
		Image: filepath.Join(images, c.Renderer), IfNames0: c.IfNames0, NICs: nics,
		Seed: seed(0), Accel: acc, Timeout: bootTimeout(),
	}
	if c.Reboot {
		// A disk of the VM's own, kept across its boots.
		b.Disk, b.QMP = filepath.Join(dir, "root.img"), filepath.Join(dir, "qmp.sock")
		if out, err := exec.Command("cp", "--sparse=always", filepath.Join(b.Image, "root.img"), b.Disk).CombinedOutput(); err != nil {
			fatal(fmt.Errorf("copy the root disk: %v: %s", err, out))
		}
		t.Cleanup(func() { os.Remove(b.Disk) })
	}
	t.Logf("booting %s %s: NIC %s of %d, MAC %s (%s), IPv4 %s/%d via %s, IPv6 %s/%d via %s, MTU %d", debian(c.suite()), c.Renderer,
		bootNIC(c.IfNames0, s.PodIndex), len(nics), r.MAC, r.MACFrom, v4.VM, v4.Bits, v4.Gateway, v6.VM, v6.Bits, v6.Gateway, pn.MTU)
	var q *framework.Process
	r.Obs, q = n.boot(t, dir, filepath.Join(dir, "serial.log"), b, pn, dhcpLog)
	if r.Obs.Err != "" {
		fail("%s; serial console:\n%s", r.Obs.Err, readTail(filepath.Join(dir, "serial.log"), 3000))
		return
	}
	r.Obs.NIC = podLink(r.Obs, r.MAC)
	for _, f := range checkBoot(c, s, r.Obs, pn, nics, true) {
		fail("%s", f)
	}
	if !c.Reboot {
		return
	}
	// The same VM started again: after a restart the seed is the same;
	// after the VM was recreated from its manifest, the instance id is new.
	for gen, how := range []string{"restart: same disk, same seed", "same disk, new instance id"} {
		off := powerOff(b.QMP, q, 2*time.Minute)
		t.Logf("boot %d: %s", gen+1, off)
		again := result{Case: c, Spec: s, MAC: r.MAC, MACFrom: r.MACFrom, Boot: how + " (before it: " + off + ")"}
		b.Seed = seed(gen)
		serial := filepath.Join(dir, fmt.Sprintf("serial-%d.log", gen+2))
		again.Obs, q = n.boot(t, dir, serial, b, pn, dhcpLog)
		again.Obs.NIC = podLink(again.Obs, r.MAC)
		if again.Obs.Err != "" {
			again.Failures = append(again.Failures, again.Obs.Err)
			t.Errorf("boot %d: %s; serial console:\n%s", gen+2, again.Obs.Err, readTail(serial, 3000))
		} else {
			for _, f := range checkBoot(c, s, again.Obs, pn, nics, false) {
				again.Failures = append(again.Failures, f)
				t.Errorf("boot %d: %s", gen+2, f)
			}
		}
		r.Again = append(r.Again, again)
		if again.Obs.Err != "" {
			return
		}
	}
}

// imageIssue reports whether a cloud-init issue is the test image's own,
// whatever the seed: Debian 13's minimal system has no resize2fs
// (e2fsprogs is no longer among its required packages), so cloud-init's
// resizefs module fails on every boot; the report still lists it.
func imageIssue(issue string) bool {
	return strings.HasPrefix(issue, "ERROR: ('resizefs', ") && strings.Contains(issue, "No such file or directory: b'resize2fs'")
}

// podLink is the name of the guest's link with the pod NIC's MAC, or the
// first link's when none has it (the check says so).
func podLink(o observed, mac string) string {
	if name := o.linkOf(mac); name != "" {
		return name
	}
	return o.NIC
}

// checkBoot says what is wrong with what a guest did: nothing, when it
// got what the case wants. first is false for a later boot of the same
// disk, where the NIC may have its configured name from the start.
func checkBoot(c guestCase, s vmSpec, o observed, pn podNet, nics []nic, first bool) []string {
	v4, v6 := pn.V4, pn.V6
	var bad []string
	fail := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	mac := nics[s.PodIndex].MAC
	if o.linkOf(mac) == "" {
		fail("no link with the pod NIC's MAC %s in the guest (links: %v)", mac, o.Links)
	}
	// The matrix is what it says: NIC naming and renderer as intended;
	// then the NIC has the name the network config sets, if it sets one.
	want := bootNIC(c.IfNames0, s.PodIndex)
	if first && o.bootName() != want {
		fail("the guest booted with its NIC named %q, want %q (names: %v)", o.bootName(), want, o.names())
	}
	wantName := setName(s.NetworkData)
	if wantName == "" {
		wantName = want
	}
	if o.NIC != wantName {
		fail("the guest's NIC is named %q after cloud-init, want %q (names: %v)", o.NIC, wantName, o.names())
	}
	if o.Renderer != c.Renderer {
		fail("cloud-init selected renderer %q, want %q", o.Renderer, c.Renderer)
	}
	// What the webhook wrote, or the lint proposed, may not make cloud-init
	// report a deprecated key or an error. Other recoverable errors (the
	// image's own), and what a user's own networkData draws, go to the
	// report.
	ours := s.NetworkData == "" || strings.HasPrefix(s.NetworkData, netconfig.Marker) || c.Fix
	for _, issue := range o.Issues {
		if ours && !imageIssue(issue) && (strings.HasPrefix(issue, "DEPRECATED: ") || strings.HasPrefix(issue, "ERROR: ")) {
			fail("cloud-init status --long: %s", issue)
		}
	}
	// The VM's other NICs: left as the guest named them, with no address.
	for i, other := range nics {
		if i == s.PodIndex {
			continue
		}
		name := o.linkOf(other.MAC)
		if name != bootNIC(c.IfNames0, i) {
			fail("the VM's interface %d is named %q in the guest, want %q untouched", i, name, bootNIC(c.IfNames0, i))
		}
		if a := o.addrsOn(name); len(a) > 0 {
			fail("the VM's interface %d (%s) has addresses %v: the config touched a NIC not its own", i, name, a)
		}
	}
	// IPv4 by DHCP, as without the webhook.
	hasIPv4 := hasAddr(o.addrsOn(o.NIC), v4.VM, v4.Bits)
	if c.Want == noNetwork {
		if hasIPv4 || o.Lease || o.Ping4 || len(o.IPv6) > 0 || o.Ping6GW || o.Ping6Off {
			fail("want no network; IPv4 %v, lease %v, IPv6 %v, pings %v %v %v", o.IPv4, o.Lease, o.IPv6, o.Ping4, o.Ping6GW, o.Ping6Off)
		}
		return bad
	}
	if !hasIPv4 {
		fail("no IPv4 %s/%d on the guest's %s (has %v)", v4.VM, v4.Bits, o.NIC, o.IPv4)
	}
	if !o.Lease {
		fail("KubeVirt's DHCPv4 server acknowledged no request during the boot (%s for %s)", v4.VM, mac)
	}
	if !o.Ping4 {
		fail("no reply from %s to ping from %s", v4.VM, v4.Gateway)
	}
	// The pod MTU, after cloud-init applied the network config: from the
	// host MTU (virtio) or DHCP option 26, with nothing in the config to
	// lower it; and full-size packets pass unfragmented.
	if got := o.MTUs[o.NIC]; got != pn.MTU {
		fail("the guest's %s has MTU %d, want the pod's %d", o.NIC, got, pn.MTU)
	}
	if !o.Ping4Full {
		fail("no reply from %s to %d-byte pings with fragmentation forbidden (MTU %d)", v4.VM, pn.MTU-28, pn.MTU)
	}
	if c.Want == dualStack {
		if !hasAddr(o.addrsOn(o.NIC), v6.VM, v6.Bits) {
			fail("no IPv6 %s/%d on the guest's %s (has %v)", v6.VM, v6.Bits, o.NIC, o.IPv6)
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
		if !o.Ping6Full {
			fail("no reply from %s to %d-byte pings with fragmentation forbidden (MTU %d)", v6.VM, pn.MTU-48, pn.MTU)
		}
	} else if o.Default6 != "" || o.Ping6Off {
		fail("IPv6 default route %q, off-link reply %v, without network config", o.Default6, o.Ping6Off)
	}
	return bad
}
