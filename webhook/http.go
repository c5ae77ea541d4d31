package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// DefaultMaxBodyBytes bounds a review's body. The API server sends at most
// two objects (old and new) of up to about 3 MiB each, but KubeVirt objects
// are a few KiB; 4 MiB leaves room without inviting memory exhaustion.
const DefaultMaxBodyBytes = 4 << 20

// MaxBodyBytesLimit is the largest accepted --max-body-bytes: the body is
// read into memory, decoded, and handed to the rules.
const MaxBodyBytesLimit = 64 << 20

// DefaultBodyTimeout bounds reading the body, and again writing the answer,
// of one request. The API server gives a webhook at most 30 s (ours: 5 s),
// so a client that takes longer is stuck or hostile.
const DefaultBodyTimeout = 10 * time.Second

// Endpoint serves one admission path. Before anything reaches the rules it
// checks the request: POST, application/json, a body under the limit, valid
// JSON, an admission.k8s.io/v1 AdmissionReview with a request and a uid.
// Anything else is answered 4xx with a one-line reason. (controller-runtime's
// own ServeHTTP answers a review without a request as allowed with an empty
// uid; this one refuses it.)
type Endpoint struct {
	name         string
	hook         *admission.Webhook
	maxBodyBytes int64
	bodyTimeout  time.Duration
	log          logr.Logger
	// draining, when set and true, makes every answer close its
	// connection: see ServeHTTP.
	draining func() bool
}

// NewEndpoint serves h, reading at most maxBodyBytes of body within
// bodyTimeout.
func NewEndpoint(h *Handler, maxBodyBytes int64, bodyTimeout time.Duration) *Endpoint {
	return &Endpoint{
		name: h.Name,
		hook: &admission.Webhook{
			Handler: h,
			// The handler logs each request itself; this keeps
			// controller-runtime from building a logger per request.
			LogConstructor: func(logr.Logger, *admission.Request) logr.Logger { return h.Log },
		},
		maxBodyBytes: maxBodyBytes,
		bodyTimeout:  bodyTimeout,
		log:          h.Log,
	}
}

// badRequest is a refusal before the rules: an HTTP status and a reason.
type badRequest struct {
	status int
	label  string // metrics label, one of a fixed set
	reason string
}

func (e *badRequest) Error() string { return e.reason }

func (ep *Endpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ep.draining != nil && ep.draining() {
		// While shutting down, answer and close: a client then opens a new
		// connection for its next request (to another replica) instead of
		// sending it on a pooled one just as the server closes it, which
		// it would see as a reset.
		w.Header().Set("Connection", "close")
	}
	review, err := ep.readReview(w, r)
	if err != nil {
		var bad *badRequest
		if !errors.As(err, &bad) {
			bad = &badRequest{http.StatusBadRequest, "read", err.Error()}
		}
		badRequests.WithLabelValues(ep.name, bad.label).Inc()
		ep.log.Info("bad request", "webhook", ep.name, "status", bad.status, "reason", bad.reason, "remote", r.RemoteAddr)
		if bad.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", http.MethodPost)
		}
		http.Error(w, bad.reason, bad.status)
		return
	}

	resp := ep.hook.Handle(r.Context(), admission.Request{AdmissionRequest: *review.Request})
	if isInternalError(resp) {
		// Not a verdict: HTTP 500 makes the API server apply the
		// webhook's failurePolicy. The uid and stack are in the log.
		internalErrors.WithLabelValues(ep.name).Inc()
		http.Error(w, oneLine(resp.Result.Message), http.StatusInternalServerError)
		return
	}
	out := admissionv1.AdmissionReview{
		TypeMeta: review.TypeMeta,
		Response: &resp.AdmissionResponse,
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(out); err != nil {
		// The client is gone or the connection broke; nothing to answer.
		ep.log.Error(err, "writing the response", "uid", review.Request.UID)
	}
}

func (ep *Endpoint) readReview(w http.ResponseWriter, r *http.Request) (*admissionv1.AdmissionReview, error) {
	if r.Method != http.MethodPost {
		return nil, &badRequest{http.StatusMethodNotAllowed, "method", fmt.Sprintf("method %s not allowed; send an AdmissionReview with POST", r.Method)}
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
		return nil, &badRequest{http.StatusUnsupportedMediaType, "content_type", fmt.Sprintf("content type %q not supported; send application/json", ct)}
	}

	// controller-runtime's server sets no read timeout for bodies, so each
	// request bounds its own: a client that stops sending mid-body is cut
	// off instead of holding the connection.
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(ep.bodyTimeout)
	_ = rc.SetReadDeadline(deadline) // not supported only on exotic writers
	_ = rc.SetWriteDeadline(deadline.Add(ep.bodyTimeout))

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, ep.maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &badRequest{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("request body larger than %d bytes", ep.maxBodyBytes)}
		}
		return nil, &badRequest{http.StatusBadRequest, "read", fmt.Sprintf("reading the request body: %v", err)}
	}
	if len(body) == 0 {
		return nil, &badRequest{http.StatusBadRequest, "empty", "empty request body; send an AdmissionReview"}
	}
	review, err := decodeReview(body)
	if err != nil {
		var syntax *jsontext.SyntacticError
		if errors.As(err, &syntax) || !jsontext.Value(body).IsValid(reviewOptions...) {
			return nil, &badRequest{http.StatusBadRequest, "not_json", "request body is not valid JSON"}
		}
		return nil, &badRequest{http.StatusBadRequest, "not_review", "request body is not an AdmissionReview: " + oneLine(notReview(err))}
	}
	if review.Kind != "AdmissionReview" {
		return nil, &badRequest{http.StatusBadRequest, "not_review", fmt.Sprintf("request body is not an AdmissionReview (kind %q)", review.Kind)}
	}
	if review.APIVersion != admissionv1.SchemeGroupVersion.String() {
		return nil, &badRequest{http.StatusBadRequest, "api_version", fmt.Sprintf("AdmissionReview apiVersion %q not supported; use %s (admissionReviewVersions: [v1])", review.APIVersion, admissionv1.SchemeGroupVersion)}
	}
	if review.Request == nil {
		return nil, &badRequest{http.StatusBadRequest, "no_request", "AdmissionReview has no request"}
	}
	if review.Request.UID == "" {
		return nil, &badRequest{http.StatusBadRequest, "no_uid", "AdmissionReview request has no uid"}
	}
	review.Response = nil
	return review, nil
}

// oneLine keeps a decoder's message to the single line a reason promises.
func oneLine(s string) string {
	const max = 200
	for i, c := range s {
		if c == '\n' || c == '\r' {
			s = s[:i]
			break
		}
	}
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}
