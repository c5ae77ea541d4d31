// Package webhook serves the admission rules over HTTPS: request hygiene,
// AdmissionReview decoding, turning rule results into admission responses,
// logs and metrics. It holds no rule logic: the rules arrive as functions.
package webhook

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
)

// RuleFunc is rules.Mutate or rules.Validate, or a stand-in in tests.
type RuleFunc func(config.Config, rules.Request) rules.Result

// Handler answers admission requests with one RuleFunc. It implements
// controller-runtime's admission.Handler.
type Handler struct {
	// Name is "mutate" or "validate": it labels logs and metrics.
	Name   string
	Rule   RuleFunc
	Config config.Config
	Log    logr.Logger
}

var _ admission.Handler = (*Handler)(nil)

// RulesRequest is what the rules see of an admission request. Serve and
// preview both build it here, so that they cannot drift apart.
func RulesRequest(req admission.Request) rules.Request {
	return rules.Request{
		Kind:      schema.GroupVersionKind{Group: req.Kind.Group, Version: req.Kind.Version, Kind: req.Kind.Kind},
		Operation: req.Operation,
		Object:    req.Object.Raw,
		OldObject: req.OldObject.Raw,
		UID:       string(req.UID),
	}
}

// Handle runs the rule and turns its result into a response: a denial when
// there are errors, otherwise allowed with the patch; warnings either way.
// A panic in the rule is logged with the request's uid and stack, counted,
// and answered as an internal error, which the Endpoint turns into HTTP 500
// (see internalError); the server keeps serving.
func (h *Handler) Handle(_ context.Context, req admission.Request) (resp admission.Response) {
	start := time.Now()
	kind := kindLabel(req.Kind.Kind)
	var res rules.Result
	decision := "allowed"
	defer func() {
		if r := recover(); r != nil {
			panics.WithLabelValues(h.Name).Inc()
			decision = "error"
			h.Log.Error(fmt.Errorf("panic: %v", r), "rule panicked; answering with an internal error",
				"uid", req.UID, "webhook", h.Name, "kind", req.Kind.Kind, "stack", string(debug.Stack()))
			resp = internalError(req.UID)
		}
		decisions.WithLabelValues(h.Name, kind, operationLabel(string(req.Operation)), decision).Inc()
		h.logRequest(req, decision, res, time.Since(start))
	}()

	res = h.Rule(h.Config, RulesRequest(req))
	for _, rule := range res.Fired {
		ruleFirings.WithLabelValues(h.Name, kind, rule).Inc()
	}
	if n := len(res.Warnings); n > 0 {
		warnings.WithLabelValues(h.Name, kind).Add(float64(n))
	}

	if len(res.Errors) > 0 {
		decision = "denied"
		return Denied(req, res)
	}
	resp = admission.Allowed("")
	if len(res.Patch) > 0 {
		patch, err := MarshalPatch(res.Patch)
		if err != nil {
			decision = "error"
			h.Log.Error(err, "encoding the patch", "uid", req.UID, "webhook", h.Name)
			return admission.Errored(http.StatusInternalServerError,
				fmt.Errorf("internal error in vmnet-webhook while encoding the patch of request %s", req.UID))
		}
		decision = "patched"
		patchOps.WithLabelValues(kind).Add(float64(len(res.Patch)))
		pt := admissionv1.PatchTypeJSONPatch
		resp.Patch, resp.PatchType = patch, &pt
	}
	resp.Warnings = res.Warnings
	return resp
}

// internalError returns the answer to a request the webhook failed to evaluate.
// The Endpoint sends it as HTTP 500 rather than as an AdmissionReview: the
// API server then treats the call as failed and applies the webhook's
// failurePolicy (mutate fails open, validate fails closed), exactly as when
// the webhook is down. Answering allowed:false would instead refuse the
// object even where the policy says to let it through.
func internalError(uid types.UID) admission.Response {
	resp := admission.Errored(http.StatusInternalServerError,
		fmt.Errorf("internal error in vmnet-webhook while evaluating request %s; the webhook's log has the details", uid))
	resp.UID = uid
	return resp
}

// isInternalError tells an internal error (ours, or controller-runtime's
// own for a panic it recovered or a response it could not encode) from a
// verdict: the rules' denials are always 403.
func isInternalError(resp admission.Response) bool {
	return !resp.Allowed && resp.Result != nil && resp.Result.Code == http.StatusInternalServerError
}

// Denied returns the answer to a request the rules reject: 403 Forbidden with the
// field errors aggregated into the message (what kubectl prints), and one
// cause per error for programmatic clients. 422 Invalid is not used: kubectl
// would then drop the webhook's name from the message.
func Denied(req admission.Request, res rules.Result) admission.Response {
	causes := make([]metav1.StatusCause, 0, len(res.Errors))
	for _, e := range res.Errors {
		causes = append(causes, metav1.StatusCause{
			Type:    metav1.CauseType(e.Type),
			Message: e.ErrorBody(),
			Field:   e.Field,
		})
	}
	return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{
		Allowed: false,
		Result: &metav1.Status{
			Status:  metav1.StatusFailure,
			Code:    http.StatusForbidden,
			Reason:  metav1.StatusReasonForbidden,
			Message: res.Errors.ToAggregate().Error(),
			Details: &metav1.StatusDetails{
				Name:   req.Name,
				Group:  req.Kind.Group,
				Kind:   req.Kind.Kind,
				Causes: causes,
			},
		},
		Warnings: res.Warnings,
	}}
}

// logRequest writes the one line per request. Object contents stay out of
// it at the default level; at debug the patch, errors and warnings are added.
func (h *Handler) logRequest(req admission.Request, decision string, res rules.Result, latency time.Duration) {
	dryRun := req.DryRun != nil && *req.DryRun
	h.Log.Info("admission",
		"uid", req.UID,
		"webhook", h.Name,
		"kind", req.Kind.Kind,
		"namespace", req.Namespace,
		"name", req.Name,
		"operation", req.Operation,
		"dryRun", dryRun,
		"decision", decision,
		"rules", res.Fired,
		"latency", latency.String(),
	)
	if v := h.Log.V(1); v.Enabled() {
		v.Info("admission details", "uid", req.UID, "patch", res.Patch, "errors", res.Errors.ToAggregate(), "warnings", res.Warnings)
	}
}
