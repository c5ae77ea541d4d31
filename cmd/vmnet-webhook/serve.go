package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/pflag"
	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/client/config"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	ctrlzap "sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/selfcert"
	"github.com/vmnet-webhook/vmnet-webhook/webhook"
)

// shutdownDelay keeps the webhook answering after readiness went false, long
// enough for the endpoints change to reach the API server.
const shutdownDelay = 5 * time.Second

func serve(args []string, stderr io.Writer) int {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.Int("port", 9443, "HTTPS port of the webhook")
	bindAddr := fs.String("bind-address", "", "IP address the webhook listens on (default: all), e.g. 127.0.0.1 to serve only locally")
	certDir := fs.String("cert-dir", "certs", "directory holding tls.crt and tls.key (reloaded when they change)")
	clientCA := fs.String("client-ca", "", "PEM CA file; when set, clients (the API server) must present a certificate it signed")
	tlsMin := fs.String("tls-min-version", "1.2", "minimum TLS version: 1.2 or 1.3")
	http2 := fs.Bool("enable-http2", false, "offer HTTP/2 (off by default: HTTP/2 Rapid Reset, CVE-2023-44487)")
	healthAddr := fs.String("health-addr", ":8081", "address of /healthz and /readyz (plain HTTP)")
	metricsAddr := fs.String("metrics-addr", ":8080", `address of Prometheus /metrics (plain HTTP); "0" turns it off`)
	metricsAuth := fs.Bool("metrics-auth", false, "serve /metrics over HTTPS with the serving certificate, only to bearer tokens the API server authenticates (TokenReview) and authorizes for GET /metrics (SubjectAccessReview)")
	maxBody := fs.Int64("max-body-bytes", webhook.DefaultMaxBodyBytes, "largest AdmissionReview body accepted")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	certSecret := fs.String("cert-secret", "", `manage the serving certificate in this Secret ("namespace/name", mounted at --cert-dir): make and renew it, and keep its CA in the webhook configurations' caBundle`)
	certDNS := fs.StringSlice("cert-dns-names", nil, "DNS names of the managed certificate, e.g. vmnet-webhook.vmnet-system.svc")
	certWebhooks := fs.String("cert-webhooks", "vmnet-webhook", "name of the MutatingWebhookConfiguration and ValidatingWebhookConfiguration that get the managed CA")
	certValidity := fs.Duration("cert-validity", 90*24*time.Hour, "validity of the managed serving certificate")
	certRenewBefore := fs.Duration("cert-renew-before", 30*24*time.Hour, "renew the managed certificate this long before it expires")
	certCheck := fs.Duration("cert-check-interval", time.Hour, "how often the managed certificate's expiry is checked (a change to its Secret is seen at once)")
	rf := addRuleFlags(fs)
	if status, done := parseFlags(fs, args); done {
		return status
	}

	log, err := newLogger(*logLevel, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "vmnet-webhook serve: %v\n", err)
		return 2
	}
	fail := func(err error) int {
		log.Error(err, "cannot start")
		return 1
	}
	cfg, err := rf.config(fs)
	if err != nil {
		return fail(err)
	}
	minVersion, err := parseTLSVersion(*tlsMin)
	if err != nil {
		return fail(err)
	}
	var metricsFilter metricsserver.Filter
	if *metricsAuth {
		if *metricsAddr == "0" {
			return fail(errors.New(`--metrics-auth needs metrics: --metrics-addr is "0"`))
		}
		if metricsFilter, err = authenticatedMetrics(); err != nil {
			return fail(fmt.Errorf("--metrics-auth: %w", err))
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	var certsReady <-chan struct{}
	var certsFailed <-chan error
	if *certSecret != "" {
		ns, name, ok := strings.Cut(*certSecret, "/")
		if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
			return fail(fmt.Errorf("--cert-secret: %q is not namespace/name", *certSecret))
		}
		if len(*certDNS) == 0 {
			return fail(errors.New("--cert-secret needs --cert-dns-names"))
		}
		if *certRenewBefore <= 0 || *certRenewBefore >= *certValidity || *certCheck <= 0 {
			return fail(errors.New("--cert-renew-before must be positive and shorter than --cert-validity, --cert-check-interval positive"))
		}
		certsReady, certsFailed, err = selfcert.Start(ctx, selfcert.Options{
			Secret:      types.NamespacedName{Namespace: ns, Name: name},
			DNSNames:    *certDNS,
			CertDir:     *certDir,
			Webhooks:    *certWebhooks,
			Validity:    *certValidity,
			RenewBefore: *certRenewBefore,
			CheckEvery:  *certCheck,
			Log:         log.WithName("cert-rotation"),
		})
		if err != nil {
			return fail(err)
		}
	}
	srv, err := webhook.NewServer(webhook.Options{
		Host:          *bindAddr,
		Port:          *port,
		CertDir:       *certDir,
		ClientCAFile:  *clientCA,
		TLSMinVersion: minVersion,
		EnableHTTP2:   *http2,
		HealthAddr:    *healthAddr,
		MetricsAddr:   *metricsAddr,
		MetricsFilter: metricsFilter,
		MaxBodyBytes:  *maxBody,
		ShutdownDelay: shutdownDelay,
		CertsReady:    certsReady,
		Failed:        certsFailed,
		Config:        cfg,
		Mutate:        rules.Mutate,
		Validate:      rules.Validate,
		Log:           log.WithName("webhook"),
	})
	if err != nil {
		return fail(err)
	}
	log.Info("starting", "bindAddress", *bindAddr, "port", *port, "certDir", *certDir, "clientCA", *clientCA != "",
		"tlsMinVersion", *tlsMin, "http2", *http2, "healthAddr", srv.HealthAddr(), "metricsAddr", srv.MetricsAddr(),
		"metricsAuth", *metricsAuth, "maxBodyBytes", *maxBody, "certSecret", *certSecret, "config", cfg, "ipv6", cfg.IPv6.Summary())

	if err := srv.Run(ctx); err != nil {
		return 1
	}
	return 0
}

// authenticatedMetrics is controller-runtime's filter that asks the API
// server (in-cluster, or $KUBECONFIG) to authenticate each scrape's bearer
// token and authorize GET on /metrics for it. Both answers are cached (a
// token's for a minute, an allow for five, a deny for thirty seconds).
func authenticatedMetrics() (metricsserver.Filter, error) {
	cfg, err := ctrlconfig.GetConfig()
	if err != nil {
		return nil, err
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	return filters.WithAuthenticationAndAuthorization(cfg, hc)
}

func parseTLSVersion(v string) (uint16, error) {
	switch v {
	case "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("--tls-min-version: %q is neither 1.2 nor 1.3", v)
}

// newLogger builds the JSON logger and installs it everywhere a library
// might log: controller-runtime (which, without a logger, keeps every
// request's deferred log sink and grows without bound), klog, and the
// standard library's log, which net/http uses for TLS handshake errors.
func newLogger(level string, w io.Writer) (logr.Logger, error) {
	var lvl zapcore.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil || lvl > zapcore.ErrorLevel {
		return logr.Logger{}, fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", level)
	}
	log := ctrlzap.New(ctrlzap.UseDevMode(false), ctrlzap.Level(lvl), ctrlzap.WriteTo(w))
	ctrllog.SetLogger(log)
	klog.SetLogger(log.WithName("klog"))
	stdlog.SetFlags(0)
	stdlog.SetOutput(logWriter{log.WithName("http")})
	return log, nil
}

// logWriter turns the standard library's log lines into structured ones.
type logWriter struct{ log logr.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Info(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
