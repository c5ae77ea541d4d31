// Package config holds the settings the admission rules take, their
// defaults, and loading them from a YAML file.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"

	"sigs.k8s.io/yaml"
)

// Enforcement says what a violation of a validation rule does.
type Enforcement string

const (
	// Deny refuses the request.
	Deny Enforcement = "deny"
	// Warn admits the request and turns each violation into a warning,
	// for rolling the webhook out on a cluster with existing VMs.
	Warn Enforcement = "warn"
)

// KubeVirtDefaultIPv6CIDR is the network virt-launcher uses for the guest's
// IPv6 address when the pod network names no vmIPv6NetworkCIDR.
var KubeVirtDefaultIPv6CIDR = netip.MustParsePrefix("fd10:0:2::/120")

// Config is everything the rules take. The zero value is not useful: start
// from Default.
type Config struct {
	// ReservedPorts may not be listed on a masquerade interface: libvirt
	// uses them and drops all other incoming traffic to them.
	ReservedPorts []int32 `json:"reservedPorts"`
	// Enforcement is deny or warn.
	Enforcement Enforcement `json:"enforcement"`
	// IPv6 configures the cloud-init networkData injection.
	IPv6 IPv6 `json:"ipv6"`
}

// IPv6 configures the cloud-init networkData that gives the guest its
// static IPv6 address and gateway on a dual-stack pod network.
type IPv6 struct {
	// Inject turns the injection on or off.
	Inject bool `json:"inject"`
	// GuestInterface is the interface name written into networkData.
	GuestInterface string `json:"guestInterface"`
	// DefaultCIDR is used when the pod network names no vmIPv6NetworkCIDR.
	// When it differs from KubeVirt's own default the rules also write it
	// into the network, so that guest and launcher agree.
	DefaultCIDR netip.Prefix `json:"defaultCIDR"`
}

// Default returns the settings used when nothing is configured.
func Default() Config {
	return Config{
		ReservedPorts: []int32{49152, 49153},
		Enforcement:   Deny,
		IPv6: IPv6{
			Inject:         true,
			GuestInterface: "eth0",
			DefaultCIDR:    KubeVirtDefaultIPv6CIDR,
		},
	}
}

// Load reads a YAML config file over the defaults. Unknown keys are an
// error, so that a misspelt setting is not silently ignored.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	return Parse(data)
}

// Parse decodes YAML config over the defaults and validates the result.
func Parse(data []byte) (Config, error) {
	cfg := Default()
	if len(bytes.TrimSpace(data)) > 0 {
		if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// Validate reports every setting that is out of range.
func (c Config) Validate() error {
	var errs []error
	for _, p := range c.ReservedPorts {
		if p < 1 || p > 65535 {
			errs = append(errs, fmt.Errorf("config: reservedPorts: %d is not a port (1-65535)", p))
		}
	}
	if c.Enforcement != Deny && c.Enforcement != Warn {
		errs = append(errs, fmt.Errorf("config: enforcement: %q is neither %q nor %q", c.Enforcement, Deny, Warn))
	}
	if !validInterfaceName(c.IPv6.GuestInterface) {
		errs = append(errs, fmt.Errorf("config: ipv6.guestInterface: %q is not an interface name (1-15 of a-z, A-Z, 0-9, '-', '_', '.')", c.IPv6.GuestInterface))
	}
	p := c.IPv6.DefaultCIDR
	switch {
	case !p.IsValid():
		errs = append(errs, errors.New("config: ipv6.defaultCIDR: must be an IPv6 CIDR, e.g. fd10:0:2::/120"))
	case !p.Addr().Is6() || p.Addr().Is4In6():
		errs = append(errs, fmt.Errorf("config: ipv6.defaultCIDR: %s is not an IPv6 CIDR", p))
	case p.Bits() > 126:
		errs = append(errs, fmt.Errorf("config: ipv6.defaultCIDR: %s leaves fewer than 4 addresses (prefix must be /126 or shorter)", p))
	}
	return errors.Join(errs...)
}

// IsReserved reports whether port is one of the reserved ports.
func (c Config) IsReserved(port int64) bool {
	return slices.ContainsFunc(c.ReservedPorts, func(r int32) bool { return int64(r) == port })
}

// validInterfaceName accepts Linux interface names, which the rules write
// into cloud-init YAML unquoted.
func validInterfaceName(s string) bool {
	if len(s) == 0 || len(s) > 15 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
