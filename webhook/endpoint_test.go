package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestAdmissionAnswers(t *testing.T) {
	ts := startServer(t, nil)

	t.Run("mutate patches with a JSON Patch that applies", func(t *testing.T) {
		out := ts.admit(t, MutatePath, review("u-1", "vm1", admissionv1.Create))
		r := out.Response
		if r.UID != "u-1" || !r.Allowed {
			t.Fatalf("uid %q allowed %v, want u-1 true", r.UID, r.Allowed)
		}
		if r.PatchType == nil || *r.PatchType != admissionv1.PatchTypeJSONPatch {
			t.Fatalf("patchType %v, want JSONPatch", r.PatchType)
		}
		patch, err := jsonpatch.DecodePatch(r.Patch)
		if err != nil {
			t.Fatal(err)
		}
		obj := []byte(`{"metadata":{"name":"vm1"}}`)
		got, err := patch.Apply(obj)
		if err != nil {
			t.Fatal(err)
		}
		if want := `{"metadata":{"name":"vm1","annotations":{"fake":"mutated"}}}`; string(got) != want {
			t.Errorf("patched object %s, want %s", got, want)
		}
	})

	t.Run("allowed without patch", func(t *testing.T) {
		r := ts.admit(t, ValidatePath, review("u-2", "vm2", admissionv1.Create)).Response
		if !r.Allowed || r.Patch != nil || r.PatchType != nil || r.UID != "u-2" {
			t.Fatalf("got %+v, want allowed without patch", r)
		}
	})

	t.Run("denial is 403 Forbidden with the aggregated message and one cause per error", func(t *testing.T) {
		r := ts.admit(t, ValidatePath, review("u-3", "deny-me", admissionv1.Create)).Response
		if r.Allowed || r.UID != "u-3" {
			t.Fatalf("allowed %v uid %q, want a denial of u-3", r.Allowed, r.UID)
		}
		st := r.Result
		wantMsg := "[spec.ports[0].port: Forbidden: port 49152 is reserved, spec.ports[1].port: Forbidden: port 49153 is reserved]"
		if st.Code != 403 || st.Reason != metav1.StatusReasonForbidden || st.Message != wantMsg {
			t.Fatalf("status %d %q %q, want 403 Forbidden %q", st.Code, st.Reason, st.Message, wantMsg)
		}
		if st.Details == nil || len(st.Details.Causes) != 2 {
			t.Fatalf("details %+v, want 2 causes", st.Details)
		}
		c := st.Details.Causes[1]
		if c.Field != "spec.ports[1].port" || c.Type != metav1.CauseType("FieldValueForbidden") || c.Message != "Forbidden: port 49153 is reserved" {
			t.Errorf("cause %+v", c)
		}
		if st.Details.Name != "deny-me" || st.Details.Kind != "VirtualMachine" || st.Details.Group != "kubevirt.io" {
			t.Errorf("details name/kind/group %+v", st.Details)
		}
	})

	t.Run("warnings pass through", func(t *testing.T) {
		r := ts.admit(t, ValidatePath, review("u-4", "warn-me", admissionv1.Create)).Response
		if !r.Allowed || len(r.Warnings) != 1 || r.Warnings[0] != "spec.x: fake warning" {
			t.Fatalf("got allowed %v warnings %q", r.Allowed, r.Warnings)
		}
	})

	t.Run("dryRun is answered like any other request", func(t *testing.T) {
		body := bytes.Replace(review("u-5", "deny-dry", admissionv1.Create), []byte(`"operation"`), []byte(`"dryRun":true,"operation"`), 1)
		wet := ts.admit(t, ValidatePath, review("u-5", "deny-dry", admissionv1.Create)).Response
		dry := ts.admit(t, ValidatePath, body).Response
		if dry.Allowed || dry.Result.Message != wet.Result.Message {
			t.Fatalf("dry run %+v differs from %+v", dry.Result, wet.Result)
		}
	})

	t.Run("an object that does not decode is denied with a clear message", func(t *testing.T) {
		body := bytes.Replace(review("u-6", "vm6", admissionv1.Create), []byte(`"object":{`), []byte(`"object":"not an object","x":{`), 1)
		r := ts.admit(t, ValidatePath, body).Response
		if r.Allowed || r.Result.Code != 403 || r.Result.Message != "object: Invalid value: \"\": does not decode" {
			t.Fatalf("got %+v", r.Result)
		}
	})
}

// Every bad request gets a 4xx and a one-line reason, and breaks nothing.
func TestBadRequests(t *testing.T) {
	ts := startServer(t, func(o *Options) { o.MaxBodyBytes = 64 << 10 })
	good := review("u-ok", "vm", admissionv1.Create)
	replace := func(old, new string) []byte { return bytes.Replace(good, []byte(old), []byte(new), 1) }

	cases := []struct {
		name        string
		method      string
		contentType string
		body        []byte
		status      int
		reason      string
	}{
		{"not JSON", "POST", "application/json", []byte(`{"apiVersion": admission`), 400, "request body is not valid JSON"},
		{"truncated JSON", "POST", "application/json", good[:len(good)-3], 400, "request body is not valid JSON"},
		{"empty body", "POST", "application/json", nil, 400, "empty request body; send an AdmissionReview"},
		{"not an AdmissionReview", "POST", "application/json", []byte(`{"apiVersion":"v1","kind":"ConfigMap","data":{}}`), 400, `request body is not an AdmissionReview (kind "ConfigMap")`},
		{"JSON array", "POST", "application/json", []byte(`[1,2]`), 400, "request body is not an AdmissionReview: a JSON array where a v1.AdmissionReview is wanted"},
		{"wrong type in request", "POST", "application/json", replace(`"uid":"u-ok"`, `"uid":42`), 400, "request body is not an AdmissionReview: at /request/uid, a JSON number where a types.UID is wanted"},
		{"wrong apiVersion", "POST", "application/json", replace("admission.k8s.io/v1", "admission.k8s.io/v1beta1"), 400, `AdmissionReview apiVersion "admission.k8s.io/v1beta1" not supported; use admission.k8s.io/v1 (admissionReviewVersions: [v1])`},
		{"no request", "POST", "application/json", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`), 400, "AdmissionReview has no request"},
		{"null request", "POST", "application/json", []byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":null}`), 400, "AdmissionReview has no request"},
		{"no uid", "POST", "application/json", replace(`"uid":"u-ok",`, ``), 400, "AdmissionReview request has no uid"},
		{"uid in the wrong case", "POST", "application/json", replace(`"uid":"u-ok"`, `"UID":"u-ok"`), 400, "AdmissionReview request has no uid"},
		{"body over the limit", "POST", "application/json", append(replace(`"spec":{}`, `"spec":{"pad":"`), bytes.Repeat([]byte("x"), 70<<10)...), 413, "request body larger than 65536 bytes"},
		{"GET", "GET", "", nil, 405, "method GET not allowed; send an AdmissionReview with POST"},
		{"wrong content type", "POST", "text/plain", good, 415, `content type "text/plain" not supported; send application/json`},
		{"no content type", "POST", "", good, 415, `content type "" not supported; send application/json`},
		{"YAML content type", "POST", "application/yaml", good, 415, `content type "application/yaml" not supported; send application/json`},
	}
	for _, path := range []string{MutatePath, ValidatePath} {
		for _, tc := range cases {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				req, err := http.NewRequest(tc.method, ts.url+path, bytes.NewReader(tc.body))
				if err != nil {
					t.Fatal(err)
				}
				if tc.contentType != "" {
					req.Header.Set("Content-Type", tc.contentType)
				}
				resp, err := ts.client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var b bytes.Buffer
				b.ReadFrom(resp.Body)
				body := b.String()
				if resp.StatusCode != tc.status {
					t.Errorf("status %d, want %d (body %q)", resp.StatusCode, tc.status, body)
				}
				if !strings.HasPrefix(body, tc.reason) || strings.Count(body, "\n") != 1 || !strings.HasSuffix(body, "\n") {
					t.Errorf("body %q, want one line starting %q", body, tc.reason)
				}
				if tc.status == 405 && resp.Header.Get("Allow") != "POST" {
					t.Errorf("Allow %q, want POST", resp.Header.Get("Allow"))
				}
			})
		}
	}
	// The server is still up and answering.
	if r := ts.admit(t, ValidatePath, good).Response; !r.Allowed || r.UID != "u-ok" {
		t.Fatalf("after the bad requests: %+v", r)
	}
}

func TestContentTypeWithCharsetIsAccepted(t *testing.T) {
	ts := startServer(t, nil)
	status, b := ts.post(t, ValidatePath, "application/json; charset=utf-8", review("u-c", "vm", admissionv1.Create))
	var out admissionv1.AdmissionReview
	if status != 200 || json.Unmarshal(b, &out) != nil || out.Response == nil || !out.Response.Allowed {
		t.Fatalf("status %d body %s", status, b)
	}
}
