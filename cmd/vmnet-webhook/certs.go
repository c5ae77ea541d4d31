package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/certs"
)

func certsCmd(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("certs", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "directory to write ca.crt, tls.crt and tls.key into (required)")
	dns := fs.StringSlice("dns", nil, "extra DNS name for the serving certificate, e.g. vmnet-webhook.vmnet-system.svc (repeatable)")
	ipFlags := fs.StringSlice("ip", nil, "extra IP address for the serving certificate (repeatable)")
	if status, done := parseFlags(fs, args); done {
		return status
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "vmnet-webhook certs: --dir is required")
		return 2
	}
	ips, err := certs.ParseIPs(*ipFlags)
	if err != nil {
		fmt.Fprintf(stderr, "vmnet-webhook certs: --ip: %v\n", err)
		return 2
	}
	if err := certs.WriteDir(*dir, *dns, ips); err != nil {
		fmt.Fprintf(stderr, "vmnet-webhook certs: %v\n", err)
		return 1
	}
	for _, f := range []string{certs.CAFile, certs.CertFile, certs.KeyFile} {
		fmt.Fprintln(stdout, "wrote", filepath.Join(*dir, f))
	}
	return 0
}
