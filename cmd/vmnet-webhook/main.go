// Command vmnet-webhook is the admission webhook for KubeVirt VMs on the pod
// network, its offline preview, and a development certificate maker.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

const usage = `vmnet-webhook: admission webhook for KubeVirt VMs on the pod network.

Usage:
  vmnet-webhook serve   [flags]   serve the admission webhook over HTTPS
  vmnet-webhook preview -f FILE   show what the webhook would do to objects
  vmnet-webhook audit   [flags]   judge the objects already stored in a cluster
  vmnet-webhook certs --dir DIR   write a development CA and serving certificate
  vmnet-webhook uninstall-webhooks  delete the webhook configurations, before uninstalling

Run "vmnet-webhook COMMAND --help" for a command's flags.
`

// pluginUsage is the usage when the binary runs as the kubectl plugin
// kubectl-vmnet: the commands that make sense from a workstation.
const pluginUsage = `kubectl vmnet: what vmnet-webhook does to KubeVirt VMs on the pod network.

Usage:
  kubectl vmnet audit   [flags]   judge the objects already stored in the cluster
  kubectl vmnet preview -f FILE   show what the webhook would do to objects in files

Run "kubectl vmnet COMMAND --help" for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches to a subcommand and returns the exit status: 0 success,
// 1 failure (or a denied document in preview), 2 bad usage.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	usage := usage
	if isPlugin() {
		usage = pluginUsage
	}
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "preview":
		return preview(args[1:], stdin, stdout, stderr)
	case "audit":
		return audit(args[1:], stdout, stderr)
	case "certs":
		return certsCmd(args[1:], stdout, stderr)
	case "uninstall-webhooks":
		return uninstallWebhooks(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "vmnet-webhook: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

// isPlugin reports whether the binary runs as a kubectl plugin: kubectl runs
// the kubectl-<name> it finds on PATH by that name.
func isPlugin() bool { return strings.HasPrefix(filepath.Base(os.Args[0]), "kubectl-") }

// programName returns how the user typed the command: "kubectl vmnet" for the
// plugin.
func programName() string {
	if isPlugin() {
		return "kubectl vmnet"
	}
	return "vmnet-webhook"
}
