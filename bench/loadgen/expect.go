package loadgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"

	admissionv1 "k8s.io/api/admission/v1"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
	"github.com/vmnet-webhook/vmnet-webhook/webhook"
)

// Expect is the answer a request must get.
type Expect struct {
	Allowed bool
	// Patch is the JSON Patch (as JSON), nil when none is expected.
	Patch []byte
	// ExactPatch requires the answer's patch to be Patch byte for byte;
	// otherwise it is compared as JSON.
	ExactPatch bool
	// Message is the denial's message.
	Message  string
	Warnings []string
}

// Decision names the expectation: allowed, patched or denied.
func (e Expect) Decision() string {
	switch {
	case !e.Allowed:
		return "denied"
	case e.Patch != nil:
		return "patched"
	}
	return "allowed"
}

// Case is one kind of request: a fixture sent to a path, and its answer.
type Case struct {
	Name    string
	Path    string
	Fixture Fixture
	Expect  Expect
	// head and tail surround the uid in the request body.
	head, tail []byte
	// object is request.object as the body carries it.
	object []byte
	golden atomic.Pointer[golden]
}

// AllowAll is the floor's answer to everything.
func AllowAll() Expect { return Expect{Allowed: true} }

// PatchOnly is the answer of a server that returns patch and nothing else:
// allowed, exactly those bytes as the patch (none when patch is nil), no
// warnings. The floor run with --patch-for answers so.
func PatchOnly(patch []byte) Expect {
	return Expect{Allowed: true, Patch: patch, ExactPatch: patch != nil}
}

// WirePatch is the JSON Patch vmnet-webhook sends on /mutate for c's object,
// byte for byte: rules.Mutate on the object as the request carries it,
// encoded by webhook.MarshalPatch as the server encodes it. Nil when the
// rules patch nothing.
func WirePatch(cfg config.Config, c *Case) ([]byte, error) {
	res := rules.Mutate(cfg, rules.Request{Kind: c.Fixture.Kind, Operation: admissionv1.Create, Object: c.Object()})
	if len(res.Errors) > 0 {
		return nil, fmt.Errorf("%s: /mutate denies: %v", c.Name, res.Errors.ToAggregate())
	}
	if len(res.Patch) == 0 {
		return nil, nil
	}
	return webhook.MarshalPatch(res.Patch)
}

// FromRules computes the expected answer of path (webhook.MutatePath or
// ValidatePath) for f by running the rules in process, and checks it against
// the example's own "# expect:" lines (patch paths for /mutate, denials and
// validation's warnings for /validate), so that a wrong rule cannot make its
// own wrong answer the expectation unnoticed.
func FromRules(cfg config.Config, path string, f Fixture) (Expect, error) {
	req := rules.Request{Kind: f.Kind, Operation: admissionv1.Create, Object: f.Object}
	var res rules.Result
	switch path {
	case webhook.MutatePath:
		res = rules.Mutate(cfg, req)
	case webhook.ValidatePath:
		res = rules.Validate(cfg, req)
	default:
		return Expect{}, fmt.Errorf("no rules behind %s", path)
	}
	e := Expect{Allowed: len(res.Errors) == 0, Warnings: res.Warnings}
	if !e.Allowed {
		e.Message = res.Errors.ToAggregate().Error()
	}
	if len(res.Patch) > 0 {
		p, err := json.Marshal(res.Patch)
		if err != nil {
			return Expect{}, err
		}
		e.Patch = p
	}
	if f.Expect == nil {
		return e, nil
	}
	var wantPatch, wantDeny, gotPatch, gotDeny []string
	for _, l := range f.Expect {
		verb, arg, _ := strings.Cut(l, " ")
		switch verb {
		case "patch":
			wantPatch = append(wantPatch, arg)
		case "deny":
			wantDeny = append(wantDeny, arg)
		}
	}
	for _, op := range res.Patch {
		gotPatch = append(gotPatch, op.Path)
	}
	for _, err := range res.Errors {
		gotDeny = append(gotDeny, err.Error())
	}
	switch path {
	case webhook.MutatePath:
		if !slices.Equal(gotPatch, wantPatch) {
			return Expect{}, fmt.Errorf("%s: /mutate patches %q, the example expects %q", f.Name, gotPatch, wantPatch)
		}
	case webhook.ValidatePath:
		if !slices.Equal(gotDeny, wantDeny) {
			return Expect{}, fmt.Errorf("%s: /validate denies %q, the example expects %q", f.Name, gotDeny, wantDeny)
		}
	}
	return e, nil
}

// NewCase prepares the request body of f for path.
func NewCase(name, path string, f Fixture, e Expect) (*Case, error) {
	review := map[string]any{
		"apiVersion": "admission.k8s.io/v1",
		"kind":       "AdmissionReview",
		"request": map[string]any{
			"uid":       uidMarker,
			"kind":      map[string]string{"group": f.Kind.Group, "version": f.Kind.Version, "kind": f.Kind.Kind},
			"resource":  map[string]string{"group": f.Kind.Group, "version": f.Kind.Version, "resource": "virtualmachines"},
			"operation": "CREATE",
			"name":      "vm",
			"namespace": "bench",
			"userInfo":  map[string]any{"username": "bench"},
			"object":    json.RawMessage(f.Object),
			"dryRun":    false,
		},
	}
	body, err := json.Marshal(review)
	if err != nil {
		return nil, err
	}
	head, tail, ok := bytes.Cut(body, []byte(uidMarker))
	if !ok {
		return nil, fmt.Errorf("uid marker not found in the review")
	}
	// json.Marshal compacts (and HTML-escapes) a RawMessage: what the
	// server receives is read back from the body rather than assumed to be
	// f.Object.
	var sent struct {
		Request struct {
			Object json.RawMessage `json:"object"`
		} `json:"request"`
	}
	if err := json.Unmarshal(body, &sent); err != nil {
		return nil, err
	}
	return &Case{Name: name, Path: path, Fixture: f, Expect: e, head: head, tail: tail, object: sent.Request.Object}, nil
}

// Object is the object's JSON exactly as the request body carries it in
// request.object: the bytes the server hands its rules.
func (c *Case) Object() []byte { return c.object }

const uidMarker = "@@UID@@"

// body is the review with the given uid.
func (c *Case) body(uid string) []byte {
	b := make([]byte, 0, len(c.head)+len(uid)+len(c.tail))
	b = append(b, c.head...)
	b = append(b, uid...)
	return append(b, c.tail...)
}

// check decodes an answer and compares it with the expectation.
func (c *Case) check(uid string, answer []byte) error {
	var review admissionv1.AdmissionReview
	if err := json.Unmarshal(answer, &review); err != nil {
		return fmt.Errorf("answer is not JSON: %v", err)
	}
	r := review.Response
	switch {
	case review.Kind != "AdmissionReview" || review.APIVersion != "admission.k8s.io/v1":
		return fmt.Errorf("answer is %s %s, not an admission.k8s.io/v1 AdmissionReview", review.APIVersion, review.Kind)
	case r == nil:
		return fmt.Errorf("answer has no response")
	case string(r.UID) != uid:
		return fmt.Errorf("answer uid %q, want %q", r.UID, uid)
	case r.Allowed != c.Expect.Allowed:
		return fmt.Errorf("allowed %v, want %v (%v)", r.Allowed, c.Expect.Allowed, r.Result)
	}
	if !c.Expect.Allowed {
		if r.Result == nil || r.Result.Code != 403 || r.Result.Message != c.Expect.Message {
			return fmt.Errorf("denial %+v, want 403 %q", r.Result, c.Expect.Message)
		}
	}
	if c.Expect.Patch == nil {
		if len(r.Patch) > 0 || r.PatchType != nil {
			return fmt.Errorf("unexpected patch %s", r.Patch)
		}
	} else {
		if r.PatchType == nil || *r.PatchType != admissionv1.PatchTypeJSONPatch {
			return fmt.Errorf("patch type %v, want JSONPatch", r.PatchType)
		}
		var got, want any
		if err := json.Unmarshal(r.Patch, &got); err != nil {
			return fmt.Errorf("patch is not JSON: %v", err)
		}
		_ = json.Unmarshal(c.Expect.Patch, &want)
		if !reflect.DeepEqual(got, want) || c.Expect.ExactPatch && !bytes.Equal(r.Patch, c.Expect.Patch) {
			return fmt.Errorf("patch %s, want %s", r.Patch, c.Expect.Patch)
		}
	}
	if !slices.Equal(r.Warnings, c.Expect.Warnings) && (len(r.Warnings)+len(c.Expect.Warnings) > 0) {
		return fmt.Errorf("warnings %q, want %q", r.Warnings, c.Expect.Warnings)
	}
	return nil
}
