package webhook

import (
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"
)

// The product's own metrics, next to controller-runtime's webhook metrics
// (controller_runtime_webhook_latency_seconds, _requests_total,
// _requests_in_flight) in the same registry. Every label takes values from
// a bounded set: kinds outside the four the webhook serves count as "other",
// rule names come from the rules package.
var (
	decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vmnet_webhook_decisions_total",
		Help: "Admission decisions by webhook (mutate, validate), kind, operation and decision (allowed, patched, denied, error).",
	}, []string{"webhook", "kind", "operation", "decision"})
	ruleFirings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vmnet_webhook_rule_fired_total",
		Help: "Rules that patched, denied or warned, by webhook, kind and rule.",
	}, []string{"webhook", "kind", "rule"})
	patchOps = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vmnet_webhook_patch_operations_total",
		Help: "JSON Patch operations returned, by kind.",
	}, []string{"kind"})
	warnings = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vmnet_webhook_warnings_total",
		Help: "Warnings returned to users, by webhook and kind.",
	}, []string{"webhook", "kind"})
	badRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vmnet_webhook_bad_requests_total",
		Help: "Requests refused before reaching the rules, by webhook and reason.",
	}, []string{"webhook", "reason"})
	panics = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vmnet_webhook_rule_panics_total",
		Help: "Panics recovered while running the rules, by webhook.",
	}, []string{"webhook"})
	internalErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vmnet_webhook_internal_errors_total",
		Help: "Requests answered HTTP 500 (a panic in the rules, a response that could not be encoded), by webhook; the API server applies the failurePolicy to them.",
	}, []string{"webhook"})
)

func init() {
	ctrlmetrics.Registry.MustRegister(decisions, ruleFirings, patchOps, warnings, badRequests, panics, internalErrors, servingCertExpiry)
	// The counters alerts read start at 0 for both webhooks, so that an
	// alert on their increase sees the first error too.
	for _, name := range []string{"mutate", "validate"} {
		panics.WithLabelValues(name)
		internalErrors.WithLabelValues(name)
	}
}

var registerRuntimeCollectors sync.Once

// runtimeCollectors registers the Go and process collectors, which
// controller-runtime registers only when its controllers are linked in (the
// self-managed certificate's rotator links them). It runs from NewServer,
// after every package's init, with controller-runtime's own options, so
// that whichever comes second finds them registered.
func runtimeCollectors() {
	registerRuntimeCollectors.Do(func() {
		for _, c := range []prometheus.Collector{
			collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsAll)),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		} {
			if err := ctrlmetrics.Registry.Register(c); err != nil {
				var already prometheus.AlreadyRegisteredError
				if !errors.As(err, &already) {
					panic(err)
				}
			}
		}
	})
}

// kindLabel returns kind when the webhook serves it (vmspec.Kinds), and
// "other" otherwise, which bounds the label's values.
func kindLabel(kind string) string {
	for _, s := range vmspec.Kinds {
		if s.Kind == kind {
			return kind
		}
	}
	return "other"
}

func operationLabel(op string) string {
	switch op {
	case "CREATE", "UPDATE", "DELETE", "CONNECT":
		return op
	}
	return "other"
}
