package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"

	"github.com/vmnet-webhook/vmnet-webhook/bench/loadgen"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
	"github.com/vmnet-webhook/vmnet-webhook/webhook"
)

// dualStack is the configuration the benchmarks' servers run with.
func dualStack() config.Config {
	c := config.Default()
	c.IPv6.PodNetworkIPv6 = true
	return c
}

// fixtures are the server level's: the two examples and the generated VMs.
func fixtures(t *testing.T) []loadgen.Fixture {
	t.Helper()
	var out []loadgen.Fixture
	for _, name := range []string{"guide-vm", "bare-vm"} {
		f, err := loadgen.LoadExample(filepath.Join("..", "..", ".."), name)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return append(out, loadgen.GeneratedVM(1), loadgen.GeneratedVM(16), loadgen.GeneratedVM(256))
}

// writePatchFor writes each fixture's object, as its request carries it,
// and the patch vmnet-webhook answers it, as vmnet-bench does, and returns
// the --patch-for values and the patches by fixture.
func writePatchFor(t *testing.T, cfg config.Config, fs []loadgen.Fixture) ([]string, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	var specs []string
	patches := map[string][]byte{}
	for _, f := range fs {
		c, err := loadgen.NewCase(f.Name, webhook.MutatePath, f, loadgen.AllowAll())
		if err != nil {
			t.Fatal(err)
		}
		patch, err := loadgen.WirePatch(cfg, c)
		if err != nil || patch == nil {
			t.Fatalf("%s: patch %s, %v", f.Name, patch, err)
		}
		obj, pf := filepath.Join(dir, f.Name+".object.json"), filepath.Join(dir, f.Name+".patch.json")
		if err := os.WriteFile(obj, c.Object(), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(pf, patch, 0o600); err != nil {
			t.Fatal(err)
		}
		specs = append(specs, obj+"="+pf)
		patches[f.Name] = patch
	}
	return specs, patches
}

func serve(t *testing.T, rule webhook.RuleFunc) (string, *x509.CertPool) {
	t.Helper()
	ep := webhook.NewEndpoint(&webhook.Handler{Name: "mutate", Rule: rule, Config: dualStack(), Log: logr.Discard()},
		webhook.DefaultMaxBodyBytes, 10*time.Second)
	mux := http.NewServeMux()
	mux.Handle(webhook.MutatePath, ep)
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv.URL, pool
}

// fixturePatches writes every fixture's object and vmnet-webhook's patch
// for it, and loads them as the floor does.
func fixturePatches(t *testing.T) ([]loadgen.Fixture, map[string][]byte, patchTable) {
	t.Helper()
	fs := fixtures(t)
	specs, patches := writePatchFor(t, dualStack(), fs)
	table, err := loadPatchTable(specs)
	if err != nil {
		t.Fatal(err)
	}
	return fs, patches, table
}

// Over HTTPS, through the webhook package's endpoint and checked by the
// load generator as vmnet-bench checks it: every fixture gets its patch,
// byte for byte, and no warnings; an object that is not one of them (one
// byte changed, or another VM) gets no patch.
func TestPatchForAnswersTheMatchingObjectOnly(t *testing.T) {
	fs, patches, table := fixturePatches(t)
	url, pool := serve(t, floorMutate(table, nil))

	var cases []*loadgen.Case
	for _, f := range fs {
		c, err := loadgen.NewCase(f.Name, webhook.MutatePath, f, loadgen.PatchOnly(patches[f.Name]))
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	renamed := fs[1]
	renamed.Name = "bare-vm renamed"
	renamed.Object = bytes.Replace(renamed.Object, []byte(`"name":"bare-vm"`), []byte(`"name":"bare-vx"`), 1)
	if bytes.Equal(renamed.Object, fs[1].Object) {
		t.Fatal("the bare VM's name was not found")
	}
	for _, f := range []loadgen.Fixture{renamed, loadgen.GeneratedVM(2)} {
		c, err := loadgen.NewCase(f.Name, webhook.MutatePath, f, loadgen.AllowAll())
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	res, err := loadgen.Run(context.Background(), loadgen.Options{URL: url, CA: pool, Conns: 2, Cases: cases,
		Warmup: 20 * time.Millisecond, Duration: 200 * time.Millisecond, MaxRequests: 700})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors() != 0 || res.ByDecision["patched"] == 0 || res.ByDecision["allowed"] == 0 {
		t.Fatalf("%d right (%v), %d wrong: %q", res.Requests, res.ByDecision, res.Errors(), res.FirstErrors)
	}
}

// The floor's patch is the one vmnet-webhook's /mutate sends, byte for byte.
func TestPatchForSendsVmnetWebhooksBytes(t *testing.T) {
	fs, _, table := fixturePatches(t)
	floorURL, floorCA := serve(t, floorMutate(table, nil))
	vmnetURL, vmnetCA := serve(t, rules.Mutate)
	for _, f := range fs {
		c, err := loadgen.NewCase(f.Name, webhook.MutatePath, f, loadgen.AllowAll())
		if err != nil {
			t.Fatal(err)
		}
		floor := mutatePatch(t, floorURL, floorCA, c.Object())
		vmnet := mutatePatch(t, vmnetURL, vmnetCA, c.Object())
		if len(floor) == 0 || !bytes.Equal(floor, vmnet) {
			t.Errorf("%s: the floor answers\n%s\nvmnet-webhook\n%s", f.Name, floor, vmnet)
		}
	}
}

// mutatePatch sends one CREATE of object to /mutate and returns the
// answer's patch.
func mutatePatch(t *testing.T, url string, ca *x509.CertPool, object []byte) []byte {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"apiVersion": "admission.k8s.io/v1",
		"kind":       "AdmissionReview",
		"request": map[string]any{
			"uid":       "uid-1",
			"kind":      map[string]string{"group": "kubevirt.io", "version": "v1", "kind": "VirtualMachine"},
			"resource":  map[string]string{"group": "kubevirt.io", "version": "v1", "resource": "virtualmachines"},
			"operation": "CREATE",
			"name":      "vm",
			"namespace": "bench",
			"userInfo":  map[string]any{"username": "bench"},
			"object":    json.RawMessage(object),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := loadgen.Client(ca).Post(url+webhook.MutatePath, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(resp.Body).Decode(&review); err != nil || review.Response == nil {
		t.Fatalf("%s: %v", resp.Status, err)
	}
	if !review.Response.Allowed || len(review.Response.Warnings) > 0 {
		t.Fatalf("answer %+v", review.Response)
	}
	return review.Response.Patch
}

// fileWriter writes files into a test's temporary directory, returning
// their paths.
func fileWriter(t *testing.T) func(name, text string) string {
	dir := t.TempDir()
	return func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
}

// In process: the table matches exact bytes only, and hands what it does
// not match to --patch's rule.
func TestPatchForLookup(t *testing.T) {
	write := fileWriter(t)
	obj := write("a.json", `{"metadata":{"name":"a"}}`+"\n")
	patch := write("p.json", `[{"op":"add","path":"/spec","value":{"b":1,"a":"\u003cx\u003e"}},{"op":"remove","path":"/status"}]`)
	table, err := loadPatchTable([]string{obj + "=" + patch})
	if err != nil {
		t.Fatal(err)
	}
	fallback := []jsonpatch.Operation{{Operation: "add", Path: "/fallback", Value: true}}
	rule := floorMutate(table, func(rules.Request) []jsonpatch.Operation { return fallback })
	for _, tc := range []struct {
		object string
		want   string
	}{
		{`{"metadata":{"name":"a"}}`, "/spec"},
		{`{"metadata":{"name":"b"}}`, "/fallback"},  // same length
		{`{"metadata":{"name":"a"} }`, "/fallback"}, // same JSON, other bytes
		{`{"metadata":{"name":"a"}`, "/fallback"},
		{``, "/fallback"},
	} {
		got := rule(dualStack(), rules.Request{Object: []byte(tc.object)})
		if len(got.Patch) == 0 || got.Patch[0].Path != tc.want {
			t.Errorf("%s: patch %v, want one at %s", tc.object, got.Patch, tc.want)
		}
	}
	if got := floorMutate(table, nil)(dualStack(), rules.Request{Object: []byte(`{}`)}); got.Patch != nil {
		t.Errorf("no match and no --patch: patch %v", got.Patch)
	}
	sent, err := webhook.MarshalPatch(floorMutate(table, nil)(dualStack(), rules.Request{Object: []byte(`{"metadata":{"name":"a"}}`)}).Patch)
	if want, _ := os.ReadFile(patch); err != nil || !bytes.Equal(sent, want) {
		t.Errorf("sent %s, %v; want the file's %s", sent, err, want)
	}
}

func TestPatchForRefusesBadValues(t *testing.T) {
	write := fileWriter(t)
	obj := write("a.json", `{"a":1}`)
	good := write("good.json", `[{"op":"add","path":"/b","value":2}]`)
	for name, specs := range map[string][]string{
		"no =":              {obj},
		"no object file":    {filepath.Join(filepath.Dir(obj), "missing.json") + "=" + good},
		"object not JSON":   {write("bad.json", `{"a":`) + "=" + good},
		"empty patch":       {obj + "=" + write("empty.json", `[]`)},
		"not a patch":       {obj + "=" + write("object.json", `{"op":"add"}`)},
		"not compact":       {obj + "=" + write("spaced.json", `[{"op": "add", "path": "/b", "value": 2}]`)},
		"other key order":   {obj + "=" + write("order.json", `[{"path":"/b","op":"add","value":2}]`)},
		"same object twice": {obj + "=" + good, write("a2.json", ` {"a":1}`) + "=" + good},
	} {
		if _, err := loadPatchTable(specs); err == nil {
			t.Errorf("%s: %s accepted", name, strings.Join(specs, " "))
		}
	}
}
