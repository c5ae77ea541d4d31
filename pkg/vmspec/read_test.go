package vmspec

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
)

var (
	vmGK   = schema.GroupKind{Group: "kubevirt.io", Kind: "VirtualMachine"}
	vmiGK  = schema.GroupKind{Group: "kubevirt.io", Kind: "VirtualMachineInstance"}
	rsGK   = schema.GroupKind{Group: "kubevirt.io", Kind: "VirtualMachineInstanceReplicaSet"}
	poolGK = schema.GroupKind{Group: "pool.kubevirt.io", Kind: "VirtualMachinePool"}
	kinds  = []schema.GroupKind{vmGK, vmiGK, rsGK, poolGK}
)

func ptr[T any](v T) *T { return &v }

func TestRead(t *testing.T) {
	iface := func(i Interface) *Interface { return &i }
	tests := []struct {
		name string
		gk   schema.GroupKind
		in   string
		want *VM
	}{
		{"each kind: VM", vmGK,
			`{"metadata":{"name":"a","namespace":"n","labels":{"l":"1"}},"spec":{"preference":{"name":"windows.11"},"template":{"metadata":{"annotations":{"x":"y"}},"spec":{"networks":[{"name":"default","pod":{}}]}}}}`,
			&VM{Meta: Meta{Name: "a", Namespace: "n", Labels: map[string]string{"l": "1"}},
				TemplateMeta: []*Meta{{Annotations: map[string]string{"x": "y"}}}, Preference: "windows.11",
				Spec: &Spec{Networks: []*Network{{Name: "default", Pod: &PodNetwork{}}}}}},
		{"each kind: VMI", vmiGK, `{"metadata":{"ownerReferences":[{"apiVersion":"kubevirt.io/v1","kind":"VirtualMachine","controller":true}]},"spec":{}}`,
			&VM{Meta: Meta{OwnerReferences: []*OwnerReference{{APIVersion: "kubevirt.io/v1", Kind: "VirtualMachine", Controller: true}}}, Spec: &Spec{}}},
		{"each kind: replica set", rsGK, `{"spec":{"template":{"spec":{"volumes":[{"name":"c","cloudInitNoCloud":{"networkData":"x"}}]}}}}`,
			&VM{TemplateMeta: []*Meta{nil},
				Spec: &Spec{Volumes: []*Volume{{Name: "c", CloudInitNoCloud: &CloudInit{NetworkData: "x"}}}}}},
		{"each kind: pool", poolGK, `{"spec":{"virtualMachineTemplate":{"metadata":{"labels":{"a":"b"}},"spec":{"preference":{"name":"p"},"template":{"spec":{"domain":{}}}}}}}`,
			&VM{TemplateMeta: []*Meta{{Labels: map[string]string{"a": "b"}}, nil}, Preference: "p",
				Spec: &Spec{Domain: &Domain{}}}},
		{"no spec", vmGK, `{"metadata":{"name":"a"}}`, &VM{Meta: Meta{Name: "a"}}},
		{"an interface: every field read, the rest skipped", vmiGK,
			`{"spec":{"domain":{"devices":{"autoattachPodInterface":false,"interfaces":[{"name":"default","model":"e1000","macAddress":"02:00:00:00:00:01","masquerade":{"x":1},"ports":[{"port":80,"protocol":"TCP"},null],"portRanges":[{"start":8000,"end":8100}],"bootOrder":1,"unknown":[{"deep":true}]}],"disks":[{"name":"d","disk":{"bus":"virtio"}}]}}}}`,
			&VM{Spec: &Spec{Domain: &Domain{Devices: &Devices{
				AutoattachPodInterface: ptr(false),
				Interfaces: []*Interface{iface(Interface{Name: "default", Model: "e1000", MacAddress: "02:00:00:00:00:01",
					Masquerade: &Empty{}, Ports: []Port{{Port: 80, Protocol: "TCP"}, {}}, PortRanges: []*PortRange{{Start: ptr(Int(8000)), End: ptr(Int(8100))}}})},
				Disks: []*Disk{{Name: "d"}},
			}}}}},
		{"null entries keep their places", vmiGK, `{"spec":{"networks":[null,{"name":"a"}],"volumes":[null]}}`,
			&VM{Spec: &Spec{Networks: []*Network{nil, {Name: "a"}}, Volumes: []*Volume{nil}}}},
		{"integers as the API server's schema reads them", vmiGK,
			`{"spec":{"domain":{"devices":{"interfaces":[{"ports":[{"port":80.0},{"port":8e1},{"port":4.9152e4},{"port":null}]}]}}}}`,
			&VM{Spec: &Spec{Domain: &Domain{Devices: &Devices{
				Interfaces: []*Interface{{Ports: []Port{{Port: 80}, {Port: 80}, {Port: 49152}, {}}}}}}}}},
		{"the last of duplicate names wins whole, as the API server reads it", vmiGK,
			`{"metadata":{"labels":{"a":"1"},"labels":{"b":"2"}},"spec":{"networks":[{"name":"a","pod":{"vmIPv6NetworkCIDR":"x"}}],"networks":[{"name":"b","pod":{"vmIPv6NetworkCIDR":"y"},"pod":{}}]}}`,
			&VM{Meta: Meta{Labels: map[string]string{"b": "2"}},
				Spec: &Spec{Networks: []*Network{{Name: "b", Pod: &PodNetwork{}}}}}},
		{"the last of duplicate names wins whole in a replica set's spec", rsGK,
			`{"spec":{"template":{"spec":{"networks":[{"name":"a"}]}}},"spec":{"replicas":2}}`,
			&VM{}},
		{"the last of duplicate names wins whole in a pool's spec", poolGK,
			`{"spec":{"virtualMachineTemplate":{"spec":{"preference":{"name":"windows"}}}},"spec":{"replicas":2}}`,
			&VM{}},
		{"a value of the wrong type a later one of the same name replaces", vmiGK,
			`{"spec":{"domain":{"devices":{"disks":[{"name":{},"name":"d"}]}}}}`,
			&VM{Spec: &Spec{Domain: &Domain{Devices: &Devices{Disks: []*Disk{{Name: "d"}}}}}}},
		{"a null after a value clears it", vmiGK, `{"spec":{"networks":[{"name":"a","pod":{},"pod":null}]}}`,
			&VM{Spec: &Spec{Networks: []*Network{{Name: "a"}}}}},
		{"names are case-sensitive; escapes are read", vmiGK, `{"spec":{"Networks":[{"name":"x"}],"networks":[{"n\u0061me":"y"}]}}`,
			&VM{Spec: &Spec{Networks: []*Network{{Name: "y"}}}}},
		{"invalid UTF-8 is read as U+FFFD", vmiGK, "{\"metadata\":{\"name\":\"a\xffb\"}}",
			&VM{Meta: Meta{Name: "a\uFFFDb"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Read(tt.gk, []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != tt.gk.Kind {
				t.Errorf("kind %q, want %q", got.Kind, tt.gk.Kind)
			}
			tt.want.Shape = got.Shape // the shape is TestShapes'
			if !reflect.DeepEqual(got, tt.want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(tt.want)
				t.Errorf("got  %s\nwant %s", g, w)
			}
		})
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
		gk             schema.GroupKind
	}{
		{"no object", ``, `object: Required value: the request carries no object`, vmGK},
		{"null", ` null `, `object: Required value: the request carries no object`, vmGK},
		{"not an object", `[1]`, `object: Invalid value: must be a JSON object, not an array`, vmGK},
		{"not JSON", `{"spec":`, `object: Invalid value: not valid JSON: unexpected EOF within "/spec" after offset 8`, vmGK},
		{"data after the object, names given twice", `{"a":1,"a":2} ]`, `object: Invalid value: not valid JSON: invalid character ']' after top-level value`, vmGK},
		{"not JSON past a name given twice", `{"a":1,"a":2,}`, `object: Invalid value: not valid JSON: invalid character '}' looking for beginning of object key string`, vmGK},
		{"data after the object", `{} 1`, `object: Invalid value: not valid JSON: invalid character '1' after top-level value after offset 3`, vmGK},
		{"a port as a string", `{"spec":{"template":{"spec":{"domain":{"devices":{"interfaces":[{"name":"a"},{"ports":[{"port":"80"}]}]}}}}}}`,
			`spec.template.spec.domain.devices.interfaces[1].ports[0].port: Invalid value: "80": must be an integer`, vmGK},
		{"a port with a fraction", `{"spec":{"domain":{"devices":{"interfaces":[{"ports":[{"port":80.5}]}]}}}}`,
			`spec.domain.devices.interfaces[0].ports[0].port: Invalid value: "80.5": must be an integer`, vmiGK},
		{"a port beyond what a float holds exactly", `{"spec":{"domain":{"devices":{"interfaces":[{"ports":[{"port":1e400}]}]}}}}`,
			`spec.domain.devices.interfaces[0].ports[0].port: Invalid value: "1e400": must be an integer`, vmiGK},
		{"a range bound an object", `{"spec":{"domain":{"devices":{"interfaces":[{"portRanges":[{"start":{}}]}]}}}}`,
			`spec.domain.devices.interfaces[0].portRanges[0].start: Invalid value: must be an integer, not an object`, vmiGK},
		{"a string a number", `{"spec":{"networks":[{"pod":{"vmIPv6NetworkCIDR":120}}]}}`,
			`spec.networks[0].pod.vmIPv6NetworkCIDR: Invalid value: "120": must be a string, not a number`, vmiGK},
		{"a boolean a string", `{"spec":{"domain":{"devices":{"autoattachPodInterface":"false"}}}}`,
			`spec.domain.devices.autoattachPodInterface: Invalid value: "false": must be a boolean`, vmiGK},
		{"a list an object", `{"spec":{"volumes":{}}}`, `spec.volumes: Invalid value: must be an array, not an object`, vmiGK},
		{"an object a boolean", `{"spec":{"template":true}}`, `spec.template: Invalid value: true: must be an object`, rsGK},
		{"a label's name with dots and a slash", `{"spec":{"virtualMachineTemplate":{"metadata":{"labels":{"vm.kubevirt.io/os":false}}}}}`,
			`spec.virtualMachineTemplate.metadata.labels[vm.kubevirt.io/os]: Invalid value: false: must be a string`, poolGK},
		{"a label named like an index", `{"metadata":{"labels":{"0":[]}}}`, `metadata.labels[0]: Invalid value: must be a string, not an array`, vmGK},
		{"the first of several, in the object's order", `{"spec":{"networks":[{"name":1}],"domain":{"devices":{"interfaces":"x"}}}}`,
			`spec.networks[0].name: Invalid value: "1": must be a string, not a number`, vmiGK},
		{"a kind the rules do not read", `{}`, `object: Unsupported value: "Pod"`, schema.GroupKind{Kind: "Pod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vm, err := Read(tt.gk, []byte(tt.in))
			if err == nil {
				t.Fatalf("no error; read %+v", vm)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// readAsAPIServer is the reference Read is held to: the API server decodes
// a custom resource with sigs.k8s.io/json into a map (names case-sensitive,
// the last of duplicates kept, integers kept), validates and stores that;
// the same structs decoded from it by the same library are what the rules
// should read. ok is false when the API server cannot read the bytes at
// all, so that no webhook would be asked about them.
func readAsAPIServer(gk schema.GroupKind, raw []byte) (vm *VM, err error, ok bool) {
	errNotObject := errors.New("not an object")
	var v any
	if err := kjson.UnmarshalCaseSensitivePreserveInts(raw, &v); err != nil {
		return nil, nil, false
	}
	m, isObject := v.(map[string]any)
	if !isObject {
		return nil, errNotObject, true
	}
	canonical, err := json.Marshal(m)
	if err != nil {
		return nil, nil, false
	}
	shape, _ := ShapeOf(gk)
	vm, err = read(shape, canonical, kjson.UnmarshalCaseSensitivePreserveInts)
	return vm, err, true
}

// checkAgainstAPIServer requires Read to read what the API server would
// hand the rules, or to fail where it would fail.
func checkAgainstAPIServer(t *testing.T, raw []byte) {
	t.Helper()
	for _, gk := range kinds {
		got, readErr := Read(gk, raw)
		var gotErr error
		if readErr != nil {
			gotErr = readErr
		}
		want, wantErr, ok := readAsAPIServer(gk, raw)
		switch {
		case !ok:
			// The API server refuses the request itself; the webhook must
			// still not take broken JSON for an object.
			if gotErr == nil && !json.Valid(raw) {
				t.Fatalf("%s: read invalid JSON %q", gk.Kind, raw)
			}
		case (gotErr != nil) != (wantErr != nil):
			t.Fatalf("%s: Read error %v, the API server's reading %v, for %q", gk.Kind, gotErr, wantErr, raw)
		case gotErr == nil && !reflect.DeepEqual(got, want):
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			t.Fatalf("%s: for %q\nRead:       %s\nAPI server: %s", gk.Kind, raw, g, w)
		}
	}
}

func TestReadEqualsAPIServer(t *testing.T) {
	for _, seed := range seeds(t) {
		checkAgainstAPIServer(t, seed)
	}
}

// FuzzReadEqualsAPIServer holds Read to the API server's reading of any
// bytes, seeded with every fixture, example and hostile request.
func FuzzReadEqualsAPIServer(f *testing.F) {
	for _, seed := range seeds(f) {
		f.Add(seed)
	}
	f.Fuzz(checkAgainstAPIServer)
}
