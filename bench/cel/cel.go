// Package cel installs the CEL admission policies of manifests/cel (the
// native alternative to the webhook) into a harness control plane, for the
// benchmarks and for the test that they do what they claim.
package cel

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

// Dir holds the policies, relative to the repository root.
const Dir = "manifests/cel"

func dir() (string, error) {
	root, err := framework.RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, Dir), nil
}

// Install applies the policies and their bindings and waits until the API
// server enforces both: a dry-run VM with port 49152 is refused and a bare
// one gets the default interface.
func Install(ctx context.Context, cp *framework.ControlPlane) error {
	d, err := dir()
	if err != nil {
		return err
	}
	if _, stderr, err := cp.Kubectl(ctx, "", "apply", "-f", d); err != nil {
		return fmt.Errorf("kubectl apply -f %s: %v: %s", Dir, err, stderr)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		_, denied, _ := cp.Kubectl(ctx, probeReserved, "create", "--dry-run=server", "-f", "-")
		out, _, err := cp.Kubectl(ctx, probeBare, "create", "--dry-run=server", "-o", "jsonpath={.spec.template.spec.networks[0].name}", "-f", "-")
		if strings.Contains(denied, "reserved for libvirt") && err == nil && out == "default" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the CEL policies did not take effect: %v (last denial: %q, bare VM's network: %q)", ctx.Err(), denied, out)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Uninstall deletes the policies and bindings and waits until a VM with
// port 49152 is admitted again.
func Uninstall(ctx context.Context, cp *framework.ControlPlane) error {
	d, err := dir()
	if err != nil {
		return err
	}
	if _, stderr, err := cp.Kubectl(ctx, "", "delete", "--ignore-not-found", "-f", d); err != nil {
		return fmt.Errorf("kubectl delete -f %s: %v: %s", Dir, err, stderr)
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		_, stderr, err := cp.Kubectl(ctx, probeReserved, "create", "--dry-run=server", "-f", "-")
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the CEL policies are still enforced: %v: %s", ctx.Err(), stderr)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

const probeReserved = `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: cel-probe-reserved, namespace: default}
spec:
  runStrategy: Halted
  template:
    spec:
      domain:
        devices:
          interfaces: [{name: default, masquerade: {}, ports: [{port: 49152}]}]
      networks: [{name: default, pod: {}}]
`

const probeBare = `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata: {name: cel-probe-bare, namespace: default}
spec:
  runStrategy: Halted
  template:
    spec:
      domain:
        devices: {}
`
