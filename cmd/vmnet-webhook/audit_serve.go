package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Outcomes of vmnet_audit_objects.
const (
	outcomeDeny = "deny"
	outcomeWarn = "warn"
)

// auditMetrics are what the in-cluster audit exports. Every label has a
// bounded set of values: kinds, rule names (rules.Result's), outcomes.
type auditMetrics struct {
	registry    *prometheus.Registry
	objects     *prometheus.GaugeVec
	lastSuccess prometheus.Gauge
	runs        *prometheus.CounterVec
}

func newAuditMetrics() *auditMetrics {
	m := &auditMetrics{
		registry: prometheus.NewRegistry(),
		objects: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "vmnet_audit_objects",
			Help: "Stored objects the webhook would refuse (outcome deny) or warn about (outcome warn), by kind and rule, in the last completed audit.",
		}, []string{"kind", "rule", "outcome"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vmnet_audit_last_success_timestamp_seconds",
			Help: "When the last audit that completed, reports written, ended (Unix time).",
		}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vmnet_audit_runs_total",
			Help: "Audits run, by result (success or error).",
		}, []string{"result"}),
	}
	m.registry.MustRegister(m.objects, m.lastSuccess, m.runs,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Both results are exported from the start, so that a rate over them
	// is defined before the first error.
	m.runs.WithLabelValues("success")
	m.runs.WithLabelValues("error")
	return m
}

// objectCounts counts the objects by kind, rule and outcome: an object a
// rule both refused and warned about counts under each outcome once.
// Objects in namespaces being deleted are left out.
func objectCounts(items []auditItem, terminating map[string]bool) map[[3]string]int {
	counts := map[[3]string]int{}
	for _, it := range items {
		if it.Result == resultSkipped || terminating[it.Namespace] {
			continue
		}
		seen := map[[3]string]bool{}
		add := func(rules []string, outcome string) {
			for _, r := range rules {
				k := [3]string{it.Kind, r, outcome}
				if !seen[k] {
					seen[k] = true
					counts[k]++
				}
			}
		}
		if it.Result == resultRefused {
			add(it.deniedBy, outcomeDeny)
		}
		add(it.warnedBy, outcomeWarn)
	}
	return counts
}

// setObjects replaces the gauges with counts: a combination no object has
// any more has no series.
func (m *auditMetrics) setObjects(counts map[[3]string]int) {
	m.objects.Reset()
	for k, n := range counts {
		m.objects.WithLabelValues(k[0], k[1], k[2]).Set(float64(n))
	}
}

// auditLoop audits the cluster every interval, exports the result as
// gauges, and writes PolicyReports where the cluster serves them.
type auditLoop struct {
	auditor  *auditor
	interval time.Duration
	metrics  *auditMetrics
	log      logr.Logger
	// reportsServed is whether PolicyReports were served at the last
	// look, to log a change once.
	reportsServed *bool
}

// once runs one audit, and reports whether it succeeded.
func (l *auditLoop) once(ctx context.Context) error {
	start := time.Now()
	items, sum, err := l.auditor.run(ctx, nil)
	if err != nil {
		return err
	}
	l.metrics.setObjects(objectCounts(items, l.auditor.terminating))
	served, err := reportsServed(l.auditor.discovery)
	if err != nil {
		return err
	}
	if l.reportsServed == nil || *l.reportsServed != served {
		l.log.Info("PolicyReports", "served", served, "groupVersion", policyReportsGVR.GroupVersion().String())
		l.reportsServed = &served
	}
	reports := 0
	if served {
		r := policyReports(items, l.auditor.terminating, start)
		if err := writeReports(ctx, l.auditor.client, r); err != nil {
			return err
		}
		reports = len(r)
	}
	l.log.Info("audited", "summary", sum.String(), "refused", sum.Refused, "warned", sum.Warned,
		"policyReports", reports, "seconds", time.Since(start).Seconds())
	return nil
}

// run audits at once, then every interval, until ctx ends.
func (l *auditLoop) run(ctx context.Context) {
	for {
		if err := l.once(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			l.metrics.runs.WithLabelValues("error").Inc()
			l.log.Error(err, "audit failed; the gauges keep the last completed audit's counts")
		} else {
			l.metrics.runs.WithLabelValues("success").Inc()
			l.metrics.lastSuccess.SetToCurrentTime()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(l.interval):
		}
	}
}

// serveAudit runs the loop and serves /metrics and /healthz on addr until
// ctx ends.
func serveAudit(ctx context.Context, l *auditLoop, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(l.metrics.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	l.log.Info("serving metrics", "address", ln.Addr().String(), "interval", l.interval.String())
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	go func() { l.run(ctx); close(done) }()
	select {
	case err = <-served:
	case <-ctx.Done():
	}
	stop()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
