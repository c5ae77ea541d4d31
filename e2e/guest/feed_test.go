package guest

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// These run in plain `go test ./...`: how the harness feeds a guest as
// virt-launcher does (addresses, host name, instance id, NIC, MTU).

func TestPlanIPv4(t *testing.T) {
	for cidr, want := range map[string][2]string{
		"10.0.2.0/24":    {"10.0.2.1", "10.0.2.2"},
		"10.1.7.9/16":    {"10.1.0.1", "10.1.0.2"}, // host bits tolerated, as the launcher does
		"192.168.8.0/30": {"192.168.8.1", "192.168.8.2"},
	} {
		p, err := planIPv4(cidr)
		if err != nil {
			t.Fatalf("%s: %v", cidr, err)
		}
		if p.Gateway.String() != want[0] || p.VM.String() != want[1] {
			t.Errorf("%s: gateway %s, VM %s; want %s, %s", cidr, p.Gateway, p.VM, want[0], want[1])
		}
	}
	for _, bad := range []string{"fd10:0:2::/120", "10.0.2.0/31", "nonsense"} {
		if _, err := planIPv4(bad); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}

// KubeVirt's SanitizeHostname: spec.hostname wins; else the name up to its
// first dot, at most 63 characters.
func TestHostname(t *testing.T) {
	long := strings.Repeat("a", 70)
	for _, c := range []struct {
		s    vmSpec
		want string
	}{
		{vmSpec{Name: "vm1"}, "vm1"},
		{vmSpec{Name: "web.prod"}, "web"},
		{vmSpec{Name: long}, long[:63]},
		{vmSpec{Name: "vm1", Hostname: "db"}, "db"},
	} {
		if got := hostname(c.s); got != c.want {
			t.Errorf("hostname(%+v) = %q, want %q", c.s, got, c.want)
		}
	}
}

func TestNewUUIDIsVersion4(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := newUUID(), newUUID()
	if !re.MatchString(a) || !re.MatchString(b) || a == b {
		t.Errorf("UUIDs %q, %q", a, b)
	}
}

// The pod NIC's qemu device: virtio with the host MTU, or the model named
// with none.
func TestNICDevice(t *testing.T) {
	for _, c := range []struct {
		n    nic
		want string
	}{
		{nic{MAC: "02:00:00:00:00:01", MTU: 9000}, "virtio-net-pci,netdev=net0,mac=02:00:00:00:00:01,bus=rp1,romfile=,host_mtu=9000"},
		{nic{MAC: "02:00:00:00:00:01", Model: "virtio"}, "virtio-net-pci,netdev=net0,mac=02:00:00:00:00:01,bus=rp1,romfile="},
		{nic{MAC: "02:00:00:00:00:01", Model: "e1000e", MTU: 9000}, "e1000e,netdev=net0,mac=02:00:00:00:00:01,bus=rp1,romfile="},
	} {
		if got := c.n.device(0); got != c.want {
			t.Errorf("device(%+v):\n got %s\nwant %s", c.n, got, c.want)
		}
	}
}

// The MTU of each link, from `ip -o link` lines.
func TestParseDiagMTU(t *testing.T) {
	d, ok := parseDiag(strings.Join([]string{
		"vmnet-diag: begin",
		"vmnet-diag: link 1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00",
		"vmnet-diag: link 2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9000 qdisc fq_codel state UP mode DEFAULT group default qlen 1000\\    link/ether 02:9a:00:00:00:01 brd ff:ff:ff:ff:ff:ff",
		"vmnet-diag: link 3: enp2s0: <BROADCAST,MULTICAST> mtu 1400 qdisc noop state DOWN mode DEFAULT group default qlen 1000\\    link/ether 02:11:00:00:00:09 brd ff:ff:ff:ff:ff:ff",
		"vmnet-diag: end",
	}, "\n"))
	if !ok {
		t.Fatal("end marker not seen")
	}
	if len(d.MTUs) != 2 || d.MTUs["eth0"] != 9000 || d.MTUs["enp2s0"] != 1400 {
		t.Errorf("MTUs %v", d.MTUs)
	}
}

// A lease is what KubeVirt's server logged after the boot began.
func TestLeased(t *testing.T) {
	log := filepath.Join(t.TempDir(), "dhcp.log")
	first := `{"component":"kvdhcp","level":"info","msg":"The request has message type REQUEST","pos":"server.go:212"}` + "\n"
	if err := os.WriteFile(log, []byte(first), 0o644); err != nil {
		t.Fatal(err)
	}
	if !leased(log, 0) {
		t.Error("a REQUEST answered: no lease seen")
	}
	if leased(log, fileSize(log)) {
		t.Error("a REQUEST of an earlier boot taken as this boot's")
	}
	if leased(filepath.Join(t.TempDir(), "none"), 0) {
		t.Error("lease seen with no log")
	}
}

// make test-guest-all boots every renderer at 1400 and 9000 once; CI's set
// holds 9000 on each release and 1400 on one.
func TestMTUCases(t *testing.T) {
	names := map[string]bool{}
	cells := map[string]int{} // release/renderer/MTU -> cases
	ciCells := map[string]bool{}
	for _, c := range cases {
		if names[c.Name] {
			t.Errorf("case %s twice", c.Name)
		}
		names[c.Name] = true
		if c.MTU == 0 || c.Model != "" {
			continue
		}
		cells[fmt.Sprintf("%s/%s/%d", c.suite(), c.Renderer, c.MTU)]++
		if !c.Extra {
			ciCells[fmt.Sprintf("%s/%d", c.suite(), c.MTU)] = true
		}
	}
	renderers := map[string][]string{
		"bookworm": {"eni", "netplan", "network-manager", "networkd"},
		"trixie":   {"netplan", "network-manager", "networkd"},
	}
	for suite, rs := range renderers {
		for _, r := range rs {
			for _, mtu := range []int{1400, 9000} {
				if k := fmt.Sprintf("%s/%s/%d", suite, r, mtu); cells[k] != 1 {
					t.Errorf("%s: %d cases, want 1", k, cells[k])
				}
			}
		}
	}
	if len(cells) != 14 {
		t.Errorf("%d MTU cells, want 14 (7 renderers × 1400, 9000): %v", len(cells), cells)
	}
	for _, k := range []string{"bookworm/9000", "trixie/9000", "trixie/1400"} {
		if !ciCells[k] {
			t.Errorf("CI's set has no case at %s", k)
		}
	}
	if (guestCase{}).mtu() != 1500 {
		t.Error("a case without MTU does not run at 1500")
	}
}

// Only the image's missing resize2fs is set apart from what the seed
// causes.
func TestImageIssue(t *testing.T) {
	image := `ERROR: ('resizefs', ProcessExecutionError("Unexpected error while running command.\nCommand: ('resize2fs', '/dev/vda')\nExit code: -\nReason: [Errno 2] No such file or directory: b'resize2fs'\nStdout: -\nStderr: -"))`
	if !imageIssue(image) {
		t.Error("the image's missing resize2fs taken as the seed's")
	}
	for _, ours := range []string{
		"ERROR: ('init-network', ValueError('bad network config'))",
		"ERROR: ('resizefs', OSError('disk full'))",
		"DEPRECATED: The use of `gateway4` and `gateway6` is deprecated in 22.4 and scheduled to be removed in 27.4.",
	} {
		if imageIssue(ours) {
			t.Errorf("%q taken as the image's own", ours)
		}
	}
}

// The report sets the image's own issues apart and lists the rest.
func TestStatusCell(t *testing.T) {
	resize := `ERROR: ('resizefs', ProcessExecutionError("Unexpected error while running command.\nCommand: ('resize2fs', '/dev/vda')\nExit code: -\nReason: [Errno 2] No such file or directory: b'resize2fs'\nStdout: -\nStderr: -"))`
	warn := "WARNING: Failed to resize filesystem (cmd=('resize2fs', '/dev/vda'))"
	dep := "DEPRECATED: The use of `gateway4` and `gateway6` is deprecated in 22.4 and scheduled to be removed in 27.4."
	tests := []struct {
		o    observed
		want string
	}{
		{observed{diag: diag{Status: "status: done"}}, "done"},
		{observed{diag: diag{Status: "status: error", Issues: []string{resize, warn}}},
			"error (2 issues of the test image's own: it has no resize2fs, so cloud-init's resizefs module fails)"},
		{observed{diag: diag{Status: "status: error", Issues: []string{resize, dep}}},
			"error; " + dep + " (1 issue of the test image's own: it has no resize2fs, so cloud-init's resizefs module fails)"},
		// Without the missing resize2fs, a warning about resizing is listed.
		{observed{diag: diag{Status: "status: done", Issues: []string{warn}}}, "done; " + warn},
	}
	for _, tt := range tests {
		if got := statusCell(tt.o); got != tt.want {
			t.Errorf("statusCell(%q):\n got %q\nwant %q", tt.o.Issues, got, tt.want)
		}
	}
}
