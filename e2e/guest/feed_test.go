package guest

import (
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

// CI runs the pod MTU 9000 under one renderer of each release; make
// test-guest-all every renderer at 1400 and 9000, each case once.
func TestMTUCases(t *testing.T) {
	names := map[string]bool{}
	ci, all := 0, 0
	for _, c := range cases {
		if names[c.Name] {
			t.Errorf("case %s twice", c.Name)
		}
		names[c.Name] = true
		if c.MTU != 0 && c.Model == "" {
			all++
			if !c.Extra {
				ci++
			}
		}
	}
	if ci != 2 || all != 14 {
		t.Errorf("MTU cases: %d in CI's set, %d in all; want 2 and 14 (7 renderers × 1400, 9000)", ci, all)
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
