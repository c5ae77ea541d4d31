package webhook

import (
	"bytes"
	"os"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"sigs.k8s.io/yaml"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
)

// reviewOf wraps an example object in an AdmissionReview for CREATE.
func reviewOf(t *testing.T, uid, example string) ([]byte, []byte) {
	t.Helper()
	y, err := os.ReadFile("../examples/" + example)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := yaml.YAMLToJSON(y)
	if err != nil {
		t.Fatal(err)
	}
	return obj, []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"` + uid + `",` +
		`"kind":{"group":"kubevirt.io","version":"v1","kind":"VirtualMachine"},"operation":"CREATE","name":"x","namespace":"default","object":` +
		string(obj) + `}}`)
}

// The real rules behind the real server: what a user sees.
func TestRealRules(t *testing.T) {
	ts := startServer(t, func(o *Options) { o.Mutate, o.Validate = rules.Mutate, rules.Validate })

	t.Run("a VM with port 49152 is denied with the exact text", func(t *testing.T) {
		_, body := reviewOf(t, "u-real-1", "reserved-port.yaml")
		r := ts.admit(t, ValidatePath, body).Response
		want := "spec.template.spec.domain.devices.interfaces[0].ports[1].port: Forbidden: port 49152 is reserved for libvirt's live migration: " +
			"on launchers that still migrate over TCP, KubeVirt keeps the pod's own connections to it for libvirt; use a port other than 49152 and 49153"
		if r.Allowed || r.Result.Code != 403 || r.Result.Reason != "Forbidden" || r.Result.Message != want {
			t.Fatalf("got %+v\nwant message %q", r.Result, want)
		}
		if c := r.Result.Details.Causes; len(c) != 1 || c[0].Field != "spec.template.spec.domain.devices.interfaces[0].ports[1].port" {
			t.Errorf("causes %+v", c)
		}
	})

	t.Run("a bare VM is patched and the patch applies", func(t *testing.T) {
		obj, body := reviewOf(t, "u-real-2", "bare-vm.yaml")
		r := ts.admit(t, MutatePath, body).Response
		if !r.Allowed || r.PatchType == nil {
			t.Fatalf("got %+v", r)
		}
		p, err := jsonpatch.DecodePatch(r.Patch)
		if err != nil {
			t.Fatal(err)
		}
		out, err := p.Apply(obj)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`"masquerade":{}`, `"pod":{}`, `gateway: fd10:0:2::1`} {
			if !bytes.Contains(out, []byte(want)) {
				t.Errorf("patched object lacks %s: %s", want, out)
			}
		}
	})

	t.Run("an object that does not decode is denied with a clear message", func(t *testing.T) {
		// Not an object at all: both webhooks deny. An ill-typed field: the
		// validating webhook denies (mutation leaves what it cannot read alone).
		cases := []struct{ obj, path, msg string }{
			{`"a string"`, MutatePath, "object: Invalid value: "},
			{`"a string"`, ValidatePath, "object: Invalid value: "},
			{`null`, MutatePath, "object: Required value: the request carries no object"},
			{`null`, ValidatePath, "object: Required value: the request carries no object"},
			{`{"spec":{"template":{"spec":{"domain":"not an object"}}}}`, ValidatePath, "spec.template.spec.domain: "},
		}
		for _, tc := range cases {
			body := []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-real-3",` +
				`"kind":{"group":"kubevirt.io","version":"v1","kind":"VirtualMachine"},"operation":"CREATE","object":` + tc.obj + `}}`)
			r := ts.admit(t, tc.path, body).Response
			if r.Allowed || r.Result.Code != 403 || !strings.HasPrefix(r.Result.Message, tc.msg) {
				t.Errorf("%s %s: got %+v", tc.path, tc.obj, r.Result)
			} else {
				t.Logf("%s %s: %s", tc.path, tc.obj, r.Result.Message)
			}
		}
	})

	t.Run("other kinds pass untouched", func(t *testing.T) {
		body := []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-real-4",` +
			`"kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","object":{"kind":"Pod"}}}`)
		r := ts.admit(t, MutatePath, body).Response
		if !r.Allowed || r.Patch != nil || len(r.Warnings) != 0 {
			t.Errorf("got %+v", r)
		}
	})
}
