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
	if cfg.IPv6.GuestInterface != "enp1s0" || cfg.IPv6.DefaultCIDR.String() != "fd20::/64" || len(cfg.ReservedPorts) != 1 || !cfg.IPv6.Inject {
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
	} {
		_, err := Parse([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want %q", in, err, want)
		}
	}
}
