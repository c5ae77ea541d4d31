package framework

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// installCRDs creates every CRD in bin/crds (or $VMNET_E2E_CRDS) and waits until each is
// established, so that objects of those kinds can be created at once.
func (cp *ControlPlane) installCRDs(ctx context.Context) error {
	files, err := filepath.Glob(filepath.Join(cp.crdDir, "*.yaml"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return missingBinary(filepath.Join(cp.crdDir, "*.yaml"))
	}
	sort.Strings(files)
	cs, err := apiextclient.NewForConfig(cp.Config)
	if err != nil {
		return err
	}
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var crd apiextv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(b, &crd); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		if _, err := cs.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, &crd, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("install %s: %w", crd.Name, err)
		}
		names = append(names, crd.Name)
	}
	for _, name := range names {
		if err := waitEstablished(ctx, cs, name); err != nil {
			return err
		}
	}
	return nil
}

func waitEstablished(ctx context.Context, cs apiextclient.Interface, name string) error {
	for {
		crd, err := cs.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			for _, c := range crd.Status.Conditions {
				if c.Type == apiextv1.Established && c.Status == apiextv1.ConditionTrue {
					return nil
				}
				if c.Type == apiextv1.NamesAccepted && c.Status == apiextv1.ConditionFalse {
					return fmt.Errorf("CRD %s: names not accepted: %s", name, c.Message)
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("CRD %s not established: %v (last error: %v)", name, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
