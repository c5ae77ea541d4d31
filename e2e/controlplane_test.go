package e2e

import (
	"context"
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

// A VirtualMachine with a field KubeVirt 1.9 does not know (bogus) inside an
// interface, an empty binding object with junk in it, and template labels.
const vmWithUnknownFields = `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: pruned
spec:
  runStrategy: Halted
  template:
    metadata:
      labels:
        kubevirt.io/domain: pruned
    spec:
      domain:
        devices:
          interfaces:
          - name: default
            bogus: 1
            masquerade:
              junk: true
            ports:
            - port: 80
        resources:
          requests:
            memory: 64Mi
      networks:
      - name: default
        pod: {}
`

const vmWithStringPort = `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: string-port
spec:
  runStrategy: Halted
  template:
    spec:
      domain:
        devices:
          interfaces:
          - name: default
            masquerade: {}
            ports:
            - port: "80"
      networks:
      - name: default
        pod: {}
`

// The CRDs behave as KubeVirt 1.9's: kubectl's strict field validation
// rejects unknown fields, without it they are pruned while known fields and
// template labels stay, and the schema refuses a port given as a string.
func TestControlPlaneServesKubeVirtSchema(t *testing.T) {
	// The webhook skips this namespace: the schema alone is under test.
	ns := newNamespace(t, map[string]string{"vmnet.kubevirt.io/ignore": "true"})
	ctx := context.Background()

	_, stderr, err := cp.Kubectl(ctx, vmWithUnknownFields, "create", "-n", ns, "-f", "-")
	if err == nil {
		t.Fatal("kubectl create accepted unknown fields under strict validation")
	}
	for _, want := range []string{`unknown field "spec.template.spec.domain.devices.interfaces[0].bogus"`,
		`unknown field "spec.template.spec.domain.devices.interfaces[0].masquerade.junk"`} {
		if !strings.Contains(stderr, want) {
			t.Errorf("strict create: stderr lacks %s:\n%s", want, stderr)
		}
	}

	if _, stderr, err := cp.Kubectl(ctx, vmWithUnknownFields, "create", "-n", ns, "--validate=false", "-f", "-"); err != nil {
		t.Fatalf("kubectl create --validate=false: %v\n%s", err, stderr)
	}
	out, stderr, err := cp.Kubectl(ctx, "", "get", "-n", ns, "vm", "pruned", "-o", "json")
	if err != nil {
		t.Fatalf("kubectl get: %v\n%s", err, stderr)
	}
	var vm struct {
		Spec struct {
			Template struct {
				Metadata struct {
					Labels map[string]string `json:"labels"`
				} `json:"metadata"`
				Spec struct {
					Domain struct {
						Devices struct {
							Interfaces []map[string]any `json:"interfaces"`
						} `json:"devices"`
					} `json:"domain"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	if err := json.Unmarshal([]byte(out), &vm); err != nil {
		t.Fatal(err)
	}
	tmpl := vm.Spec.Template
	if tmpl.Metadata.Labels["kubevirt.io/domain"] != "pruned" {
		t.Errorf("template labels lost: %v", tmpl.Metadata.Labels)
	}
	ifaces := tmpl.Spec.Domain.Devices.Interfaces
	if len(ifaces) != 1 {
		t.Fatalf("stored interfaces: %v", ifaces)
	}
	got, _ := json.Marshal(ifaces[0])
	if want := `{"masquerade":{},"name":"default","ports":[{"port":80}]}`; string(got) != want {
		t.Errorf("stored interface %s, want %s (unknown fields pruned, known kept)", got, want)
	}

	_, stderr, err = cp.Kubectl(ctx, vmWithStringPort, "create", "-n", ns, "-f", "-")
	if err == nil {
		t.Fatal("kubectl create accepted a port given as a string")
	}
	const want = `spec.template.spec.domain.devices.interfaces[0].ports[0].port: Invalid value: "string": spec.template.spec.domain.devices.interfaces[0].ports[0].port in body must be of type integer: "string"`
	if !strings.Contains(stderr, want) {
		t.Errorf("string port: stderr lacks\n%s\ngot:\n%s", want, stderr)
	}
}

// Every kind the webhook serves is installed at the versions the KubeVirt
// release of the CRDs serves (crdgen's tests pin those of 1.9), with its
// short names.
func TestControlPlaneServesAllKinds(t *testing.T) {
	ns := newNamespace(t, map[string]string{"vmnet.kubevirt.io/ignore": "true"})
	out, stderr, err := cp.Kubectl(context.Background(), "", "api-resources", "--api-group=kubevirt.io", "-o", "wide", "--no-headers")
	if err != nil {
		t.Fatalf("kubectl api-resources: %v\n%s", err, stderr)
	}
	for _, want := range []string{"virtualmachines ", "virtualmachineinstances ", "virtualmachineinstancereplicasets "} {
		if !strings.Contains(out, want) {
			t.Errorf("kubevirt.io lacks %s:\n%s", want, out)
		}
	}
	gvs := []string{"kubevirt.io/v1", "kubevirt.io/v1alpha3"}
	for _, v := range served.poolVersions {
		gvs = append(gvs, "pool.kubevirt.io/"+v)
	}
	for _, gv := range gvs {
		out, stderr, err := cp.Kubectl(context.Background(), "", "api-resources", "--api-group="+strings.Split(gv, "/")[0], "-o", "name")
		if err != nil {
			t.Fatalf("kubectl api-resources: %v\n%s", err, stderr)
		}
		if strings.TrimSpace(out) == "" {
			t.Errorf("nothing served in %s", gv)
		}
		if _, stderr, err := cp.Kubectl(context.Background(), "", "get", "--raw", "/apis/"+gv); err != nil {
			t.Errorf("%s not served: %v\n%s", gv, err, stderr)
		}
	}
	// One object of each kind, through an older served version where there
	// is one; kubevirt.io/v1alpha3 warns that it is deprecated.
	objects := []struct{ doc, warning string }{
		{`{"apiVersion":"kubevirt.io/v1alpha3","kind":"VirtualMachineInstance","metadata":{"name":"vmi"},
		  "spec":{"domain":{"devices":{}}}}`, "kubevirt.io/v1alpha3 is now deprecated"},
		{`{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachineInstanceReplicaSet","metadata":{"name":"rs"},
		  "spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"domain":{"devices":{}}}}}}`, ""},
		{`{"apiVersion":"pool.kubevirt.io/v1alpha1","kind":"VirtualMachinePool","metadata":{"name":"pool"},
		  "spec":{"selector":{"matchLabels":{"a":"b"}},"virtualMachineTemplate":{"metadata":{"labels":{"a":"b"}},
		  "spec":{"template":{"spec":{"domain":{"devices":{}}}}}}}}`, ""},
	}
	for _, o := range objects {
		_, stderr, err := cp.Kubectl(context.Background(), o.doc, "create", "-n", ns, "-f", "-")
		if err != nil {
			t.Errorf("create: %v\n%s", err, stderr)
		}
		if o.warning != "" && !strings.Contains(stderr, o.warning) {
			t.Errorf("no deprecation warning %q in\n%s", o.warning, stderr)
		}
	}
	out, stderr, err = cp.Kubectl(context.Background(), "", "get", "-n", ns, "vmpool,vmirs,vmi", "-o", "name")
	if err != nil {
		t.Fatalf("short names: %v\n%s", err, stderr)
	}
	for _, want := range []string{"virtualmachinepool.pool.kubevirt.io/pool", "virtualmachineinstancereplicaset.kubevirt.io/rs", "virtualmachineinstance.kubevirt.io/vmi"} {
		if !strings.Contains(out, want) {
			t.Errorf("kubectl get by short names lacks %s:\n%s", want, out)
		}
	}
}

// Stop leaves no process behind: etcd, kube-apiserver and a webhook.
func TestControlPlaneStopLeavesNothingRunning(t *testing.T) {
	cp, err := framework.Start(context.Background(), framework.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Stop()
	if _, err := cp.StartWebhook(context.Background()); err != nil {
		t.Fatal(err)
	}
	pids := cp.PIDs()
	if len(pids) != 3 {
		t.Fatalf("expected etcd, kube-apiserver and vmnet-webhook, got pids %v", pids)
	}
	cp.Stop()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range pids {
		for syscall.Kill(pid, 0) == nil {
			if time.Now().After(deadline) {
				out, _ := exec.Command("ps", "-o", "pid,args", "-p", strconv.Itoa(pid)).CombinedOutput()
				t.Fatalf("pid %d still running after Stop\n%s", pid, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
