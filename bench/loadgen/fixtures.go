// Package loadgen drives a webhook server with AdmissionReviews over N
// keep-alive HTTPS connections and checks every answer. It serves `make
// bench` and `make soak`; nothing in the product imports it.
package loadgen

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/vmnet-webhook/vmnet-webhook/examples"
)

// Fixture is one object sent in AdmissionReviews.
type Fixture struct {
	Name string
	// Object is the object's JSON, as the API server sends it.
	Object []byte
	Kind   schema.GroupVersionKind
	// Interfaces is the number of interfaces in the VM spec.
	Interfaces int
	// Expect holds the example's expectations ("patch <pointer>", "warn
	// <warning>", "deny <error>", as package examples reads them): a check
	// of the expected answers that does not come from the rules.
	Expect []string
}

var vmKind = schema.GroupVersionKind{Group: "kubevirt.io", Version: "v1", Kind: "VirtualMachine"}

// LoadExample reads examples/<name>.yaml under root.
func LoadExample(root, name string) (Fixture, error) {
	path := filepath.Join(root, "examples", name+".yaml")
	text, err := os.ReadFile(path)
	if err != nil {
		return Fixture{}, err
	}
	obj, err := yaml.YAMLToJSON(text)
	if err != nil {
		return Fixture{}, fmt.Errorf("%s: %w", path, err)
	}
	var meta struct {
		Spec struct {
			Template struct {
				Spec struct {
					Domain struct {
						Devices struct {
							Interfaces []json.RawMessage `json:"interfaces"`
						} `json:"devices"`
					} `json:"domain"`
				} `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(obj, &meta); err != nil {
		return Fixture{}, fmt.Errorf("%s: %w", path, err)
	}
	ex, err := examples.Parse(name+".yaml", text)
	if err != nil {
		return Fixture{}, err
	}
	f := Fixture{Name: name, Object: obj, Kind: vmKind, Interfaces: len(meta.Spec.Template.Spec.Domain.Devices.Interfaces)}
	for _, p := range ex.Patch {
		f.Expect = append(f.Expect, "patch "+p)
	}
	for _, w := range ex.Warn {
		f.Expect = append(f.Expect, "warn "+w)
	}
	for _, d := range ex.Deny {
		f.Expect = append(f.Expect, "deny "+d)
	}
	return f, nil
}

// GeneratedVM is a VM with n interfaces (n >= 1; the CRD allows 256): the
// first masquerade on the pod network with two ports, the others bridge on
// Multus networks, as a VM with many NICs looks. Mutation adds the IPv6
// cloud-init; validation passes.
func GeneratedVM(n int) Fixture {
	ifaces := []string{`{"name":"default","masquerade":{},"ports":[{"port":80},{"port":443}]}`}
	nets := []string{`{"name":"default","pod":{}}`}
	for i := 1; i < n; i++ {
		ifaces = append(ifaces, fmt.Sprintf(`{"name":"net%d","bridge":{},"model":"virtio","macAddress":"02:00:00:00:%02x:%02x"}`, i, i/256, i%256))
		nets = append(nets, fmt.Sprintf(`{"name":"net%d","multus":{"networkName":"net%d"}}`, i, i))
	}
	obj := `{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","metadata":{"name":"vm-` + fmt.Sprint(n) + `-nics"},` +
		`"spec":{"runStrategy":"Halted","template":{"spec":{"domain":{"devices":{"disks":[{"name":"containerdisk","disk":{"bus":"virtio"}}],` +
		`"interfaces":[` + strings.Join(ifaces, ",") + `]},"resources":{"requests":{"memory":"1Gi"}}},` +
		`"networks":[` + strings.Join(nets, ",") + `],` +
		`"volumes":[{"name":"containerdisk","containerDisk":{"image":"quay.io/containerdisks/fedora:41"}}]}}}}`
	return Fixture{
		Name:       fmt.Sprintf("%d-nics", n),
		Object:     []byte(obj),
		Kind:       vmKind,
		Interfaces: n,
		Expect: []string{
			"patch /spec/template/spec/domain/devices/interfaces/0/macAddress",
			"patch /spec/template/spec/volumes/1",
			"patch /spec/template/spec/domain/devices/disks/1",
		},
	}
}
