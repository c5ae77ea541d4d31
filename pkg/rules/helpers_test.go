package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

// The operations, as the tests spell them.
const (
	Create = admissionv1.Create
	Update = admissionv1.Update
)

// toJSON turns a YAML fixture into the JSON the API server would send.
func toJSON(t testing.TB, y string) []byte {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(y))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return j
}

// kindOf reads apiVersion and kind, as the admission request carries them.
func kindOf(t testing.TB, obj []byte) schema.GroupVersionKind {
	t.Helper()
	var tm struct{ APIVersion, Kind string }
	if err := json.Unmarshal(obj, &tm); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	gv, err := schema.ParseGroupVersion(tm.APIVersion)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return gv.WithKind(tm.Kind)
}

// decodeWhole reads one JSON object whole with encoding/json, numbers as
// json.Number: the reference the tests compare objects with.
func decodeWhole(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("not an object")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("data after the object")
	}
	return m, nil
}

func createReq(t testing.TB, obj []byte) Request {
	return Request{Kind: kindOf(t, obj), Operation: Create, Object: obj, UID: testUID}
}

// applyPatch applies the ops in order, as the API server does.
func applyPatch(t testing.TB, obj []byte, res Result) []byte {
	t.Helper()
	if len(res.Patch) == 0 {
		return obj
	}
	raw, err := json.Marshal(res.Patch)
	if err != nil {
		t.Fatalf("marshal patch: %v", err)
	}
	p, err := jsonpatch.DecodePatch(raw)
	if err != nil {
		t.Fatalf("decode patch %s: %v", raw, err)
	}
	out, err := p.Apply(obj)
	if err != nil {
		t.Fatalf("apply patch %s: %v", raw, err)
	}
	return out
}

func errorStrings(res Result) []string {
	var out []string
	for _, e := range res.Errors {
		out = append(out, e.Error())
	}
	return out
}

// defaults is the default config on a dual-stack cluster, where the IPv6
// rule injects; tests of an IPv4-only cluster say so.
func defaults() config.Config {
	c := config.Default()
	c.IPv6.PodNetworkIPv6 = true
	return c
}

// testUID is the admission request UID of the tests' requests.
const testUID = "7c4b2d1e-0000-4000-8000-000000000001"

// mutateAndValidate runs a CREATE through both, as the API server would.
func mutateAndValidate(t testing.TB, cfg config.Config, y string) (mut Result, patched []byte, val Result) {
	t.Helper()
	obj := toJSON(t, y)
	mut = Mutate(cfg, createReq(t, obj))
	patched = applyPatch(t, obj, mut)
	val = Validate(cfg, createReq(t, patched))
	return mut, patched, val
}

func sameStrings(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n") && len(a) == len(b)
}

// opStrings shows ops as "add /path value-json", for exact comparison.
func opStrings(t testing.TB, res Result) []string {
	t.Helper()
	var out []string
	for _, op := range res.Patch {
		v, err := json.Marshal(op.Value)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, op.Operation+" "+op.Path+" "+string(v))
	}
	return out
}
