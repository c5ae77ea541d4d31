package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"sigs.k8s.io/controller-runtime/pkg/certwatcher"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

// Paths the webhook configurations call.
const (
	MutatePath   = "/mutate"
	ValidatePath = "/validate"
)

// Options configure a Server. Mutate and Validate are the rule functions:
// rules.Mutate and rules.Validate in production, stand-ins in tests.
type Options struct {
	// Host is the address the webhook listens on; empty means all.
	Host string
	Port int
	// CertDir holds tls.crt and tls.key; they are reloaded when they change.
	CertDir string
	// ClientCAFile, when set, makes the server require client certificates
	// signed by this CA (the API server's).
	ClientCAFile  string
	TLSMinVersion uint16
	// EnableHTTP2 offers h2 in ALPN. Off by default: HTTP/2 Rapid Reset
	// (CVE-2023-44487) costs a server more than it gains a webhook.
	EnableHTTP2 bool
	// HealthAddr serves /healthz and /readyz over plain HTTP.
	HealthAddr string
	// MetricsAddr serves /metrics over plain HTTP; "0" turns it off.
	MetricsAddr string
	// MetricsFilter, when set, wraps /metrics (controller-runtime's
	// authentication and authorization filter in production), and /metrics
	// is then served over HTTPS with the webhook's serving certificate, so
	// that no bearer token crosses the network in clear.
	MetricsFilter metricsserver.Filter
	MaxBodyBytes  int64
	// BodyTimeout bounds reading a request's body; DefaultBodyTimeout if 0.
	// Headers are bounded by controller-runtime's server (32 s, and idle
	// connections are closed after 90 s).
	BodyTimeout time.Duration
	// ShutdownDelay is how long the server keeps answering after readiness
	// went false, so that endpoints stop routing to it before it stops.
	ShutdownDelay time.Duration

	// CertsReady, when set, holds back the webhook listener (and so
	// readiness) until it is closed: the certificate is not in CertDir yet.
	// Health and metrics are served meanwhile, so the liveness probe passes.
	CertsReady <-chan struct{}
	// Failed, when set, stops the server with the error it receives (the
	// certificate rotator's).
	Failed <-chan error

	Config   config.Config
	Mutate   RuleFunc
	Validate RuleFunc
	Log      logr.Logger
}

// Server is the webhook server: controller-runtime's TLS webhook server with
// the two admission endpoints, and plain-HTTP health and metrics servers.
type Server struct {
	opts    Options
	webhook ctrlwebhook.Server
	health  net.Listener
	metrics net.Listener
	// certs serves tls.crt and tls.key from CertDir to the webhook listener
	// (and the metrics listener when it is authenticated); made in Run, once
	// the files are there.
	certs *certwatcher.CertWatcher
	ready atomic.Bool
	// draining is set when shutdown begins; readiness is false from then on.
	draining atomic.Bool
}

// NewServer checks the options and binds the health and metrics listeners,
// so that a port conflict is reported before anything starts.
func NewServer(opts Options) (*Server, error) {
	if opts.Mutate == nil || opts.Validate == nil {
		return nil, errors.New("webhook: Mutate and Validate must be set")
	}
	if opts.MaxBodyBytes <= 0 || opts.MaxBodyBytes > MaxBodyBytesLimit {
		return nil, fmt.Errorf("max body bytes %d out of range (1-%d)", opts.MaxBodyBytes, MaxBodyBytesLimit)
	}
	if opts.Port <= 0 || opts.Port > 65535 {
		return nil, fmt.Errorf("port %d out of range (1-65535)", opts.Port)
	}
	if opts.TLSMinVersion == 0 {
		opts.TLSMinVersion = tls.VersionTLS12
	}
	if opts.TLSMinVersion != tls.VersionTLS12 && opts.TLSMinVersion != tls.VersionTLS13 {
		return nil, errors.New("TLS minimum version must be 1.2 or 1.3")
	}
	if opts.MetricsFilter != nil && opts.MetricsAddr == "0" {
		return nil, errors.New("authenticated metrics need a metrics address; it is off")
	}
	if opts.BodyTimeout <= 0 {
		opts.BodyTimeout = DefaultBodyTimeout
	}
	tlsOpts, err := opts.tlsOptions()
	if err != nil {
		return nil, err
	}

	runtimeCollectors()
	s := &Server{opts: opts}
	// With GetCertificate set, controller-runtime makes no watcher of its own.
	tlsOpts = append(tlsOpts, func(c *tls.Config) { c.GetCertificate = s.certs.GetCertificate })
	s.webhook = ctrlwebhook.NewServer(ctrlwebhook.Options{
		Host:    opts.Host,
		Port:    opts.Port,
		CertDir: opts.CertDir,
		TLSOpts: tlsOpts,
	})
	for path, h := range map[string]*Handler{
		MutatePath:   {Name: "mutate", Rule: opts.Mutate, Config: opts.Config, Log: opts.Log},
		ValidatePath: {Name: "validate", Rule: opts.Validate, Config: opts.Config, Log: opts.Log},
	} {
		// Register wraps the endpoint in controller-runtime's metrics.
		ep := NewEndpoint(h, opts.MaxBodyBytes, opts.BodyTimeout)
		ep.draining = s.draining.Load
		s.webhook.Register(path, ep)
	}

	if s.health, err = net.Listen("tcp", opts.HealthAddr); err != nil {
		return nil, fmt.Errorf("health address: %w", err)
	}
	if opts.MetricsAddr != "0" {
		if s.metrics, err = net.Listen("tcp", opts.MetricsAddr); err != nil {
			s.health.Close()
			return nil, fmt.Errorf("metrics address: %w", err)
		}
	}
	return s, nil
}

// tlsOptions adjust controller-runtime's TLS config: minimum version, ALPN,
// and the client CA. The client CA is read here rather than through
// controller-runtime's ClientCAName, which only looks inside CertDir.
func (o Options) tlsOptions() ([]func(*tls.Config), error) {
	var pool *x509.CertPool
	if o.ClientCAFile != "" {
		pem, err := os.ReadFile(o.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("client CA: %w", err)
		}
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client CA: %s holds no PEM certificate", o.ClientCAFile)
		}
	}
	return []func(*tls.Config){func(c *tls.Config) {
		c.MinVersion = o.TLSMinVersion
		if o.EnableHTTP2 {
			c.NextProtos = []string{"h2", "http/1.1"}
		} else {
			c.NextProtos = []string{"http/1.1"}
		}
		if pool != nil {
			c.ClientCAs = pool
			c.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}}, nil
}

// HealthAddr and MetricsAddr are the bound addresses (useful with port 0).
func (s *Server) HealthAddr() string { return s.health.Addr().String() }
func (s *Server) MetricsAddr() string {
	if s.metrics == nil {
		return ""
	}
	return s.metrics.Addr().String()
}

// Run serves until ctx is done, then shuts down in order: readiness goes
// false, the webhook keeps answering for ShutdownDelay, then stops accepting
// and waits for requests in flight. It returns nil after a clean shutdown.
func (s *Server) Run(ctx context.Context) error {
	log := s.opts.Log
	webhookCtx, stopWebhook := context.WithCancel(context.Background())
	defer stopWebhook()

	errc := make(chan error, 4)
	webhookDone := make(chan struct{})
	if s.opts.Failed != nil {
		go func() {
			select {
			case err := <-s.opts.Failed:
				errc <- err
			case <-webhookCtx.Done():
			}
		}()
	}

	health := plainServer(s.healthMux())
	go func() {
		if err := health.Serve(s.health); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("health server: %w", err)
		}
	}()
	var metrics *http.Server
	startMetrics := func() error {
		if s.metrics == nil {
			return nil
		}
		var h http.Handler = promhttp.HandlerFor(ctrlmetrics.Registry, promhttp.HandlerOpts{})
		ln := s.metrics
		if s.opts.MetricsFilter != nil {
			var err error
			if h, err = s.opts.MetricsFilter(log.WithName("metrics"), h); err != nil {
				return fmt.Errorf("metrics filter: %w", err)
			}
			ln = tls.NewListener(ln, &tls.Config{
				GetCertificate: s.certs.GetCertificate,
				MinVersion:     s.opts.TLSMinVersion,
				NextProtos:     []string{"http/1.1"},
			})
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", h)
		metrics = plainServer(mux)
		go func() {
			if err := metrics.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("metrics server: %w", err)
			}
		}()
		return nil
	}
	// Plain metrics are served at once; authenticated ones need the
	// serving certificate.
	if s.opts.MetricsFilter == nil {
		_ = startMetrics()
	}
	var runErr error
	certsReady := s.opts.CertsReady
	if certsReady == nil {
		certsReady = closed
	} else {
		log.Info("waiting for the serving certificate", "certDir", s.opts.CertDir)
	}
	select {
	case <-certsReady:
		var err error
		if s.certs, err = watchCertificate(s.opts.CertDir, log.WithName("certificate")); err != nil {
			runErr = fmt.Errorf("serving certificate: %w", err)
			log.Error(runErr, "shutting down")
			close(webhookDone)
			break
		}
		go func() {
			if err := s.certs.Start(webhookCtx); err != nil {
				log.Error(err, "certificate watcher stopped")
			}
		}()
		if s.opts.MetricsFilter != nil {
			if runErr = startMetrics(); runErr != nil {
				log.Error(runErr, "shutting down")
				close(webhookDone)
				break
			}
		}
		go func() {
			defer close(webhookDone)
			if err := s.webhook.Start(webhookCtx); err != nil {
				errc <- fmt.Errorf("webhook server: %w", err)
			}
		}()
		go s.waitServing(webhookCtx)
		select {
		case <-ctx.Done():
			log.Info("shutting down: readiness is now false", "delay", s.opts.ShutdownDelay.String())
		case runErr = <-errc:
			log.Error(runErr, "shutting down")
		}
	case <-ctx.Done():
		log.Info("shutting down before the certificate was in place")
		close(webhookDone)
	case runErr = <-errc:
		log.Error(runErr, "shutting down before the certificate was in place")
		close(webhookDone)
	}
	s.draining.Store(true)
	if runErr == nil && s.opts.ShutdownDelay > 0 {
		time.Sleep(s.opts.ShutdownDelay)
	}
	// controller-runtime's server stops accepting, then waits (up to a
	// minute) for requests in flight before Start returns.
	stopWebhook()
	<-webhookDone

	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = health.Shutdown(shutdownCtx)
	if metrics != nil {
		_ = metrics.Shutdown(shutdownCtx)
	} else if s.metrics != nil {
		s.metrics.Close() // authenticated metrics that never started
	}
	if runErr == nil {
		select {
		case runErr = <-errc: // the webhook server failed while stopping
		default:
		}
	}
	if runErr == nil {
		log.Info("shut down cleanly")
	}
	return runErr
}

// closed is a channel that is always ready.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// waitServing marks the server ready once controller-runtime's checker can
// complete a TLS handshake with the webhook listener. The state is latched:
// probing by handshake on every /readyz would, with a client CA, fill the
// log with refused handshakes.
func (s *Server) waitServing(ctx context.Context) {
	check := s.webhook.StartedChecker()
	req, _ := http.NewRequest(http.MethodGet, "/readyz", nil)
	for {
		if err := check(req); err == nil {
			s.ready.Store(true)
			s.opts.Log.Info("webhook server is serving", "port", s.opts.Port)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Server) healthMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		switch {
		case s.draining.Load():
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
		case !s.ready.Load():
			http.Error(w, "webhook server not serving yet", http.StatusServiceUnavailable)
		default:
			_, _ = w.Write([]byte("ok\n"))
		}
	})
	return mux
}

// plainServer serves health or metrics (over plain HTTP or the TLS
// listener it is given) with timeouts that a stuck client
// cannot outlast.
func plainServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
