package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/go-logr/logr"
	"github.com/spf13/pflag"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
	"sigs.k8s.io/yaml"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
	"github.com/vmnet-webhook/vmnet-webhook/webhook"
)

func preview(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("preview", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	files := fs.StringArrayP("filename", "f", nil, `YAML or JSON file of one or more objects, "-" for stdin (repeatable)`)
	oldFile := fs.String("old", "", "stored objects, to preview an UPDATE of the objects with the same kind, namespace and name")
	output := fs.StringP("output", "o", "yaml", "yaml: the objects as they would be stored; patch: the JSON Patch for each object")
	namespace := fs.StringP("namespace", "n", "default", "namespace of the objects that name none, as kubectl create -n gives it")
	rf := addRuleFlags(fs)
	if status, done := parseFlags(fs, args); done {
		return status
	}
	failf := failer(stderr, "preview")
	if len(*files) == 0 {
		return failf(2, "-f FILE is required (- for stdin)")
	}
	if *output != "yaml" && *output != "patch" {
		return failf(2, "-o: %q is neither yaml nor patch", *output)
	}
	cfg, err := rf.config(fs)
	if err != nil {
		return failf(2, "%v", err)
	}
	ctrllog.SetLogger(logr.Discard()) // nothing to log offline; see serve's newLogger
	if cfg.IPv6.Inject == config.InjectAuto && !cfg.IPv6.PodNetworkIPv6 {
		// Offline there is no Pod to learn the cluster's pod network from.
		fmt.Fprintf(stderr, "vmnet-webhook preview: %s (--pod-ips with an IPv6 address previews a dual-stack cluster)\n", cfg.IPv6.Summary())
	}

	var docs []document
	for _, f := range *files {
		d, err := readDocuments(f, stdin)
		if err != nil {
			return failf(1, "%v", err)
		}
		docs = append(docs, d...)
	}
	for i := range docs {
		if err := docs[i].defaultNamespace(*namespace); err != nil {
			return failf(1, "%s: %v", docs[i].source, err)
		}
	}
	olds := map[objectKey][]byte{}
	if *oldFile != "" {
		d, err := readDocuments(*oldFile, stdin)
		if err != nil {
			return failf(1, "--old: %v", err)
		}
		for _, o := range d {
			if err := o.defaultNamespace(*namespace); err != nil {
				return failf(1, "--old: %s: %v", o.source, err)
			}
			olds[o.key()] = o.raw
		}
	}

	p := previewer{cfg: cfg, mutate: rules.Mutate, validate: rules.Validate}
	return p.run(docs, olds, *output, stdout, stderr)
}

// run admits each document in order: the results on stdout, warnings and
// denials on stderr. It returns 1 if any document is denied.
func (p previewer) run(docs []document, olds map[objectKey][]byte, output string, stdout, stderr io.Writer) int {
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	status, written := 0, 0
	for _, d := range docs {
		r, err := p.admit(d, olds[d.key()])
		if err != nil {
			fmt.Fprintf(stderr, "vmnet-webhook preview: %s: %v\n", d.source, err)
			return 1
		}
		for _, w := range r.warnings {
			fmt.Fprintf(stderr, "Warning: %s\n", w)
		}
		if r.denial != "" {
			fmt.Fprintln(stderr, r.denial)
			status = 1
			continue
		}
		if err := writeResult(out, output, r, written == 0); err != nil {
			fmt.Fprintf(stderr, "vmnet-webhook preview: %s: %v\n", d.source, err)
			return 1
		}
		written++
	}
	return status
}

// document is one object from an input file, as JSON.
type document struct {
	source string // file name and document number, for messages
	raw    []byte
	meta   struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"metadata"`
	}
}

type objectKey struct{ group, kind, namespace, name string }

func (d document) gvk() schema.GroupVersionKind {
	return schema.FromAPIVersionAndKind(d.meta.APIVersion, d.meta.Kind)
}

func (d document) key() objectKey {
	return objectKey{d.gvk().Group, d.meta.Kind, d.meta.Metadata.Namespace, d.meta.Metadata.Name}
}

// defaultNamespace puts an object the webhook intercepts that names no
// namespace into ns, as the API server does before admission for a create
// in ns: the rules see metadata.namespace (a MAC is drawn from it).
func (d *document) defaultNamespace(ns string) error {
	if d.meta.Metadata.Namespace != "" || !intercepted(d.gvk()) {
		return nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(d.raw, &top); err != nil {
		return fmt.Errorf("not a Kubernetes object: %v", err)
	}
	op := fmt.Sprintf(`[{"op":"add","path":"/metadata/namespace","value":%q}]`, ns)
	if m := top["metadata"]; len(m) == 0 || string(m) == "null" {
		op = fmt.Sprintf(`[{"op":"add","path":"/metadata","value":{"namespace":%q}}]`, ns)
	}
	patch, err := jsonpatch.DecodePatch([]byte(op))
	if err != nil {
		return err
	}
	raw, err := patch.Apply(d.raw)
	if err != nil {
		return fmt.Errorf("metadata: %v", err)
	}
	d.raw, d.meta.Metadata.Namespace = raw, ns
	return nil
}

// readDocuments reads every YAML or JSON document of a file ("-": stdin).
func readDocuments(name string, stdin io.Reader) ([]document, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	dec := k8syaml.NewYAMLOrJSONDecoder(r, 4096)
	var docs []document
	for n := 1; ; n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return docs, nil
			}
			return nil, fmt.Errorf("%s: document %d: %v", name, n, err)
		}
		if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
			continue // an empty document between two "---"
		}
		d := document{source: fmt.Sprintf("%s: document %d", name, n), raw: raw}
		if err := json.Unmarshal(raw, &d.meta); err != nil {
			return nil, fmt.Errorf("%s: not a Kubernetes object: %v", d.source, err)
		}
		if d.meta.APIVersion == "" || d.meta.Kind == "" {
			return nil, fmt.Errorf("%s: not a Kubernetes object: apiVersion and kind are required", d.source)
		}
		docs = append(docs, d)
	}
}

// previewer admits documents the way the API server does with the webhook
// configurations of manifests/base: mutation on CREATE, the patch applied,
// then validation of the result. It calls the same handlers as serve.
type previewer struct {
	cfg      config.Config
	mutate   webhook.RuleFunc
	validate webhook.RuleFunc
}

type admitted struct {
	obj      []byte                  // the object as it would be stored
	patch    []byte                  // the mutating webhook's JSON Patch, "[]" if none
	warnings []string                // in the order the webhooks answered
	denial   string                  // kubectl's words for a denial, empty if admitted
	webhook  string                  // the name of the webhook that denied it
	status   *metav1.Status          // the denial's status
	gvk      schema.GroupVersionKind // of the object
	op       admissionv1.Operation   // CREATE or UPDATE
	// denied and warned name the rules that refused and warned, as the
	// rules answered the handlers.
	denied, warned []string
}

func (p previewer) admit(d document, old []byte) (admitted, error) {
	gvk := d.gvk()
	a := admitted{obj: d.raw, patch: []byte("[]"), gvk: gvk, op: admissionv1.Create}
	if old != nil {
		a.op = admissionv1.Update
	}
	if !intercepted(gvk) {
		return a, nil
	}
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID:       "preview",
		Kind:      metav1.GroupVersionKind{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind},
		Name:      d.meta.Metadata.Name,
		Namespace: d.meta.Metadata.Namespace,
		Operation: a.op,
		Object:    runtime.RawExtension{Raw: d.raw},
		OldObject: runtime.RawExtension{Raw: old},
	}}
	handler := func(name string, rule webhook.RuleFunc) *webhook.Handler {
		// The handler runs rule unchanged; what it answered is noted on
		// the way back.
		noted := func(cfg config.Config, req rules.Request) rules.Result {
			res := rule(cfg, req)
			a.denied, a.warned = append(a.denied, res.Denied...), append(a.warned, res.Warned...)
			return res
		}
		return &webhook.Handler{Name: name, Rule: noted, Config: p.cfg, Log: logr.Discard()}
	}

	if a.op == admissionv1.Create {
		resp := handler("mutate", p.mutate).Handle(context.Background(), req)
		a.warnings = append(a.warnings, resp.Warnings...)
		if !resp.Allowed {
			a.setDenial(webhookName("mutate", gvk, a.op), resp.Result)
			return a, nil
		}
		// The patch as the API server receives it: the handler encodes it.
		if patchJSON := resp.Patch; len(patchJSON) > 0 {
			patch, err := jsonpatch.DecodePatch(patchJSON)
			if err != nil {
				return a, fmt.Errorf("the mutating webhook's patch does not decode: %v", err)
			}
			obj, err := patch.Apply(d.raw)
			if err != nil {
				return a, fmt.Errorf("the mutating webhook's patch does not apply: %v", err)
			}
			a.obj, a.patch = obj, patchJSON
			req.Object.Raw = obj
		}
	}

	resp := handler("validate", p.validate).Handle(context.Background(), req)
	a.warnings = append(a.warnings, resp.Warnings...)
	if !resp.Allowed {
		a.setDenial(webhookName("validate", gvk, a.op), resp.Result)
	}
	return a, nil
}

// setDenial words a denial as kubectl prints the API server's answer.
func (a *admitted) setDenial(webhookName string, st *metav1.Status) {
	if st == nil {
		st = &metav1.Status{}
	}
	reason := string(st.Reason)
	if reason == "" {
		reason = string(metav1.StatusReasonInternalError)
	}
	a.status, a.webhook = st, webhookName
	a.denial = fmt.Sprintf("Error from server (%s): admission webhook %q denied the request: %s", reason, webhookName, st.Message)
}

// intercepted reports whether the webhook configurations send objects of
// this kind to the webhook: the kinds of vmspec.Kinds, those of
// kubevirt.io in versions v1 and v1alpha3.
func intercepted(gvk schema.GroupVersionKind) bool {
	if gvk.Group == "kubevirt.io" && gvk.Version != "v1" && gvk.Version != "v1alpha3" {
		return false
	}
	_, ok := vmspec.ShapeOf(gvk.GroupKind())
	return ok
}

// webhookName returns the name of the webhook (in manifests/base) that answers
// for this kind and operation; the API server puts it in the message.
func webhookName(path string, gvk schema.GroupVersionKind, op admissionv1.Operation) string {
	switch {
	case path == "mutate":
		return "mutate.vmnet.kubevirt.io"
	case op == admissionv1.Update:
		return "validate-update.vmnet.kubevirt.io"
	case gvk.Group == "kubevirt.io" && gvk.Kind == "VirtualMachineInstance":
		return "validate-vmi.vmnet.kubevirt.io"
	default:
		return "validate.vmnet.kubevirt.io"
	}
}

func writeResult(w io.Writer, output string, a admitted, first bool) error {
	if output == "patch" {
		_, err := fmt.Fprintf(w, "%s\n", a.patch)
		return err
	}
	y, err := yaml.JSONToYAML(a.obj)
	if err != nil {
		return err
	}
	if !first {
		if _, err := io.WriteString(w, "---\n"); err != nil {
			return err
		}
	}
	_, err = w.Write(y)
	return err
}
