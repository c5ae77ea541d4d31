// Package config holds the settings the admission rules take, their
// defaults, and loading them from a YAML file.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"

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

// InjectMode says when the rules write the guest's IPv6 networkData.
type InjectMode string

const (
	// InjectAuto injects when the pod network has IPv6 (PodNetworkIPv6), or
	// when the VM names its own vmIPv6NetworkCIDR.
	InjectAuto InjectMode = "auto"
	// InjectAlways injects into every VM on the pod network.
	InjectAlways InjectMode = "always"
	// InjectNever turns the injection off.
	InjectNever InjectMode = "never"
)

// UnmarshalJSON also takes the booleans of earlier releases, where
// inject: true meant always and false meant never.
func (m *InjectMode) UnmarshalJSON(data []byte) error {
	switch string(data) {
	case "true":
		*m = InjectAlways
		return nil
	case "false":
		*m = InjectNever
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("ipv6.inject: want auto, always or never, got %s", data)
	}
	*m = InjectMode(s)
	return nil
}

// Summary describes in one line when the guest's IPv6 networkData is written.
func (c IPv6) Summary() string {
	switch {
	case c.Inject != InjectAuto:
		return "ipv6.inject " + string(c.Inject)
	case c.PodNetworkIPv6:
		return "ipv6.inject auto: the pod network has IPv6, so VMs on it get IPv6 networkData"
	}
	return "ipv6.inject auto: no IPv6 among the pod IPs, so only VMs that set vmIPv6NetworkCIDR get IPv6 networkData"
}

// HasIPv6 reads a Pod's IPs as the downward API gives status.podIPs (a
// comma-separated list) and reports whether one of them is IPv6.
func HasIPv6(podIPs string) (bool, error) {
	has := false
	for _, s := range strings.Split(podIPs, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		ip, err := netip.ParseAddr(s)
		if err != nil {
			return false, fmt.Errorf("%q is not an IP address", s)
		}
		has = has || ip.Unmap().Is6()
	}
	return has, nil
}

// IPv6 configures the cloud-init networkData that gives the guest its
// static IPv6 address and gateway on a dual-stack pod network.
type IPv6 struct {
	// Inject is auto, always or never.
	Inject InjectMode `json:"inject"`
	// GuestInterface is the name the guest gives the pod network's NIC
	// (networkData's set-name) when it is the VM's first interface; the
	// NIC at position i > 0 is named eth<i>, the kernel's own name for it.
	GuestInterface string `json:"guestInterface"`
	// DefaultCIDR is used when the pod network names no vmIPv6NetworkCIDR.
	// When it differs from KubeVirt's own default the rules also write it
	// into the network, so that guest and launcher agree.
	DefaultCIDR netip.Prefix `json:"defaultCIDR"`
	// PodNetworkIPv6 reports whether the cluster's pod network has IPv6, as
	// the server learns it from its own Pod's IPs; not read from the file.
	PodNetworkIPv6 bool `json:"-"`
}

// Injects reports whether networkData is written for a VM; ownCIDR is true
// when the VM's pod network names its own vmIPv6NetworkCIDR.
func (c IPv6) Injects(ownCIDR bool) bool {
	switch c.Inject {
	case InjectAlways:
		return true
	case InjectAuto:
		return c.PodNetworkIPv6 || ownCIDR
	}
	return false
}

// Default returns the settings used when nothing is configured.
func Default() Config {
	return Config{
		ReservedPorts: []int32{49152, 49153},
		Enforcement:   Deny,
		IPv6: IPv6{
			Inject:         InjectAuto,
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
	if m := c.IPv6.Inject; m != InjectAuto && m != InjectAlways && m != InjectNever {
		errs = append(errs, fmt.Errorf("config: ipv6.inject: %q is not one of auto, always, never", m))
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
