package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The guide's VM: kubectl says created and nothing else; the stored VM has
// the IPv6 networkData in a new cloudinitdisk volume with its disk, and
// everything the user wrote as written.
func TestGuideVMStoredWithIPv6CloudInit(t *testing.T) {
	ns := newNamespace(t, nil)
	r := mustKubectl(t, "", "create", "-n", ns, "-f", "examples/guide-vm.yaml")
	if r.stdout != "virtualmachine.kubevirt.io/example-vm created\n" || r.stderr != "" {
		t.Errorf("kubectl printed\nstdout: %q\nstderr: %q", r.stdout, r.stderr)
	}
	vm := stored(t, vmGVR, ns, "example-vm")
	mac := assignedMAC(t, field(t, vm.Object, "spec", "template", "spec").(map[string]any))
	sameJSON(t, "stored spec", vm.Object["spec"], `
runStrategy: Always
template:
  spec:
    domain:
      devices:
        disks:
        - {name: containerdisk, disk: {bus: virtio}}
        - {name: cloudinitdisk, disk: {bus: virtio}}
        interfaces:
        - {name: default, masquerade: {}, ports: [{port: 80}], macAddress: "`+mac+`"}
      resources: {requests: {memory: 1Gi}}
    networks:
    - {name: default, pod: {}}
    volumes:
    - {name: containerdisk, containerDisk: {image: "quay.io/containerdisks/fedora:41"}}
    - name: cloudinitdisk
      cloudInitNoCloud:
        networkData: |
`+indent(networkData(mac), "          "))
}

// The guide's dual-stack VM has its own networkData: stored exactly as the
// file says, and kubectl prints why it will leave an enp1s0 guest without
// network and the fix (user-network-data).
func TestGuideDualStackVMStoredUnchanged(t *testing.T) {
	ns := newNamespace(t, nil)
	r := mustKubectl(t, "", "create", "-n", ns, "-f", "examples/guide-dual-stack-vm.yaml")
	const field = "Warning: volumes[1].cloudInitNoCloud.networkData: "
	wantStderr := field + "ethernets.eth0 has no match: on a guest whose NIC is not eth0 (enp1s0 on q35)\n" +
		field + "cloud-init sets up no NIC: the VM loses IPv4 too\n" +
		field + "fix: set the pod interface's macAddress and match that MAC and set-name: eth0,\n" +
		field + "or delete networkData: the webhook writes it\n" +
		field + "ethernets.eth0: gateway6 is deprecated in cloud-init 22.4 and set to go in\n" +
		field + "27.4, and newer guests report a degraded boot for it; fix: network config\n" +
		field + "version 1, with gateway fd10:0:2::1 on a static6 subnet, or delete\n" +
		field + "networkData: the webhook writes one that works\n"
	if r.stdout != "virtualmachine.kubevirt.io/example-vm-ipv6 created\n" || r.stderr != wantStderr {
		t.Errorf("kubectl printed\nstdout: %q\nstderr: %q", r.stdout, r.stderr)
	}
	vm := stored(t, vmGVR, ns, "example-vm-ipv6")
	sameJSON(t, "stored spec", vm.Object["spec"], toJSON(t, example(t, "guide-dual-stack-vm.yaml").Object["spec"]))
}

// Every reserved port is refused with kubectl's exit status 1 and, on
// stderr alone, the webhook's name, the field path, the port and the reason;
// several in one object are each reported. Nothing is stored.
func TestReservedPortsRefusedThroughKubectl(t *testing.T) {
	ns := newNamespace(t, nil)
	const iface0 = "spec.template.spec.domain.devices.interfaces[0]"
	both := strings.Replace(mustRead(t, "examples/reserved-port.yaml"), "- port: 22", "- port: 49153", 1)
	cases := []struct {
		name, file, stdin, vm, wantStderr string
	}{
		{"49152", "examples/reserved-port.yaml", "", "reserved-port",
			denied("examples/reserved-port.yaml") + reserved(iface0+".ports[1].port", 49152)},
		{"49153 on the second interface", "examples/reserved-port-second-interface.yaml", "", "reserved-port-second-interface",
			denied("examples/reserved-port-second-interface.yaml") + reserved("spec.template.spec.domain.devices.interfaces[1].ports[1].port", 49153)},
		{"both at once", "-", both, "reserved-port",
			denied("STDIN") + "[" + reserved(iface0+".ports[0].port", 49153) + ", " + reserved(iface0+".ports[1].port", 49152) + "]"},
		{"a range covering both", "examples/reserved-port-range.yaml", "", "reserved-port-range",
			denied("examples/reserved-port-range.yaml") + "[" +
				iface0 + ".portRanges[1]: Forbidden: the range 49100-49200 covers port 49152, reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use ports other than 49152 and 49153, " +
				iface0 + ".portRanges[1]: Forbidden: the range 49100-49200 covers port 49153, reserved for libvirt's live migration: on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use ports other than 49152 and 49153]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if strings.Contains(c.name, "range") {
				needInterfaceFields(t, "portRanges")
			}
			r := kubectl(t, c.stdin, "create", "-n", ns, "-f", c.file)
			if r.code != 1 {
				t.Errorf("exit status %d, want 1", r.code)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			if r.stderr != c.wantStderr+"\n" {
				t.Errorf("stderr:\n got %q\nwant %q", r.stderr, c.wantStderr+"\n")
			}
			absent(t, vmGVR, ns, c.vm)
		})
	}
}

// A program using client-go gets the refusal as a 403 Forbidden StatusError
// with the same message and one cause per field.
func TestReservedPortsRefusedThroughClientGo(t *testing.T) {
	ns := newNamespace(t, nil)
	dc, _ := client(t)
	vm := parse(t, strings.Replace(mustRead(t, "examples/reserved-port.yaml"), "- port: 22", "- port: 49153", 1))
	_, err := dc.Resource(vmGVR).Namespace(ns).Create(context.Background(), vm, metav1.CreateOptions{})
	var se *apierrors.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("create: %v (%T), want a StatusError", err, err)
	}
	st := se.ErrStatus
	const iface0 = "spec.template.spec.domain.devices.interfaces[0]"
	wantMsg := `admission webhook "validate.vmnet.kubevirt.io" denied the request: [` +
		reserved(iface0+".ports[0].port", 49153) + ", " + reserved(iface0+".ports[1].port", 49152) + "]"
	if st.Code != 403 || st.Reason != metav1.StatusReasonForbidden || st.Message != wantMsg {
		t.Errorf("status: code %d reason %s message\n %q\nwant 403 Forbidden\n %q", st.Code, st.Reason, st.Message, wantMsg)
	}
	if st.Details == nil || len(st.Details.Causes) != 2 {
		t.Fatalf("details %+v, want two causes", st.Details)
	}
	for i, want := range []struct{ field, msg string }{
		{iface0 + ".ports[0].port", "Forbidden: port 49153 is reserved for libvirt's live migration"},
		{iface0 + ".ports[1].port", "Forbidden: port 49152 is reserved for libvirt's live migration"},
	} {
		c := st.Details.Causes[i]
		if c.Field != want.field || c.Type != metav1.CauseType("FieldValueForbidden") || !strings.HasPrefix(c.Message, want.msg) {
			t.Errorf("cause %d: %+v, want field %s, type FieldValueForbidden, message %q...", i, c, want.field, want.msg)
		}
	}
	if st.Details.Name != "reserved-port" || st.Details.Kind != "VirtualMachine" || st.Details.Group != "kubevirt.io" {
		t.Errorf("details name/kind/group: %+v", st.Details)
	}
	absent(t, vmGVR, ns, "reserved-port")
}

// A VM with no interfaces, networks or cloud-init is stored with the
// masquerade interface, the pod network and the IPv6 cloud-init; one with
// userData keeps it beside the added networkData; one with its own network
// data keeps that and gets nothing.
func TestDefaultsStored(t *testing.T) {
	ns := newNamespace(t, nil)
	mustKubectl(t, "", "create", "-n", ns, "-f", "examples/bare-vm.yaml")
	spec := field(t, stored(t, vmGVR, ns, "bare-vm").Object, "spec", "template", "spec").(map[string]any)
	mac := assignedMAC(t, spec)
	sameJSON(t, "bare VM", spec, `
domain:
  devices:
    disks:
    - {name: containerdisk, disk: {bus: virtio}}
    - {name: cloudinitdisk, disk: {bus: virtio}}
    interfaces:
    - {name: default, masquerade: {}, macAddress: "`+mac+`"}
  resources: {requests: {memory: 1Gi}}
networks:
- {name: default, pod: {}}
volumes:
- {name: containerdisk, containerDisk: {image: "quay.io/containerdisks/fedora:41"}}
- name: cloudinitdisk
  cloudInitNoCloud:
    networkData: |
`+indent(networkData(mac), "      "))

	mustKubectl(t, "", "create", "-n", ns, "-f", "examples/userdata-kept.yaml")
	spec = field(t, stored(t, vmGVR, ns, "userdata-kept").Object, "spec", "template", "spec").(map[string]any)
	vol := field(t, spec, "volumes", 1)
	sameJSON(t, "userData volume", vol, `
name: cloudinitdisk
cloudInitNoCloud:
  userData: |
    #cloud-config
    ssh_authorized_keys:
    - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleOnly user@example
  networkData: |
`+indent(networkData(assignedMAC(t, spec)), "    "))

	mustKubectl(t, "", "create", "-n", ns, "-f", "examples/own-networkdata.yaml")
	sameJSON(t, "own network data", stored(t, vmGVR, ns, "own-networkdata").Object["spec"],
		toJSON(t, example(t, "own-networkdata.yaml").Object["spec"]))
}

// `kubectl create --dry-run=server -o yaml` prints the object as it would be
// stored, mutation included, and stores nothing.
func TestServerDryRunShowsMutationStoresNothing(t *testing.T) {
	ns := newNamespace(t, nil)
	r := mustKubectl(t, "", "create", "-n", ns, "--dry-run=server", "-o", "yaml", "-f", "examples/bare-vm.yaml")
	printed := parse(t, r.stdout)
	spec := field(t, printed.Object, "spec", "template", "spec").(map[string]any)
	mac := assignedMAC(t, spec)
	sameJSON(t, "printed interfaces", field(t, spec, "domain", "devices", "interfaces"), `[{name: default, masquerade: {}, macAddress: "`+mac+`"}]`)
	sameJSON(t, "printed networks", field(t, spec, "networks"), `[{name: default, pod: {}}]`)
	if nd := field(t, spec, "volumes", 1, "cloudInitNoCloud", "networkData"); nd != networkData(mac) {
		t.Errorf("printed networkData %q, want %q", nd, networkData(mac))
	}
	if r.stderr != "" {
		t.Errorf("stderr %q", r.stderr)
	}
	absent(t, vmGVR, ns, "bare-vm")

	// The MAC comes from the VM's namespace and name: the real create gives
	// the one the dry run showed, so the guest's config matches either.
	mustKubectl(t, "", "create", "-n", ns, "-f", "examples/bare-vm.yaml")
	if got := assignedMAC(t, field(t, stored(t, vmGVR, ns, "bare-vm").Object, "spec", "template", "spec").(map[string]any)); got != mac {
		t.Errorf("created with MAC %s, the dry run showed %s", got, mac)
	}

	// A refusal on a dry run reads the same as on a real create.
	r = kubectl(t, "", "create", "-n", ns, "--dry-run=server", "-f", "examples/reserved-port.yaml")
	want := denied("examples/reserved-port.yaml") + reserved("spec.template.spec.domain.devices.interfaces[0].ports[1].port", 49152) + "\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("dry-run refusal: exit %d stderr\n %q\nwant\n %q", r.code, r.stderr, want)
	}
}

// Fields of KubeVirt that the rules do not interpret come through the
// webhook into storage byte for byte, next to what the webhook adds. Those
// of KubeVirt 1.7 to 1.9 (portRanges, passtBinding, a resourceClaim
// network) are in the VM where the served schema has them: elsewhere the
// API server would prune them before the webhook.
func TestKubeVirtFieldsTheRulesDoNotReadSurvive(t *testing.T) {
	ns := newNamespace(t, nil)
	iface := func(field, yaml string) string {
		if !served.interfaceFields[field] {
			return ""
		}
		return yaml
	}
	portRanges := iface("portRanges", ", portRanges: [{start: 8000, end: 8100, protocol: TCP}]")
	passt := iface("passtBinding", "\n- {name: passt, passtBinding: {}}")
	passtNet := iface("passtBinding", "\n- {name: passt, multus: {networkName: passt-net}}")
	claim, claimNet := "", ""
	if served.networkFields["resourceClaim"] {
		claim = "\n- {name: gpu-nic, sriov: {}}"
		claimNet = "\n- {name: gpu-nic, resourceClaim: {claimName: nic-claim, requestName: vf}}"
	}
	if portRanges == "" || passt == "" || claim == "" {
		t.Logf("the served schema lacks some of portRanges, passtBinding, networks[].resourceClaim: tested without them")
	}
	interfaces := "- {name: default, masquerade: {}" + portRanges + ", acpiIndex: 3}" + passt + claim
	networks := "- {name: default, pod: {}}" + passtNet + claimNet
	vm := `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: newer-fields
spec:
  runStrategy: Halted
  template:
    spec:
      domain:
        devices:
          disks:
          - name: rootdisk
            disk: {bus: virtio}
            errorPolicy: report
            shareable: true
            cache: none
          interfaces:
` + indent(interfaces, "          ") + `      networks:
` + indent(networks, "      ") + `      volumes:
      - name: rootdisk
        containerDisk: {image: "quay.io/containerdisks/fedora:41"}
`
	mustKubectl(t, vm, "create", "-n", ns, "-f", "-")
	spec := field(t, stored(t, vmGVR, ns, "newer-fields").Object, "spec", "template", "spec").(map[string]any)
	mac := assignedMAC(t, spec)
	sameJSON(t, "disk", field(t, spec, "domain", "devices", "disks", 0), `{name: rootdisk, disk: {bus: virtio}, errorPolicy: report, shareable: true, cache: none}`)
	sameJSON(t, "interfaces", field(t, spec, "domain", "devices", "interfaces"),
		"- {name: default, masquerade: {}"+portRanges+`, acpiIndex: 3, macAddress: "`+mac+`"}`+passt+claim)
	sameJSON(t, "networks", field(t, spec, "networks"), networks)
	// And the webhook did its part beside them.
	if nd := field(t, spec, "volumes", 1, "cloudInitNoCloud", "networkData"); nd != networkData(mac) {
		t.Errorf("networkData %q", nd)
	}
}

func mustRead(t *testing.T, rel string) string {
	t.Helper()
	b, err := readRoot(rel)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	lines := strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
	return prefix + strings.Join(lines, prefix) + "\n"
}
