package framework

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// Kubectl runs bin/kubectl against the control plane as the admin user, as a
// person would type it; stdin feeds `-f -`. err is non-nil when kubectl
// exits non-zero (an *exec.ExitError), its message then being in stderr.
func (cp *ControlPlane) Kubectl(ctx context.Context, stdin string, args ...string) (stdout, stderr string, err error) {
	cmd := cp.KubectlCmd(ctx, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// KubectlPath is the kubectl of the control plane's release.
func (cp *ControlPlane) KubectlPath() string { return filepath.Join(cp.kubeDir, "kubectl") }

// KubectlCmd is the command Kubectl runs, for callers that set more than
// stdin (e.g. the working directory, so that `-f examples/x.yaml` reads and
// prints as the user typed it).
func (cp *ControlPlane) KubectlCmd(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, cp.KubectlPath(), append([]string{"--kubeconfig", cp.Kubeconfig}, args...)...)
	// A discovery cache of its own: ports are reused between runs.
	cmd.Env = append(os.Environ(), "KUBECACHEDIR="+filepath.Join(cp.Dir, "kubectl-cache"))
	return cmd
}

// restClientFor is an untyped client for the kubevirt.io objects, which have
// no Go client in this module.
func restClientFor(cfg *rest.Config) (*rest.RESTClient, error) {
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &schema.GroupVersion{}
	c.APIPath = "/apis"
	c.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	return rest.RESTClientFor(c)
}
