package vmspec

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"
)

// edgeCases are objects at the edges of reading: names given twice (also
// with a null), escaped names, numbers that are integers only as the API
// server's schema reads them, wrong types and nulls where the rules read,
// and data after the object.
var edgeCases = []string{
	`{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"default","masquerade":{},"ports":[{"port":49152}]}]}},"networks":[{"name":"default","pod":{}}]}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"default","masquerade":{},"portRanges":[{"start":1,"end":2,"start":null}]}]}},"networks":[{"name":"default","pod":{}}]}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"default","masquerade":{},"ports":[{"port":80.0},{"port":8e1},{"port":1e400}]}]}},"networks":[{"name":"default","pod":{}}]}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"default","masquerade":{},"ports":[{"port":"80"},null,{"port":null},{}]}]}},"networks":[{"name":"default","pod":{}}]}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"default","bridge":"x","ports":[{"port":49153}]}]}},"networks":[{"name":"default","pod":{}}]}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"default","bridge":null,"masquerade":{},"sriov":{}}]}},"networks":[{"name":"default","pod":{"vmIPv6NetworkCIDR":"fd10::/120","vmIPv6NetworkCIDR":null}}]}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"n\u0061me":"default","masquerade":{}}]}},"networks":[{"name":"default","pod":{}}]}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"d\u00e9fault","masquerade":{}}]}},"networks":[{"name":"d\u00e9fault","pod":{}}]}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":null}},"networks":null,"volumes":[null,{"cloudInitConfigDrive":{"networkData":"x"},"cloudInitNoCloud":{"networkDataSecretRef":{},"networkDataBase64":"eA=="}}]}}}}`,
	`{"spec":{"template":{"spec":{"volumes":[{"cloudInitNoCloud":{"networkData":"x","networkData":null}}]}}}}`,
	`{"spec":{"template":{"spec":{"volumes":[{"cloudInitNoCloud":{"networkDataSecretRef":"x"}}]}}}}`,
	`{"spec":{"template":{"spec":{"volumes":[{"cloudInitNoCloud":{"networkData":null,"networkDataBase64":null,"networkDataSecretRef":null},"cloudInitConfigDrive":null}]}}}}`,
	`{"spec":{"preference":{"name":null},"template":{"metadata":null,"spec":{"domain":{"devices":{"interfaces":[{"name":"default","masquerade":{},"macAddress":null,"model":null,"ports":null}]}},"networks":[{"name":"default","pod":{"vmNetworkCIDR":null,"vmIPv6NetworkCIDR":null}}]}}}}`,
	`{"metadata":{"ownerReferences":[{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","controller":null}],"labels":null,"annotations":{"vmnet.kubevirt.io/mutate":null}},"spec":null}`,
	`{"metadata":{"name":"a","name":"b"},"spec":{}}`,
	`{"metadata":{"annotations":{"vmnet.kubevirt.io/mutate":"false","vmnet.kubevirt.io/mutate":null}},"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"default"}]}},"networks":[{"name":"default","pod":{}}]}}}}`,
	`{"metadata":{"labels":{"vm.kubevirt.io/os":"windows2k22","vm.kubevirt.io/os":null}},"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"default","masquerade":{},"model":"e1000"}]}},"networks":[{"name":"default","pod":{}}]}}}}`,
	`{"metadata":{"labels":{"OS.template.kubevirt.io/WIN10":"true","a":"b","c":"d"}},"spec":{"template":{"metadata":{"annotations":{"x":1}},"spec":{"domain":{"devices":{"interfaces":[{"name":"default","masquerade":{},"model":"e1000"}]}},"networks":[{"name":"default","pod":{}}]}}}}`,
	`{"metadata":{"ownerReferences":[null,{"apiVersion":"pool.kubevirt.io/v1alpha1","kind":"VirtualMachinePool","controller":true},{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","controller":true,"controller":false}]},"spec":{}}`,
	`{"metadata":{"ownerReferences":[{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachineInstanceReplicaSet","controller":"true"}]},"spec":{}}`,
	`{"spec":{"preference":{"name":"windows.2k22","name":"fedora"},"template":{"spec":{}}}}`,
	`{"spec":{"preference":{"name":"windows.2k22"},"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"default","masquerade":{},"model":"e1000"}]}},"networks":[{"name":"default","pod":{}}]}}}}`,
	`{"spec":{"template":{"spec":{}},"template":{"spec":{"networks":[{"name":"default","pod":{}}]}}}}`,
	`{"spec":{"template":[]}}`,
	`{"spec":{}} {}`,
	`{"spec":{"template":{"spec":{"networks":[{"name":"default","pod":{}}]}}}`,
	`{"spec":{"template":{"spec":{"networks":[{"name":"a","pod":{}},{"name":"b","pod":{}}]}}}, "status":{"x":[1,2,{"y":null}]}}`,
	`{"spec":{"template":{"spec":{"domain":null}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":null}}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"autoattachPodInterface":false,"interfaces":[]}},"networks":[]}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"autoattachPodInterface":true,"autoattachPodInterface":false}}}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"autoattachPodInterface":"false"}}}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[null]}},"networks":[null]}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"disks":[{"name":"cloudinitdisk"},{"name":null},{}],"interfaces":[{"name":"default"}]}},"networks":[{"name":"default","pod":{}}],"volumes":[{"name":"cloudinitdisk-1","containerDisk":{}},{"name":7}]}}}}`,
}

// seeds are the objects the differential tests start from: the edge cases,
// the rules' fixtures, the examples, and the hostile corpus's requests (the
// reviews themselves, and their objects).
func seeds(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, c := range edgeCases {
		out = append(out, []byte(c))
	}
	fixtures, _ := filepath.Glob("../rules/testdata/*.yaml")
	examples, _ := filepath.Glob("../../examples/*.yaml")
	hostile, _ := filepath.Glob("../../webhook/testdata/hostile/*.json")
	if len(fixtures) == 0 || len(examples) == 0 || len(hostile) == 0 {
		tb.Fatal("no fixtures, examples or hostile corpus")
	}
	for _, file := range append(fixtures, examples...) {
		y, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		if data, err := yaml.YAMLToJSON(y); err == nil {
			out = append(out, data)
		}
	}
	for _, file := range hostile {
		body, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, body)
		var review struct {
			Request struct {
				Object json.RawMessage `json:"object"`
			} `json:"request"`
		}
		if json.Unmarshal(body, &review) == nil && len(review.Request.Object) > 0 {
			out = append(out, []byte(review.Request.Object))
		}
	}
	return out
}
