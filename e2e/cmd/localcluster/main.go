// Command localcluster is `make run`: etcd, kube-apiserver with KubeVirt's
// CRDs, and vmnet-webhook registered in front of it, all on loopback, until
// Ctrl-C or SIGTERM. It writes a kubeconfig, prints what to type next, and
// on the signal stops everything and exits 0.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("localcluster", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".local", "directory for the kubeconfig; the control plane's state and logs go to DIR/cluster, cleared on start")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "localcluster: unexpected arguments %q\n", fs.Args())
		return 2
	}

	// Stop on the first SIGINT/SIGTERM, during start-up too; the harness's
	// own handler would exit 130 without our message.
	framework.HandleSignalsYourself()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	abs, err := filepath.Abs(*dir)
	if err != nil {
		fmt.Fprintln(stderr, "localcluster:", err)
		return 1
	}
	state := filepath.Join(abs, "cluster")
	// A previous run's etcd data holds its CRDs and certificates: start clean.
	if err := os.RemoveAll(state); err != nil {
		fmt.Fprintln(stderr, "localcluster:", err)
		return 1
	}
	fmt.Fprintln(stderr, "starting etcd, kube-apiserver and vmnet-webhook (logs in "+show(state)+")...")
	cp, err := framework.Start(ctx, framework.Options{Dir: state})
	if err != nil {
		return failed(ctx, stderr, err)
	}
	defer cp.Stop()
	wh, err := cp.StartWebhook(ctx)
	if err != nil {
		return failed(ctx, stderr, err)
	}
	if err := cp.RegisterWebhooks(ctx, wh); err != nil {
		return failed(ctx, stderr, err)
	}
	kubeconfig := filepath.Join(abs, "kubeconfig")
	if err := copyFile(cp.Kubeconfig, kubeconfig); err != nil {
		return failed(ctx, stderr, err)
	}
	defer os.Remove(kubeconfig) // it would point at a server that is gone

	bin, err := framework.BinDir()
	if err != nil {
		return failed(ctx, stderr, err)
	}
	fmt.Fprintf(stdout, `vmnet-webhook is admitting KubeVirt objects on a local kube-apiserver (no VM runs: nothing here starts them).
It runs as on a dual-stack cluster: POD_IPS=%s, ipv6.inject auto, so VMs get their IPv6 network config.
In another terminal, in this directory:

  export KUBECONFIG=%s
  export PATH=%s:$PATH
  kubectl create -f examples/reserved-port.yaml

Ctrl-C here stops everything.
`, framework.PodIPs, show(kubeconfig), show(bin))

	<-ctx.Done()
	fmt.Fprintln(stderr, "stopping...")
	cp.Stop()
	fmt.Fprintln(stderr, "stopped")
	return 0
}

// failed reports a start-up error; after a signal, it is no error.
func failed(ctx context.Context, stderr io.Writer, err error) int {
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "interrupted during start-up; stopped")
		return 0
	}
	fmt.Fprintln(stderr, "localcluster:", err)
	return 1
}

// show writes a path under the working directory as "$PWD/...", so that
// the printed lines can be pasted in another shell in the same directory
// and read the same on every machine; other paths stay absolute.
func show(path string) string {
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(wd, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return path
	}
	return "$PWD/" + rel
}

func copyFile(from, to string) error {
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o600)
}
