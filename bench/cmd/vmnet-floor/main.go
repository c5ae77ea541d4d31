// Command vmnet-floor is the benchmarks' floor: the webhook package's server
// (same TLS, request checks, AdmissionReview decoding, metrics and one log
// line per request as `vmnet-webhook serve`) with rules that allow
// everything. What it costs, any Go webhook costs; what vmnet-webhook costs
// above it is the rules. It takes the serve flags the harness passes.
//
// With --patch FILE, /mutate answers with that JSON Patch every request it
// applies to (others, such as the harness's probe VM, get none): the
// benchmarks use it to measure what the API server spends applying a patch
// and storing the larger object, apart from the rules. Deciding whether a
// patch applies means applying it to the decoded object, which costs too
// much for a floor measured at server level.
//
// With --patch-for OBJECT=PATCH (repeatable), /mutate answers PATCH to a
// request whose object (request.object) is byte for byte OBJECT's content:
// no decoding, a length check and a comparison per entry. The entries are
// tried in order before --patch; a request matching none is answered as
// without them. The server-level floor+patch arm uses it: one process
// answering each fixture the patch vmnet-webhook gives it, at the plain
// floor's cost apart from sending the patch.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	jsonpatchv5 "github.com/evanphx/json-patch/v5"
	"github.com/spf13/pflag"
	"gomodules.xyz/jsonpatch/v2"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
	ctrlzap "sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
	"github.com/vmnet-webhook/vmnet-webhook/webhook"
)

// allow is the floor's rule: no patch, no error, no warning.
func allow(config.Config, rules.Request) rules.Result { return rules.Result{} }

// floorMutate is the floor's /mutate rule: allow when there is neither a
// patch table nor a fallback, else the table's patch for the request's
// object, or failing that the fallback's (nil: no patch).
func floorMutate(table patchTable, fallback func(rules.Request) []jsonpatch.Operation) webhook.RuleFunc {
	if len(table) == 0 && fallback == nil {
		return allow
	}
	return func(_ config.Config, req rules.Request) rules.Result {
		if ops := table.lookup(req.Object); ops != nil {
			return rules.Result{Patch: ops}
		}
		if fallback != nil {
			return rules.Result{Patch: fallback(req)}
		}
		return rules.Result{}
	}
}

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
	patchFile := fs.String("patch", "", "JSON Patch file /mutate answers every request it applies to with")
	patchFor := fs.StringArray("patch-for", nil, "OBJECT.json=PATCH.json: /mutate answers PATCH when the request's object is byte for byte OBJECT's content, surrounding whitespace aside (repeatable; tried in order, before --patch)")
	_ = fs.Parse(args)
	table, err := loadPatchTable(*patchFor)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vmnet-floor: %v\n", err)
		os.Exit(2)
	}
	var applies func(rules.Request) []jsonpatch.Operation
	if *patchFile != "" {
		data, err := os.ReadFile(*patchFile)
		var patch []jsonpatch.Operation
		var applier jsonpatchv5.Patch
		if err == nil {
			err = json.Unmarshal(data, &patch)
		}
		if err == nil {
			applier, err = jsonpatchv5.DecodePatch(data)
		}
		if err != nil || len(patch) == 0 {
			fmt.Fprintf(os.Stderr, "vmnet-floor: --patch %s: want a non-empty JSON Patch: %v\n", *patchFile, err)
			os.Exit(2)
		}
		applies = func(req rules.Request) []jsonpatch.Operation {
			if _, err := applier.Apply(req.Object); err != nil {
				return nil
			}
			return patch
		}
	}
	mutate := floorMutate(table, applies)

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
		Mutate:       mutate,
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
