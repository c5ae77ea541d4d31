package main

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

// ruleFlags are the settings serve and preview share: a config file, and
// flags that override it when set explicitly.
type ruleFlags struct {
	file          string
	reservedPorts []int32
	enforcement   string
	ipv6Inject    string
	podIPs        string
	guestIface    string
	defaultCIDR   string
}

func addRuleFlags(fs *pflag.FlagSet) *ruleFlags {
	d := config.Default()
	f := &ruleFlags{}
	fs.StringVar(&f.file, "config", "", "YAML config file for the rules; flags set explicitly override it")
	fs.Int32SliceVar(&f.reservedPorts, "reserved-ports", d.ReservedPorts, "ports a masquerade interface may not list")
	fs.StringVar(&f.enforcement, "enforcement", string(d.Enforcement), "deny, or warn to turn violations into warnings (for rollouts)")
	fs.StringVar(&f.ipv6Inject, "ipv6-inject", string(d.IPv6.Inject), "when to write the guest's IPv6 networkData: auto (when --pod-ips has IPv6, or the VM sets vmIPv6NetworkCIDR), always, never")
	fs.StringVar(&f.podIPs, "pod-ips", os.Getenv("POD_IPS"), "this Pod's IPs, comma-separated (the downward API's status.podIPs; default $POD_IPS): an IPv6 one means the pod network has IPv6")
	fs.StringVar(&f.guestIface, "ipv6-guest-interface", d.IPv6.GuestInterface, "name networkData gives the pod network's NIC in the guest, when it is the VM's first interface")
	fs.StringVar(&f.defaultCIDR, "ipv6-default-cidr", d.IPv6.DefaultCIDR.String(), "IPv6 CIDR used when the pod network names no vmIPv6NetworkCIDR")
	return f
}

// config loads the file (or the defaults), applies the flags that were set
// on the command line, and validates the result.
func (f *ruleFlags) config(fs *pflag.FlagSet) (config.Config, error) {
	cfg := config.Default()
	if f.file != "" {
		var err error
		if cfg, err = config.Load(f.file); err != nil {
			return config.Config{}, err
		}
	}
	return f.over(fs, cfg)
}

// over applies the flags that were set on the command line to cfg, and
// validates the result. The pod IPs count when set by the flag or its
// default, $POD_IPS; otherwise cfg's stand.
func (f *ruleFlags) over(fs *pflag.FlagSet, cfg config.Config) (config.Config, error) {
	if fs.Changed("reserved-ports") {
		cfg.ReservedPorts = f.reservedPorts
	}
	if fs.Changed("enforcement") {
		cfg.Enforcement = config.Enforcement(f.enforcement)
	}
	if fs.Changed("ipv6-inject") {
		// Validate below reports a value that is none of them.
		_ = cfg.IPv6.Inject.UnmarshalJSON(injectJSON(f.ipv6Inject))
	}
	if fs.Changed("pod-ips") || f.podIPs != "" {
		hasIPv6, err := config.HasIPv6(f.podIPs)
		if err != nil {
			return config.Config{}, fmt.Errorf("--pod-ips: %w", err)
		}
		cfg.IPv6.PodNetworkIPv6 = hasIPv6
	}
	if fs.Changed("ipv6-guest-interface") {
		cfg.IPv6.GuestInterface = f.guestIface
	}
	if fs.Changed("ipv6-default-cidr") {
		p, err := netip.ParsePrefix(f.defaultCIDR)
		if err != nil {
			return config.Config{}, fmt.Errorf("--ipv6-default-cidr: %q is not a CIDR, e.g. fd10:0:2::/120", f.defaultCIDR)
		}
		cfg.IPv6.DefaultCIDR = p
	}
	if err := cfg.Validate(); err != nil {
		return config.Config{}, err
	}
	return cfg, nil
}

// injectJSON lets --ipv6-inject take what the config file takes,
// including the booleans of earlier releases.
func injectJSON(s string) []byte {
	if s == "true" || s == "false" {
		return []byte(s)
	}
	return strconv.AppendQuote(nil, s)
}

// parseFlags parses args and reports errors the way every subcommand does.
// It returns done when the command should exit with status.
func parseFlags(fs *pflag.FlagSet, args []string) (status int, done bool) {
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return 0, true // pflag has printed the usage
		}
		fmt.Fprintf(fs.Output(), "vmnet-webhook %s: %v\nRun \"vmnet-webhook %s --help\" for the flags.\n", fs.Name(), err, fs.Name())
		return 2, true
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "vmnet-webhook %s: unexpected arguments: %v\n", fs.Name(), fs.Args())
		return 2, true
	}
	return 0, false
}

// failer returns a function that writes "vmnet-webhook <command>: message"
// to stderr and returns status, for a command's errors.
func failer(stderr io.Writer, command string) func(status int, format string, a ...any) int {
	return func(status int, format string, a ...any) int {
		fmt.Fprintf(stderr, "vmnet-webhook "+command+": "+format+"\n", a...)
		return status
	}
}
