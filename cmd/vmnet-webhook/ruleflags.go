package main

import (
	"fmt"
	"net/netip"

	"github.com/spf13/pflag"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
)

// ruleFlags are the settings serve and preview share: a config file, and
// flags that override it when set explicitly.
type ruleFlags struct {
	file          string
	reservedPorts []int32
	enforcement   string
	ipv6Inject    bool
	guestIface    string
	defaultCIDR   string
}

func addRuleFlags(fs *pflag.FlagSet) *ruleFlags {
	d := config.Default()
	f := &ruleFlags{}
	fs.StringVar(&f.file, "config", "", "YAML config file for the rules; flags set explicitly override it")
	fs.Int32SliceVar(&f.reservedPorts, "reserved-ports", d.ReservedPorts, "ports a masquerade interface may not list")
	fs.StringVar(&f.enforcement, "enforcement", string(d.Enforcement), "deny, or warn to turn violations into warnings (for rollouts)")
	fs.BoolVar(&f.ipv6Inject, "ipv6-inject", d.IPv6.Inject, "inject cloud-init networkData with the guest's static IPv6 address and gateway")
	fs.StringVar(&f.guestIface, "ipv6-guest-interface", d.IPv6.GuestInterface, "guest interface name written into networkData")
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
	if fs.Changed("reserved-ports") {
		cfg.ReservedPorts = f.reservedPorts
	}
	if fs.Changed("enforcement") {
		cfg.Enforcement = config.Enforcement(f.enforcement)
	}
	if fs.Changed("ipv6-inject") {
		cfg.IPv6.Inject = f.ipv6Inject
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
