package e2e

import (
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/vmnet-webhook/vmnet-webhook/examples"
)

// Every file in examples/ is created with `kubectl create -f examples/<file>`
// and has the outcome its "# expect:" lines state (the format is described in
// package examples), on a real API server:
//   - deny lines: exit status 1, stderr is exactly kubectl's refusal by
//     validate.vmnet.kubevirt.io with those errors, nothing stored;
//   - otherwise: stdout says created; stderr is exactly the warn lines, as
//     kubectl prints warnings;
//   - patch lines: the stored object has each path, and the file did not;
//     without patch lines, the stored spec is the file's.
//
// Patch lines of a refused example cannot be seen on a cluster (nothing is
// stored); pkg/rules and the preview check those.
func TestExamplesBehaveAsTheySay(t *testing.T) {
	all, err := examples.All()
	if err != nil {
		t.Fatal(err)
	}
	ns := newNamespace(t, nil)
	for _, ex := range all {
		rel := "examples/" + ex.Name
		t.Run(ex.Name, func(t *testing.T) {
			patches, warns, denies := ex.Patch, ex.Warn, ex.Deny
			file := example(t, ex.Name)
			needInterfaceFields(t, interfaceFieldsOf(t, file.Object)...)
			name, kind := file.GetName(), strings.ToLower(file.GetKind())
			r := kubectl(t, "", "create", "-n", ns, "-f", rel)

			gvr := gvrOf[file.GetKind()]
			// Warnings come first: mutation's are given even when
			// validation then refuses.
			var wantStderr strings.Builder
			for _, w := range warns {
				wantStderr.WriteString("Warning: " + w + "\n")
			}
			if len(denies) > 0 {
				msg := denies[0]
				if len(denies) > 1 {
					msg = "[" + strings.Join(denies, ", ") + "]"
				}
				if want := wantStderr.String() + denied(rel) + msg + "\n"; r.code != 1 || r.stderr != want {
					t.Errorf("exit %d stderr\n %q\nwant\n %q", r.code, r.stderr, want)
				}
				absent(t, gvr, ns, name)
				return
			}
			if want := kind + ".kubevirt.io/" + name + " created\n"; r.code != 0 || r.stdout != want {
				t.Fatalf("exit %d stdout %q, want %q; stderr:\n%s", r.code, r.stdout, want, r.stderr)
			}
			if r.stderr != wantStderr.String() {
				t.Errorf("stderr\n %q\nwant\n %q", r.stderr, wantStderr.String())
			}
			obj := stored(t, gvr, ns, name)
			if len(patches) == 0 {
				sameJSON(t, "stored spec", obj.Object["spec"], toJSON(t, file.Object["spec"]))
			}
			for _, p := range patches {
				if _, ok := pointer(obj.Object, p); !ok {
					t.Errorf("stored object has nothing at %s", p)
				}
				if _, ok := pointer(file.Object, p); ok {
					t.Errorf("%s has %s already: the expectation says nothing", rel, p)
				}
			}
		})
	}
}

// interfaceFieldsOf lists the fields an example's interfaces use.
func interfaceFieldsOf(t *testing.T, obj map[string]any) []string {
	t.Helper()
	spec, ok := pointer(obj, "/spec/template/spec")
	if !ok {
		spec, ok = pointer(obj, "/spec")
	}
	ifaces, _ := pointer(spec, "/domain/devices/interfaces")
	list, _ := ifaces.([]any)
	var fields []string
	for _, i := range list {
		m, _ := i.(map[string]any)
		for k := range m {
			fields = append(fields, k)
		}
	}
	return fields
}

// gvrOf is where the examples' kinds are stored.
var gvrOf = map[string]schema.GroupVersionResource{
	"VirtualMachine":                   vmGVR,
	"VirtualMachineInstance":           vmiGVR,
	"VirtualMachineInstanceReplicaSet": vmirsGVR,
	"VirtualMachinePool":               poolGVR,
}

// pointer resolves a JSON Pointer (RFC 6901) in a decoded JSON value.
func pointer(v any, p string) (any, bool) {
	if p == "" {
		return v, true
	}
	for _, tok := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[tok]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}
