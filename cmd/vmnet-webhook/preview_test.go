package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
)

// Stand-in rules that record what they were given, to prove preview builds
// the requests the cluster would send: mutation on CREATE only, validation
// of the mutated object, the old object on UPDATE.
type recorder struct{ calls []string }

func (r *recorder) mutate(_ config.Config, req rules.Request) rules.Result {
	r.calls = append(r.calls, "mutate "+string(req.Operation)+" "+req.Kind.Kind)
	return rules.Result{
		Patch:    []jsonpatch.Operation{{Operation: "add", Path: "/metadata/labels", Value: map[string]string{"mutated": "yes"}}},
		Warnings: []string{"spec.template.spec.domain.devices.interfaces[0].model: e1000 on Windows: set the MTU with netsh"},
	}
}

func (r *recorder) validate(_ config.Config, req rules.Request) rules.Result {
	var obj struct {
		Metadata struct {
			Name   string            `json:"name"`
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	_ = json.Unmarshal(req.Object, &obj)
	r.calls = append(r.calls, "validate "+string(req.Operation)+" "+req.Kind.Kind+" mutated="+obj.Metadata.Labels["mutated"]+" old="+
		map[bool]string{true: "yes", false: "no"}[req.OldObject != nil])
	if strings.HasPrefix(obj.Metadata.Name, "deny") {
		return rules.Result{Errors: field.ErrorList{field.Forbidden(field.NewPath("spec", "template", "spec", "domain", "devices", "interfaces").Index(0).Child("ports").Index(0).Child("port"), "port 49152 is reserved for libvirt's live migration")}}
	}
	return rules.Result{}
}

const previewInput = `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  name: vm1
  namespace: demo
spec:
  zeta: 1
  alpha: "01"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm
data:
  key: value
---
---
apiVersion: kubevirt.io/v1
kind: VirtualMachineInstance
metadata:
  name: deny-vmi
spec: {}
---
apiVersion: pool.kubevirt.io/v1alpha1
kind: VirtualMachinePool
metadata:
  name: deny-pool
`

func previewDocs(t *testing.T, input string) []document {
	t.Helper()
	f := t.TempDir() + "/in.yaml"
	if err := os.WriteFile(f, []byte(input), 0o600); err != nil {
		t.Fatal(err)
	}
	docs, err := readDocuments(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

func TestPreviewCreate(t *testing.T) {
	rec := &recorder{}
	p := previewer{cfg: config.Default(), mutate: rec.mutate, validate: rec.validate}
	var out, errb bytes.Buffer
	status := p.run(previewDocs(t, previewInput), nil, "yaml", &out, &errb)

	if status != 1 {
		t.Errorf("status %d, want 1 (two documents denied)", status)
	}
	wantOut := `apiVersion: kubevirt.io/v1
kind: VirtualMachine
metadata:
  labels:
    mutated: "yes"
  name: vm1
  namespace: demo
spec:
  alpha: "01"
  zeta: 1
---
apiVersion: v1
data:
  key: value
kind: ConfigMap
metadata:
  name: cm
`
	if out.String() != wantOut {
		t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), wantOut)
	}
	warn := "Warning: spec.template.spec.domain.devices.interfaces[0].model: e1000 on Windows: set the MTU with netsh\n"
	deny := `spec.template.spec.domain.devices.interfaces[0].ports[0].port: Forbidden: port 49152 is reserved for libvirt's live migration`
	wantErr := warn +
		warn + `Error from server (Forbidden): admission webhook "validate-vmi.vmnet.kubevirt.io" denied the request: ` + deny + "\n" +
		warn + `Error from server (Forbidden): admission webhook "validate.vmnet.kubevirt.io" denied the request: ` + deny + "\n"
	if errb.String() != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", errb.String(), wantErr)
	}
	wantCalls := []string{
		"mutate CREATE VirtualMachine", "validate CREATE VirtualMachine mutated=yes old=no",
		"mutate CREATE VirtualMachineInstance", "validate CREATE VirtualMachineInstance mutated=yes old=no",
		"mutate CREATE VirtualMachinePool", "validate CREATE VirtualMachinePool mutated=yes old=no",
	}
	if strings.Join(rec.calls, "\n") != strings.Join(wantCalls, "\n") {
		t.Errorf("rule calls:\n%s\nwant:\n%s", strings.Join(rec.calls, "\n"), strings.Join(wantCalls, "\n"))
	}
}

func TestPreviewPatchOutput(t *testing.T) {
	rec := &recorder{}
	p := previewer{cfg: config.Default(), mutate: rec.mutate, validate: rec.validate}
	var out, errb bytes.Buffer
	docs := previewDocs(t, strings.SplitN(previewInput, "---\n", 3)[0]+"---\n"+strings.SplitN(previewInput, "---\n", 3)[1])
	if status := p.run(docs, nil, "patch", &out, &errb); status != 0 {
		t.Fatalf("status %d: %s", status, errb.String())
	}
	want := `[{"op":"add","path":"/metadata/labels","value":{"mutated":"yes"}}]` + "\n[]\n"
	if out.String() != want {
		t.Errorf("stdout %q, want %q", out.String(), want)
	}
}

// With --old, a document with the same kind, namespace and name is an
// UPDATE: no mutation (the mutating webhook takes CREATE only), validation
// with the old object, and the validate-update webhook's name.
func TestPreviewUpdate(t *testing.T) {
	rec := &recorder{}
	p := previewer{cfg: config.Default(), mutate: rec.mutate, validate: rec.validate}
	newDocs := previewDocs(t, "apiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: deny-vm, namespace: demo}\n---\napiVersion: kubevirt.io/v1\nkind: VirtualMachine\nmetadata: {name: fresh, namespace: demo}\n")
	oldDocs := previewDocs(t, "apiVersion: kubevirt.io/v1alpha3\nkind: VirtualMachine\nmetadata: {name: deny-vm, namespace: demo}\n")
	olds := map[objectKey][]byte{}
	for _, d := range oldDocs {
		olds[d.key()] = d.raw
	}
	var out, errb bytes.Buffer
	if status := p.run(newDocs, olds, "yaml", &out, &errb); status != 1 {
		t.Errorf("status %d, want 1", status)
	}
	if !strings.Contains(errb.String(), `admission webhook "validate-update.vmnet.kubevirt.io" denied the request: spec.template`) {
		t.Errorf("stderr %q", errb.String())
	}
	want := []string{"validate UPDATE VirtualMachine mutated= old=yes", "mutate CREATE VirtualMachine", "validate CREATE VirtualMachine mutated=yes old=no"}
	if strings.Join(rec.calls, "|") != strings.Join(want, "|") {
		t.Errorf("calls %q, want %q", rec.calls, want)
	}
}

func TestPreviewInputErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		args   []string
		stdin  string
		status int
		stderr string
	}{
		{[]string{"preview"}, "", 2, "-f FILE is required"},
		{[]string{"preview", "-f", "-", "-o", "json"}, "", 2, `-o: "json" is neither yaml nor patch`},
		{[]string{"preview", "-f", dir + "/missing.yaml"}, "", 1, "no such file or directory"},
		{[]string{"preview", "-f", write("bad.yaml", "a: [unclosed\n")}, "", 1, "document 1"},
		{[]string{"preview", "-f", "-"}, "just a string\n", 1, "not a Kubernetes object"},
		{[]string{"preview", "-f", "-"}, "metadata: {name: x}\n", 1, "apiVersion and kind are required"},
		{[]string{"preview", "-f", "-", "--enforcement", "maybe"}, "", 2, `enforcement: "maybe" is neither`},
	}
	for _, tc := range cases {
		s, out, e := runCmd(t, tc.stdin, tc.args...)
		if s != tc.status || !strings.Contains(e, tc.stderr) || out != "" {
			t.Errorf("%v: status %d stdout %q stderr %q, want %d and %q", tc.args, s, out, e, tc.status, tc.stderr)
		}
	}
}

// JSON input, several objects in one stream, from stdin.
func TestPreviewJSONStdin(t *testing.T) {
	in := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}
{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}`
	s, out, e := runCmd(t, in, "preview", "-f", "-", "--ipv6-inject", "never")
	if s != 0 || e != "" {
		t.Fatalf("status %d stderr %q", s, e)
	}
	var docs []map[string]any
	for _, d := range strings.Split(out, "---\n") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(d), &m); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, m)
	}
	if len(docs) != 2 || docs[1]["metadata"].(map[string]any)["name"] != "b" {
		t.Errorf("stdout %q", out)
	}
}

// The webhook names and the kinds preview intercepts must agree with the
// webhook configurations the cluster gets.
func TestWebhookNamesMatchManifests(t *testing.T) {
	data, err := os.ReadFile("../../manifests/base/webhook-configurations.yaml")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{
		"virtualmachines": "VirtualMachine", "virtualmachineinstances": "VirtualMachineInstance",
		"virtualmachineinstancereplicasets": "VirtualMachineInstanceReplicaSet", "virtualmachinepools": "VirtualMachinePool",
	}
	type rule struct {
		Operations  []string `json:"operations"`
		APIGroups   []string `json:"apiGroups"`
		APIVersions []string `json:"apiVersions"`
		Resources   []string `json:"resources"`
	}
	checked := 0
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var cfg struct {
			Kind     string `json:"kind"`
			Webhooks []struct {
				Name         string `json:"name"`
				ClientConfig struct {
					Service struct {
						Path string `json:"path"`
					} `json:"service"`
				} `json:"clientConfig"`
				Rules []rule `json:"rules"`
			} `json:"webhooks"`
		}
		if err := yaml.Unmarshal([]byte(doc), &cfg); err != nil {
			t.Fatal(err)
		}
		for _, wh := range cfg.Webhooks {
			path := strings.TrimPrefix(wh.ClientConfig.Service.Path, "/")
			for _, r := range wh.Rules {
				for _, op := range r.Operations {
					for _, g := range r.APIGroups {
						for _, v := range r.APIVersions {
							if v == "*" {
								v = "v1alpha1"
							}
							for _, res := range r.Resources {
								gvk := schema.GroupVersionKind{Group: g, Version: v, Kind: kinds[res]}
								if !intercepted(gvk) {
									t.Errorf("%s: %v not intercepted by preview", wh.Name, gvk)
								}
								if got := webhookName(path, gvk, admissionv1.Operation(op)); got != wh.Name {
									t.Errorf("%s %v %s: preview names %s, manifests %s", path, gvk, op, got, wh.Name)
								}
								checked++
							}
						}
					}
				}
			}
		}
	}
	if checked < 20 {
		t.Fatalf("checked only %d combinations; did the manifest's shape change?", checked)
	}
	for _, gvk := range []schema.GroupVersionKind{{Group: "", Version: "v1", Kind: "Pod"}, {Group: "kubevirt.io", Version: "v2", Kind: "VirtualMachine"}, {Group: "kubevirt.io", Version: "v1", Kind: "KubeVirt"}} {
		if intercepted(gvk) {
			t.Errorf("%v intercepted", gvk)
		}
	}
}
