package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/pflag"
	"golang.org/x/term"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/vmnet-webhook/vmnet-webhook/manifests/base"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
)

// audit judges the objects already stored in a cluster as the webhook would
// judge them if they were created now. Exit status: 0 nothing would be
// refused, 1 something would, 2 an error (usage, cluster, permission).
func audit(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("audit", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	kube := addKubeconfigFlags(fs)
	namespaces := fs.StringSliceP("namespace", "n", nil, "audit only these namespaces (repeatable, or comma-separated); default: all")
	allNamespaces := fs.BoolP("all-namespaces", "A", false, "audit every namespace (the default)")
	selector := fs.StringP("selector", "l", "", "audit only objects with these labels, as kubectl -l: team=web,tier!=test")
	output := fs.StringP("output", "o", "table", "table, json or yaml")
	chunkSize := fs.Int64("chunk-size", 500, "objects per list request (limit and continue): memory holds one page at a time")
	serveMode := fs.Bool("serve", false, "keep running: audit every --interval, export gauges on --metrics-addr, write PolicyReports where the cluster serves them")
	interval := fs.Duration("interval", 10*time.Minute, "with --serve: time between two audits, e.g. 10m or 1h")
	metricsAddr := fs.String("metrics-addr", ":8080", "with --serve: address of Prometheus /metrics and /healthz (plain HTTP)")
	logLevel := fs.String("log-level", "info", "with --serve: debug, info, warn or error")
	rf := addRuleFlags(fs)
	// An audit answers "what would deny refuse", whatever the cluster runs.
	_ = fs.MarkHidden("enforcement")
	fs.Lookup("config").Usage = "YAML config file for the rules (default: the installed webhook's, read from the ConfigMap its Pods mount, with the rule flags of their arguments)"
	fs.Lookup("pod-ips").Usage = "the webhook Pod's IPs, comma-separated (default $POD_IPS, else the installed webhook Pod's): an IPv6 one means the pod network has IPv6"
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: %s audit [flags]

Judges the VirtualMachines, VirtualMachineInstanceReplicaSets, VirtualMachinePools and the
VirtualMachineInstances no controller made, as stored in the cluster, the way the webhook would
judge each if it were created now: what it would refuse, add and warn about. Without --config
and --pod-ips, the rule settings are those of the webhook installed in the cluster, read from
its Pods; rule flags given override them.

With --serve it keeps running, as the in-cluster audit does (docs/audit.md).

Exit status: 0 nothing would be refused, 1 something would, 2 an error.

Flags:
%s`, programName(), fs.FlagUsages())
	}
	if status, done := parseFlags(fs, args); done {
		return status
	}
	failf := failer(stderr, "audit")
	switch {
	case *output != "table" && *output != "json" && *output != "yaml":
		return failf(2, "-o: %q is none of table, json, yaml", *output)
	case *allNamespaces && len(*namespaces) > 0:
		return failf(2, "-A and -n exclude each other")
	case *chunkSize < 1:
		return failf(2, "--chunk-size must be at least 1")
	case fs.Changed("enforcement"):
		return failf(2, "--enforcement does not apply: audit always reports what enforcement deny would refuse")
	case *serveMode && (fs.Changed("output") || len(*namespaces) > 0 || *selector != ""):
		return failf(2, "--serve audits every namespace and reports as gauges and PolicyReports: -o, -n and -l do not apply")
	case !*serveMode && (fs.Changed("interval") || fs.Changed("metrics-addr") || fs.Changed("log-level")):
		return failf(2, "--interval, --metrics-addr and --log-level apply with --serve only")
	case *interval < time.Second:
		return failf(2, "--interval must be at least 1s, e.g. 10m")
	}
	if _, err := labels.Parse(*selector); err != nil {
		return failf(2, "-l: %v", err)
	}
	// The flags are checked before anything is read from the cluster.
	cfg, err := rf.config(fs)
	if err != nil {
		return failf(2, "%v", err)
	}

	var log logr.Logger
	if *serveMode {
		if log, err = newLogger(*logLevel, stderr); err != nil {
			return failf(2, "%v", err)
		}
	}

	restCfg, err := kube.restConfig("vmnet-webhook-audit")
	if err != nil {
		return failf(2, "kubeconfig: %v", err)
	}
	// One request at a time, page after page: client-go's default of 5 per
	// second would make small pages wait for nothing (kubectl uses 50).
	if restCfg.QPS == 0 {
		restCfg.QPS, restCfg.Burst = 50, 100
	}
	a, err := newAuditor(restCfg, cfg)
	if err != nil {
		return failf(2, "%v", err)
	}
	a.selector, a.chunkSize = *selector, *chunkSize
	if !*serveMode {
		ctrllog.SetLogger(logr.Discard())
	}
	if !fs.Changed("config") || (!fs.Changed("pod-ips") && rf.podIPs == "") {
		if cfg, err = a.installedConfig(context.Background(), fs, rf, stderr); err != nil {
			return failf(2, "%v", err)
		}
	}
	cfg.Enforcement = config.Deny
	a.admission.cfg = cfg
	if cfg.IPv6.Inject == config.InjectAuto && !cfg.IPv6.PodNetworkIPv6 {
		fmt.Fprintf(stderr, "vmnet-webhook audit: %s (--pod-ips with the webhook Pod's IPs judges as on a dual-stack cluster)\n", cfg.IPv6.Summary())
	}

	if *serveMode {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer stop()
		loop := &auditLoop{auditor: a, interval: *interval, metrics: newAuditMetrics(), log: log.WithName("audit")}
		if err := serveAudit(ctx, loop, *metricsAddr); err != nil {
			log.Error(err, "cannot serve")
			return 1
		}
		return 0
	}

	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		a.progress = f
	}
	items, sum, err := a.run(context.Background(), *namespaces)
	if err != nil {
		return failf(2, "%v", err)
	}
	if err := writeReport(stdout, *output, items, sum); err != nil {
		return failf(2, "%v", err)
	}
	fmt.Fprintln(stderr, sum)
	if sum.Refused > 0 {
		return 1
	}
	return 0
}

// installedConfig is the rule settings of the webhook installed in the
// cluster, with the flags given on the command line over them: --config
// replaces its config file (and rule flags), --pod-ips or $POD_IPS its
// Pod's IPs. Without an installed webhook, the flags' settings stand.
func (a *auditor) installedConfig(ctx context.Context, fs *pflag.FlagSet, rf *ruleFlags, stderr io.Writer) (config.Config, error) {
	own, err := rf.config(fs)
	if err != nil {
		return config.Config{}, err
	}
	in, err := a.readInstalled(ctx)
	if err != nil || in == nil {
		return own, err
	}
	cfg := in.cfg
	if fs.Changed("config") {
		cfg = own
		cfg.IPv6.PodNetworkIPv6 = in.cfg.IPv6.PodNetworkIPv6
	} else if cfg, err = rf.over(fs, cfg); err != nil {
		return config.Config{}, err
	}
	from := "ConfigMap " + in.configMap
	switch {
	case fs.Changed("config"):
		from = "config " + rf.file
	case in.configMap == "":
		from = "no config file"
	}
	ips := in.podIPs
	if fs.Changed("pod-ips") || rf.podIPs != "" {
		ips = rf.podIPs
	}
	fmt.Fprintf(stderr, "vmnet-webhook audit: judging with the settings of the installed webhook's Pod %s: %s, pod IPs %s\n", in.pod, from, ips)
	return cfg, nil
}

// newAuditor connects the auditor to the cluster of restCfg.
func newAuditor(restCfg *rest.Config, cfg config.Config) (*auditor, error) {
	dyn, err := dynamic.NewForConfig(restCfg)
	if err != nil {
		return nil, err
	}
	disco, err := discovery.NewDiscoveryClientForConfig(restCfg)
	if err != nil {
		return nil, err
	}
	webhooks, err := base.Webhooks()
	if err != nil {
		return nil, err
	}
	return &auditor{
		client:    dyn,
		discovery: disco,
		host:      restCfg.Host,
		webhooks:  webhooks,
		admission: previewer{cfg: cfg, mutate: rules.Mutate, validate: rules.Validate},
		chunkSize: 500,
	}, nil
}
