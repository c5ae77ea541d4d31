package rules

import (
	"encoding/json"
	"testing"
)

// quickReadCases are objects at the edges of what quickRead takes: names
// given twice (also with a null), escaped names, numbers that are integers
// only to vmspec.Int, wrong types where the rules read, nulls where they
// read, and data after the object. Each is checked against the tree (and
// added to FuzzPrunedEqualsWhole's seeds).
var quickReadCases = []string{
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
	// What mutation reads to place its patches.
	`{"spec":{"template":{"spec":{"domain":null}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":null}}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"autoattachPodInterface":false,"interfaces":[]}},"networks":[]}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"autoattachPodInterface":true,"autoattachPodInterface":false}}}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"autoattachPodInterface":"false"}}}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[null]}},"networks":[null]}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"disks":[{"name":"cloudinitdisk"},{"name":null},{}],"interfaces":[{"name":"default"}]}},"networks":[{"name":"default","pod":{}}],"volumes":[{"name":"cloudinitdisk-1","containerDisk":{}},{"name":7}]}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"disks":[{"name":"a","name":"b"}],"interfaces":[{"name":"default"}]}},"networks":[{"name":"default","pod":{}}]}}}}`,
	`{"spec":{"template":{"spec":{"domain":{"devices":{"disks":[null],"interfaces":[{"name":"default"}]}},"networks":[{"name":"default","pod":{}}],"volumes":{}}}}}`,
}

func TestQuickReadEqualsTree(t *testing.T) {
	for _, c := range quickReadCases {
		data := []byte(c)
		for _, k := range fuzzKinds {
			assertQuickReadEqualsTree(t, data, k)
			for _, op := range []Operation{Create, Update} {
				req := Request{Kind: k, Operation: op, Object: data, OldObject: data, UID: testUID}
				assertSameResult(t, "Validate", validate(defaults(), req, whole, true), validate(defaults(), req, whole, false), json.Valid(data))
				assertSameResult(t, "Mutate", mutate(defaults(), req, whole, true), mutate(defaults(), req, whole, false), json.Valid(data))
			}
		}
	}
}
