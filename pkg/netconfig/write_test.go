package netconfig

import (
	"net"
	"net/netip"
	"testing"
)

func TestWrite(t *testing.T) {
	mac := net.HardwareAddr{0x02, 0xab, 0xcd, 0x00, 0x00, 0x01}
	tests := []struct {
		name   string
		iface  string
		prefix string
		want   string
	}{
		{
			name: "KubeVirt's default network", iface: "eth0", prefix: "fd10:0:2::/120",
			want: Marker + `version: 1
config:
  - type: physical
    name: eth0
    mac_address: "02:ab:cd:00:00:01"
    subnets:
      - type: dhcp4
      - type: static6
        address: fd10:0:2::2/120
        gateway: fd10:0:2::1
`,
		},
		{
			name: "host bits masked, prefix length kept", iface: "eth1", prefix: "fd20::77/64",
			want: Marker + `version: 1
config:
  - type: physical
    name: eth1
    mac_address: "02:ab:cd:00:00:01"
    subnets:
      - type: dhcp4
      - type: static6
        address: fd20::2/64
        gateway: fd20::1
`,
		},
		{
			name: "smallest network", iface: "net0", prefix: "fd00::4/126",
			want: Marker + `version: 1
config:
  - type: physical
    name: net0
    mac_address: "02:ab:cd:00:00:01"
    subnets:
      - type: dhcp4
      - type: static6
        address: fd00::6/126
        gateway: fd00::5
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Write(tt.iface, mac, netip.MustParsePrefix(tt.prefix))
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestNICName(t *testing.T) {
	for _, tt := range []struct {
		first string
		idx   int
		want  string
	}{{"eth0", 0, "eth0"}, {"net0", 0, "net0"}, {"eth0", 1, "eth1"}, {"net0", 3, "eth3"}} {
		if got := NICName(tt.first, tt.idx); got != tt.want {
			t.Errorf("NICName(%q, %d) = %q, want %q", tt.first, tt.idx, got, tt.want)
		}
	}
}
