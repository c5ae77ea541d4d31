// Command vmnet-floor is the benchmarks' floor: the webhook package's server
// (same TLS, request checks, AdmissionReview decoding, metrics and one log
// line per request as `vmnet-webhook serve`) with rules that allow
// everything. What it costs, any Go webhook costs; what vmnet-webhook costs
// above it is the rules. It takes the serve flags the harness passes.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	ctrlzap "sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
	"github.com/vmnet-webhook/vmnet-webhook/webhook"
)

// allow is the floor's rule: no patch, no error, no warning.
func allow(config.Config, rules.Request) rules.Result { return rules.Result{} }

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "serve" {
		args = args[1:]
	}
	fs := pflag.NewFlagSet("vmnet-floor", pflag.ExitOnError)
	port := fs.Int("port", 9443, "HTTPS port")
	bind := fs.String("bind-address", "127.0.0.1", "IP address to listen on")
	certDir := fs.String("cert-dir", "certs", "directory holding tls.crt and tls.key")
	health := fs.String("health-addr", "127.0.0.1:8081", "address of /healthz and /readyz")
	metrics := fs.String("metrics-addr", "127.0.0.1:8080", `address of /metrics; "0" turns it off`)
	_ = fs.Parse(args)

	// The same logger as serve: zap, JSON, info level, on stderr.
	log := ctrlzap.New(ctrlzap.UseDevMode(false), ctrlzap.WriteTo(os.Stderr))
	ctrllog.SetLogger(log)
	srv, err := webhook.NewServer(webhook.Options{
		Host:         *bind,
		Port:         *port,
		CertDir:      *certDir,
		HealthAddr:   *health,
		MetricsAddr:  *metrics,
		MaxBodyBytes: webhook.DefaultMaxBodyBytes,
		Config:       config.Default(),
		Mutate:       allow,
		Validate:     allow,
		Log:          log.WithName("webhook"),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmnet-floor: %v\n", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := srv.Run(ctx); err != nil {
		os.Exit(1)
	}
}
