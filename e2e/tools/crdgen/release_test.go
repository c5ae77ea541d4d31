package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// releaseSource downloads (or finds in the module cache) the source of a
// kubevirt.io/kubevirt release.
func releaseSource(t *testing.T, version string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", "kubevirt.io/kubevirt@"+version)
	cmd.Dir = t.TempDir() // outside this module: its go.mod stays as it is
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); err != nil || jerr != nil || info.Dir == "" {
		t.Fatalf("go mod download kubevirt.io/kubevirt@%s: %v %v %s", version, err, jerr, info.Error)
	}
	return info.Dir
}

// The CRDs of a release as it ships them: the versions its operator
// serves, its own schemas, with the fields that release has and no later
// ones, and everything the webhook writes at the same place in each.
func TestShippedCRDs(t *testing.T) {
	cases := []struct {
		release, poolVersions string
		has, lacks            []string // interfaces[] fields
	}{
		{"v1.4.0", "v1alpha1:ss", []string{"masquerade", "ports", "macAddress", "passt", "binding"}, []string{"portRanges", "passtBinding"}},
		{"v1.5.0", "v1alpha1:ss", []string{"masquerade", "ports", "macAddress", "passt", "binding"}, []string{"portRanges", "passtBinding"}},
		{"v1.7.0", "v1alpha1:s- v1beta1:ss", []string{"masquerade", "ports", "macAddress", "passt", "binding"}, []string{"portRanges", "passtBinding"}},
		{"v1.9.0", "v1alpha1:s- v1beta1:ss", []string{"masquerade", "ports", "macAddress", "portRanges", "passtBinding"}, nil},
	}
	for _, c := range cases {
		t.Run(c.release, func(t *testing.T) {
			crds, err := shipped(releaseSource(t, c.release))
			if err != nil {
				t.Fatal(err)
			}
			byKind := map[string]*apiextv1.CustomResourceDefinition{}
			for _, crd := range crds {
				byKind[crd.Spec.Names.Kind] = crd
				for _, v := range crd.Spec.Versions {
					structural(t, v.Schema.OpenAPIV3Schema)
				}
			}
			if len(byKind) != 4 {
				t.Fatalf("%d CRDs, want 4", len(byKind))
			}
			var pv []string
			for _, v := range byKind["VirtualMachinePool"].Spec.Versions {
				pv = append(pv, v.Name+":"+map[bool]string{true: "s", false: "-"}[v.Served]+map[bool]string{true: "s", false: "-"}[v.Storage])
			}
			if got := strings.Join(pv, " "); got != c.poolVersions {
				t.Errorf("pool versions %q, want %q", got, c.poolVersions)
			}
			vm := byKind["VirtualMachine"].Spec.Versions[0].Schema.OpenAPIV3Schema
			const tmpl = "spec.template.spec."
			iface := at(t, vm, tmpl+"domain.devices.interfaces.[]")
			for _, f := range c.has {
				if _, ok := iface.Properties[f]; !ok {
					t.Errorf("interfaces[] has no %s", f)
				}
			}
			for _, f := range c.lacks {
				if _, ok := iface.Properties[f]; ok {
					t.Errorf("interfaces[] has %s, which this release does not", f)
				}
			}
			for path, typ := range map[string]string{
				tmpl + "domain.devices.interfaces.[].masquerade":    "object",
				tmpl + "domain.devices.interfaces.[].macAddress":    "string",
				tmpl + "domain.devices.interfaces.[].ports.[].port": "integer",
				tmpl + "networks.[].pod.vmIPv6NetworkCIDR":          "string",
				tmpl + "volumes.[].cloudInitNoCloud.networkData":    "string",
				tmpl + "volumes.[].cloudInitNoCloud.userData":       "string",
				tmpl + "domain.devices.disks.[].name":               "string",
			} {
				if got := at(t, vm, path).Type; got != typ {
					t.Errorf("%s: type %q, want %q", path, got, typ)
				}
			}
			if m := at(t, vm, tmpl+"domain.devices.interfaces").MaxItems; m == nil || *m != 256 {
				t.Errorf("interfaces maxItems = %v, want 256", m)
			}
		})
	}
}

// A source tree without the operator's files is an error, not empty CRDs.
func TestShippedCRDsNeedTheOperatorSources(t *testing.T) {
	if _, err := shipped(t.TempDir()); err == nil || !strings.Contains(err.Error(), "validations_generated.go") {
		t.Errorf("shipped(empty dir) = %v, want an error naming validations_generated.go", err)
	}
}
