package config

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	cfg, err := Parse([]byte("ipv6:\n  guestInterface: enp1s0\n  defaultCIDR: fd20::/64\nreservedPorts: [49152]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.IPv6.GuestInterface != "enp1s0" || cfg.IPv6.DefaultCIDR.String() != "fd20::/64" || len(cfg.ReservedPorts) != 1 || cfg.IPv6.Inject != InjectAuto {
		t.Errorf("got %+v", cfg)
	}
	for in, want := range map[string]string{
		"ipv6: {guestInterface: \"eth0: {}\"}":     `ipv6.guestInterface: "eth0: {}" is not an interface name`,
		"ipv6: {guestInterface: \"\"}":             `ipv6.guestInterface: "" is not an interface name`,
		"ipv6: {guestInterface: abcdefghijklmnop}": `is not an interface name`,
		"ipv6: {defaultCIDR: fd10::/127}":          "leaves fewer than 4 addresses",
		"ipv6: {defaultCIDR: 10.0.0.0/8}":          "is not an IPv6 CIDR",
		"reservedPorts: [0]":                       "0 is not a port",
		"enforcement: audit":                       `"audit" is neither`,
		"reservedport: [1]":                        "unknown field",
		"ipv6: {inject: sometimes}":                `ipv6.inject: "sometimes" is not one of auto, always, never`,
		"ipv6: {inject: 1}":                        "want auto, always or never, got 1",
	} {
		_, err := Parse([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestInjectMode(t *testing.T) {
	// Earlier releases took a boolean.
	for in, want := range map[string]InjectMode{
		"ipv6: {inject: true}":   InjectAlways,
		"ipv6: {inject: false}":  InjectNever,
		"ipv6: {inject: auto}":   InjectAuto,
		"ipv6: {inject: always}": InjectAlways,
		"ipv6: {inject: never}":  InjectNever,
		"":                       InjectAuto,
	} {
		cfg, err := Parse([]byte(in))
		if err != nil || cfg.IPv6.Inject != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, cfg.IPv6.Inject, err, want)
		}
	}
	for _, tt := range []struct {
		mode             InjectMode
		podIPv6, ownCIDR bool
		want             bool
	}{
		{InjectAuto, false, false, false},
		{InjectAuto, true, false, true},
		{InjectAuto, false, true, true},
		{InjectAlways, false, false, true},
		{InjectNever, true, true, false},
	} {
		c := IPv6{Inject: tt.mode, PodNetworkIPv6: tt.podIPv6}
		if got := c.Injects(tt.ownCIDR); got != tt.want {
			t.Errorf("%s, pod network IPv6 %v, own CIDR %v: Injects = %v, want %v", tt.mode, tt.podIPv6, tt.ownCIDR, got, tt.want)
		}
	}
}

func TestHasIPv6(t *testing.T) {
	for in, want := range map[string]bool{
		"":                       false,
		"10.244.0.5":             false,
		"10.244.0.5,fd00:10::5":  true,
		"fd00:10::5":             true,
		" 10.244.0.5 , fd00::5 ": true,
		"::ffff:10.0.0.1":        false,
		"10.244.0.5,,":           false,
	} {
		got, err := HasIPv6(in)
		if err != nil || got != want {
			t.Errorf("HasIPv6(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := HasIPv6("10.0.0.1,fd00::/64"); err == nil || !strings.Contains(err.Error(), `"fd00::/64" is not an IP address`) {
		t.Errorf("a CIDR: %v", err)
	}
}
