package webhook

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	admissionv1 "k8s.io/api/admission/v1"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	sigsjson "sigs.k8s.io/json"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
)

// FuzzEndpoint drives the whole request path of both endpoints (hygiene,
// decoding, the real rules, encoding the answer) with arbitrary bodies and
// content types. It never panics, answers only with the statuses the
// server is meant to use (500 would mean a rule panicked), keeps refusals
// to one line, and every 200 is an admission.k8s.io/v1 AdmissionReview
// answering the request's uid, with a JSON Patch that applies to the object.
// Seeds: the hostile corpus in testdata/hostile, and testdata/fuzz.
func FuzzEndpoint(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(hostileDir, "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds in %s: %v", hostileDir, err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "application/json", false)
		f.Add(b, "application/json", true)
	}
	f.Add(review("seed", "vm", admissionv1.Create), "application/json; charset=utf-8", true)

	quiet := ctrllog.Log.WithName("fuzz").V(5) // not the test log: millions of lines
	endpoints := map[bool]*Endpoint{
		false: NewEndpoint(&Handler{Name: "mutate", Rule: rules.Mutate, Config: dualStack(), Log: quiet}, 1<<20, time.Second),
		true:  NewEndpoint(&Handler{Name: "validate", Rule: rules.Validate, Config: dualStack(), Log: quiet}, 1<<20, time.Second),
	}
	f.Fuzz(func(t *testing.T, body []byte, contentType string, validate bool) {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		endpoints[validate].ServeHTTP(rec, req)

		out := rec.Body.Bytes()
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			if s := strings.TrimSuffix(string(out), "\n"); s == "" || strings.Contains(s, "\n") {
				t.Fatalf("status %d with a reason that is not one line: %q", rec.Code, out)
			}
			return
		default:
			t.Fatalf("status %d: %q", rec.Code, out)
		}

		var in admissionv1.AdmissionReview
		if err := sigsjson.UnmarshalCaseSensitivePreserveInts(body, &in); err != nil || in.Request == nil {
			t.Fatalf("answered 200 to a body that is not a review (%v)", err)
		}
		var answer admissionv1.AdmissionReview
		if err := json.Unmarshal(out, &answer); err != nil {
			t.Fatalf("200 that is not JSON: %v: %q", err, out)
		}
		if answer.APIVersion != "admission.k8s.io/v1" || answer.Kind != "AdmissionReview" || answer.Response == nil {
			t.Fatalf("200 that is not an AdmissionReview answer: %s", out)
		}
		r := answer.Response
		if r.UID != in.Request.UID || r.UID == "" {
			t.Fatalf("answer uid %q for request uid %q", r.UID, in.Request.UID)
		}
		if !r.Allowed && (r.Result == nil || r.Result.Code != http.StatusForbidden || r.Result.Message == "") {
			t.Fatalf("denial without a 403 status and message: %+v", r.Result)
		}
		if len(r.Patch) > 0 {
			if r.PatchType == nil || *r.PatchType != admissionv1.PatchTypeJSONPatch {
				t.Fatalf("patch without patchType JSONPatch")
			}
			p, err := jsonpatch.DecodePatch(r.Patch)
			if err != nil {
				t.Fatalf("patch is not a JSON Patch: %v: %s", err, r.Patch)
			}
			if _, err := p.Apply(in.Request.Object.Raw); err != nil {
				t.Fatalf("patch does not apply to the object: %v: %s", err, r.Patch)
			}
		}
	})
}
