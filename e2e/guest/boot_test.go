package guest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vmnet-webhook/vmnet-webhook/e2e/framework"
)

// offLinkIPv6 is a source outside every vmIPv6NetworkCIDR, on the loopback
// of the test's namespace (a dummy interface would need a kernel module):
// the guest can answer it only through a default route (the symptom of
// kubevirt/kubevirt#19193).
const offLinkIPv6 = "2001:db8:1::1"

// podNet is the pod network as virt-launcher builds it for a masquerade
// interface: the launcher's and the guest's addresses from the VM's CIDRs,
// and the pod NIC's MTU, which the bridge, the tap, the guest's NIC (host
// MTU) and DHCPv4 option 26 all take (KubeVirt's
// pkg/network/setup/netpod/netpod.go, pkg/network/domainspec/generators.go,
// pkg/network/dhcp/masquerade.go).
type podNet struct {
	V4  ipv4Plan
	V6  ipv6Plan
	MTU int
}

// accel is how qemu runs the guests: KVM when it works here, else TCG.
type accel struct {
	Name string
	Args []string
}

var tcg = accel{Name: "tcg", Args: []string{"-accel", "tcg", "-cpu", "max"}}

// netns is a network namespace of the test's own: anonymous, held by a
// `sleep` child, so it ends with its last process and nothing of it stays on
// the machine, even when the test binary is killed.
type netns struct {
	holder *framework.Process
	path   string // /proc/<pid>/ns/net
}

func newNetns(t *testing.T, dir string) *netns {
	t.Helper()
	holder, err := start("netns holder", filepath.Join(dir, "netns.log"), "unshare", "--net", "--", "sleep", "infinity")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { holder.Stop(5 * time.Second) })
	ns := &netns{holder: holder, path: fmt.Sprintf("/proc/%d/ns/net", holder.PID())}
	own, _ := os.Readlink("/proc/self/ns/net")
	// unshare execs sleep once the namespace is made. Until then the pid's
	// namespace is the test's own, which must never be wired.
	deadline := time.Now().Add(10 * time.Second)
	for {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", holder.PID()))
		link, _ := os.Readlink(ns.path)
		if strings.TrimSpace(string(comm)) == "sleep" && link != "" && link != own {
			return ns
		}
		if exited(holder) || time.Now().After(deadline) {
			t.Fatalf("network namespace not made: %s", readTail(filepath.Join(dir, "netns.log"), 2000))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cmd is argv run inside the namespace (nsenter execs it: same pid).
func (n *netns) cmd(argv ...string) []string {
	return append([]string{"nsenter", "--net=" + n.path, "--"}, argv...)
}

func (n *netns) run(argv ...string) error {
	if exited(n.holder) { // its pid could name another process now
		return fmt.Errorf("%s: the namespace's holder has exited", strings.Join(argv, " "))
	}
	a := n.cmd(argv...)
	out, err := exec.Command(a[0], a[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(argv, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// wire builds the launcher's side of the pod network in the namespace: the
// pod NIC (eth0, a veth whose other end stays unused) at the pod MTU; a
// bridge at that MTU with the launcher's IPv4 and IPv6 gateway addresses
// and the static MAC KubeVirt gives it (pkg/network/link/mac.go); the
// guest's tap on it at that MTU; the off-link source; and a tap on no
// bridge for each of the VM's other interfaces (a Multus network: nothing
// answers there). No default route, no forwarding: nothing can leave the
// namespace. It returns the pod NIC's MAC, which a guest whose VM stores
// none gets (KubeVirt's TapLibvirtSpecGenerator).
func (n *netns) wire(pn podNet, others []string) (string, error) {
	mtu := strconv.Itoa(pn.MTU)
	cmds := [][]string{
		{"ip", "link", "set", "lo", "up"},
		{"ip", "link", "add", "eth0", "mtu", mtu, "type", "veth", "peer", "name", "eth0-peer", "mtu", mtu},
		{"ip", "link", "add", "br0", "mtu", mtu, "address", "02:00:00:00:00:00", "type", "bridge"},
		{"ip", "addr", "add", fmt.Sprintf("%s/%d", pn.V4.Gateway, pn.V4.Bits), "dev", "br0"},
		{"ip", "-6", "addr", "add", fmt.Sprintf("%s/%d", pn.V6.Gateway, pn.V6.Bits), "dev", "br0", "nodad"},
		{"ip", "link", "set", "br0", "up"},
		{"ip", "tuntap", "add", "dev", "tap0", "mode", "tap"},
		{"ip", "link", "set", "tap0", "mtu", mtu, "master", "br0"},
		{"ip", "link", "set", "tap0", "up"},
		{"ip", "-6", "addr", "add", offLinkIPv6 + "/128", "dev", "lo", "nodad"},
	}
	for _, tap := range others {
		cmds = append(cmds, []string{"ip", "tuntap", "add", "dev", tap, "mode", "tap"}, []string{"ip", "link", "set", tap, "up"})
	}
	for _, c := range cmds {
		if err := n.run(c...); err != nil {
			return "", err
		}
	}
	a := n.cmd("cat", "/sys/class/net/eth0/address")
	out, err := exec.Command(a[0], a[1:]...).Output()
	if err != nil {
		return "", fmt.Errorf("the pod NIC's MAC: %v", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// dhcp runs KubeVirt's own DHCPv4 and DHCPv6 servers (e2e/tools/kvdhcp)
// on the bridge, with what virt-launcher gives them on a pod whose host
// name is the VM's and whose resolv.conf has a cluster's DNS service and
// search domains; nothing sends router advertisements. It returns the
// servers' log.
func (n *netns) dhcp(t *testing.T, dir, kvdhcp string, pn podNet, podHostname string) string {
	t.Helper()
	logPath := filepath.Join(dir, "dhcp.log")
	// A UTS namespace of its own, for the host name option 12 sends.
	argv := append([]string{"unshare", "--uts", "--"}, n.cmd(kvdhcp,
		"-iface", "br0",
		"-ip", fmt.Sprintf("%s/%d", pn.V4.VM, pn.V4.Bits), "-gateway", pn.V4.Gateway.String(),
		"-ip6", pn.V6.VM.String(), "-mtu", strconv.Itoa(pn.MTU),
		"-dns", clusterDNS, "-search", clusterSearch, "-hostname", podHostname)...)
	p, err := start("kvdhcp", logPath, argv...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(5 * time.Second) })
	time.Sleep(500 * time.Millisecond)
	if exited(p) {
		t.Fatalf("kvdhcp exited: %s", readTail(logPath, 2000))
	}
	return logPath
}

// A pod's resolv.conf on a cluster with the usual service CIDR and domain,
// in the namespace the test stores its VMs in: what the launcher reads and
// passes to the DHCP server (options 6, 15 and 119).
const (
	clusterDNS    = "10.96.0.10"
	clusterSearch = "guests.svc.cluster.local,svc.cluster.local,cluster.local"
)

// leased reports whether KubeVirt's DHCPv4 server's log (at verbosity 4)
// shows, after its first from bytes, that it answered a DHCPREQUEST: it
// serves a single client, the guest.
func leased(dhcpLog string, from int64) bool {
	b, _ := os.ReadFile(dhcpLog)
	if int64(len(b)) < from {
		return false
	}
	return bytes.Contains(b[from:], []byte("The request has message type REQUEST"))
}

// boot is one guest to start.
type boot struct {
	Image    string // folder with vmlinuz, initrd.img, root.img
	IfNames0 bool   // net.ifnames=0: the NIC is eth0, not enp1s0
	NICs     []nic  // in the VM's order of interfaces
	Seed     string // ISO path; empty: no seed disk
	// Disk is a root disk of the case's own, kept from boot to boot; empty:
	// the image's root.img with snapshot=on (every boot a first boot).
	Disk    string
	QMP     string // the QMP socket, to power the guest off as a VM stop does
	Accel   accel
	Timeout time.Duration
}

// nic is one of the guest's NICs: its MAC, the tap in the namespace, its
// model ("" for virtio) and the host MTU qemu gives a virtio NIC (0: none).
type nic struct {
	MAC, Tap, Model string
	MTU             int
}

// device is the NIC's qemu -device: virtio-net-pci with host_mtu as libvirt
// gives the MTU of KubeVirt's domain interface, or the model named (qemu's
// host_mtu is a virtio-net property only).
func (n nic) device(i int) string {
	if n.Model != "" && n.Model != "virtio" {
		return fmt.Sprintf("%s,netdev=net%d,mac=%s,bus=rp%d,romfile=", n.Model, i, n.MAC, i+1)
	}
	d := fmt.Sprintf("virtio-net-pci,netdev=net%d,mac=%s,bus=rp%d,romfile=", i, n.MAC, i+1)
	if n.MTU > 0 {
		d += fmt.Sprintf(",host_mtu=%d", n.MTU)
	}
	return d
}

// bootNIC is the name the guest gives the i-th NIC at boot: each sits
// behind a root port of its own, bus i+1 (enp<i+1>s0), or eth<i> with
// net.ifnames=0.
func bootNIC(ifnames0 bool, i int) string {
	if ifnames0 {
		return fmt.Sprintf("eth%d", i)
	}
	return fmt.Sprintf("enp%ds0", i+1)
}

// qemuArgs is q35 with each NIC (virtio-net-pci unless its model says
// otherwise) behind a PCIe root port,
// as KubeVirt's domain has it (the guest names the first enp1s0), the root
// disk (with snapshot=on unless the case has a disk of its own) and the
// seed as another virtio disk.
func (b boot) qemuArgs(serial string) []string {
	cmdline := "root=/dev/vda rw console=ttyS0"
	if b.IfNames0 {
		cmdline += " net.ifnames=0"
	}
	args := []string{"qemu-system-x86_64", "-machine", "q35"}
	args = append(args, b.Accel.Args...)
	args = append(args,
		"-smp", "1", "-m", "1024",
		"-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
		"-monitor", "none", "-serial", "file:"+serial,
		"-kernel", filepath.Join(b.Image, "vmlinuz"), "-initrd", filepath.Join(b.Image, "initrd.img"),
		"-append", cmdline,
	)
	// The root ports are enumerated in slot order: bus 1 for the first NIC,
	// 2 for the second, whatever the disks between them.
	for i, n := range b.NICs {
		slot := 2
		if i > 0 {
			slot = 4 + i
		}
		args = append(args,
			"-device", fmt.Sprintf("pcie-root-port,id=rp%d,bus=pcie.0,chassis=%d,addr=0x%x", i+1, i+1, slot),
			"-netdev", fmt.Sprintf("tap,id=net%d,ifname=%s,script=no,downscript=no", i, n.Tap),
			"-device", n.device(i))
	}
	root := "file=" + filepath.Join(b.Image, "root.img") + ",if=none,id=root,format=raw,snapshot=on"
	if b.Disk != "" {
		root = "file=" + b.Disk + ",if=none,id=root,format=raw"
	}
	args = append(args, "-drive", root, "-device", "virtio-blk-pci,drive=root,bus=pcie.0,addr=0x3")
	if b.QMP != "" {
		args = append(args, "-qmp", "unix:"+b.QMP+",server=on,wait=off")
	}
	if b.Seed != "" {
		args = append(args,
			"-drive", "file="+b.Seed+",if=none,id=seed,format=raw,readonly=on",
			"-device", "virtio-blk-pci,drive=seed,bus=pcie.0,addr=0x4")
	}
	return args
}

// randomMAC is what KubeVirt gives an interface without macAddress at each
// start: locally administered, unicast.
func randomMAC() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	b[0] = b[0]&0xfc | 0x02
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5])
}

// observed is what one guest did, from its serial console, the DHCP
// server's log and pings from inside the namespace.
type observed struct {
	diag
	Lease                    bool // KubeVirt's DHCPv4 server acknowledged a request during this boot
	Ping4, Ping6GW, Ping6Off bool
	// Ping4Full and Ping6Full: the guest answered pings of the pod MTU's
	// full size, unfragmented, from the launcher's IPv4 and the gateway.
	Ping4Full, Ping6Full bool
	Seconds              float64 // qemu start to the diagnostic's end
	Err                  string  // the boot did not get as far as the checks
}

// boot starts b in n, waits for the diagnostic on the serial console
// (serial), then checks from inside the namespace; qemu is left running
// for the caller to stop (a cleanup of t stops it in any case). dhcpLog is
// the DHCP servers' log.
func (n *netns) boot(t *testing.T, dir, serial string, b boot, pn podNet, dhcpLog string) (observed, *framework.Process) {
	t.Helper()
	began := time.Now()
	logged := fileSize(dhcpLog) // what the DHCP server logged before this boot
	q, err := start("qemu", filepath.Join(dir, "qemu.log"), n.cmd(append([]string{"nice", "-n", "10"}, b.qemuArgs(serial)...)...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Stop(10 * time.Second) })
	o := n.observe(serial, q, began, b.Timeout, dir, pn)
	o.Lease = leased(dhcpLog, logged)
	return o, q
}

// observe waits for the diagnostic of the boot that began at began, then
// pings the guest: small pings, then pings of the pod MTU's full size with
// fragmentation forbidden (IPv4 header 20 and ICMP 8 bytes; IPv6 header 40
// and ICMPv6 8).
func (n *netns) observe(serial string, q *framework.Process, began time.Time, limit time.Duration, dir string, pn podNet) observed {
	var o observed
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		text, _ := os.ReadFile(serial)
		if d, ok := parseDiag(string(text)); ok {
			o.diag = d
			o.Seconds = time.Since(began).Seconds()
			break
		}
		if exited(q) {
			o.Err = fmt.Sprintf("qemu exited after %.0fs: %s", time.Since(began).Seconds(), readTail(filepath.Join(dir, "qemu.log"), 1000))
			return o
		}
		select {
		case <-ctx.Done():
			o.Err = fmt.Sprintf("no diagnostic on the serial console after %s: qemu killed", limit)
			q.Stop(5 * time.Second)
			return o
		case <-time.After(2 * time.Second):
		}
	}
	o.Ping4 = n.ping(pn.V4.Gateway.String(), pn.V4.VM.String(), 0)
	o.Ping6GW = n.ping(pn.V6.Gateway.String(), pn.V6.VM.String(), 0)
	o.Ping6Off = n.ping(offLinkIPv6, pn.V6.VM.String(), 0)
	o.Ping4Full = n.ping(pn.V4.Gateway.String(), pn.V4.VM.String(), pn.MTU-28)
	o.Ping6Full = n.ping(pn.V6.Gateway.String(), pn.V6.VM.String(), pn.MTU-48)
	return o
}

// fileSize is the size of path, 0 when it cannot be read.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// powerOff presses the guest's power button through QMP, as stopping a VM
// does, and waits up to limit for qemu to exit (-no-reboot); after that,
// or when QMP fails, it kills qemu. It says which.
func powerOff(sock string, q *framework.Process, limit time.Duration) string {
	defer q.Stop(5 * time.Second)
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		return "killed (QMP: " + err.Error() + ")"
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	_, err = r.ReadString('\n') // the greeting
	for _, cmd := range []string{"qmp_capabilities", "system_powerdown"} {
		if err == nil {
			_, err = fmt.Fprintf(c, "{\"execute\": %q}\n", cmd)
		}
		if err == nil {
			_, err = r.ReadString('\n')
		}
	}
	c.Close()
	if err != nil {
		return "killed (QMP: " + err.Error() + ")"
	}
	began := time.Now()
	for time.Since(began) < limit {
		if exited(q) {
			return fmt.Sprintf("powered off in %.0f s", time.Since(began).Seconds())
		}
		time.Sleep(time.Second)
	}
	return fmt.Sprintf("killed: not off %s after the power button", limit)
}

// ping reports whether to answers an echo request from the local address
// from, trying three times (the guest may still be bringing its link up).
// size > 0: that many bytes of payload, and the packet may not be
// fragmented (ping -M do).
func (n *netns) ping(from, to string, size int) bool {
	for i := 0; i < 3; i++ {
		if i > 0 {
			time.Sleep(2 * time.Second)
		}
		argv := []string{"ping", "-n", "-q", "-c", "2", "-W", "2", "-I", from}
		if size > 0 {
			argv = append(argv, "-M", "do", "-s", strconv.Itoa(size))
		}
		a := n.cmd(append(argv, to)...)
		if exec.Command(a[0], a[1:]...).Run() == nil {
			return true
		}
	}
	return false
}

// diag is what the image's vmnet-diag unit printed once cloud-init was done.
type diag struct {
	NIC      string // the guest's name for its Ethernet link
	Renderer string // cloud-init's "Selected renderer"
	Status   string // first line of `cloud-init status --long`
	// Issues are the errors and recoverable errors that `cloud-init status
	// --long` lists (cloud-init 23.4 and later), each "LEVEL: message",
	// errors as "ERROR: message".
	Issues   []string
	IPv4     []string          // addresses with prefix, on any link but lo
	IPv6     []string          // global IPv6 addresses with prefix
	Default6 string            // gateway of the IPv6 default route, if any
	Failed   []string          // systemd units that failed (networking.service, ...)
	Links    [][2]string       // name, MAC of each Ethernet link
	MTUs     map[string]int    // link name -> its MTU, from `ip -o link`
	AddrDev  map[string]string // address with prefix -> its link
	// Renames are the kernel's "renamed from" lines, in order: udev's
	// (eth0 to enp1s0), then cloud-init's set-name, if any.
	Renames [][2]string // from, to
}

// names is the NIC's names in order: the kernel's, udev's, cloud-init's.
func (d diag) names() []string { return d.namesOf(d.NIC) }

// namesOf follows the renames back from a link's last name.
func (d diag) namesOf(last string) []string {
	out := []string{last}
	for i := len(d.Renames) - 1; i >= 0; i-- {
		if d.Renames[i][1] == out[0] {
			out = append([]string{d.Renames[i][0]}, out...)
		}
	}
	return out
}

// linkOf is the name of the link with mac, "" when there is none.
func (d diag) linkOf(mac string) string {
	for _, l := range d.Links {
		if strings.EqualFold(l[1], mac) {
			return l[0]
		}
	}
	return ""
}

// addrsOn lists the addresses (IPv4, global IPv6) on link.
func (d diag) addrsOn(link string) []string {
	var out []string
	for _, a := range append(slices.Clone(d.IPv4), d.IPv6...) {
		if d.AddrDev[a] == link {
			out = append(out, a)
		}
	}
	return out
}

// bootName is the NIC's name before cloud-init renamed it: udev's, or the
// kernel's when udev kept it (net.ifnames=0).
func (d diag) bootName() string {
	n := d.names()
	if len(n) > 1 {
		return n[1]
	}
	return n[0]
}

// statusLine reads one line of `cloud-init status --long`: a heading
// ("errors:", "recoverable_errors:", a level such as "DEPRECATED:") sets the
// level of the entries ("- message") that follow; it returns the level.
func statusLine(line, level string, issues *[]string) string {
	t := strings.TrimSpace(line)
	switch {
	case strings.HasPrefix(t, "- "):
		if level != "" {
			*issues = append(*issues, level+": "+strings.TrimPrefix(t, "- "))
		}
	case strings.HasPrefix(t, "errors:"):
		return "ERROR"
	case strings.HasPrefix(t, "recoverable_errors:"):
		return ""
	case strings.HasSuffix(t, ":") && !strings.Contains(t, " ") && strings.ToUpper(t) == t:
		return strings.TrimSuffix(t, ":")
	case strings.Contains(t, ": "):
		return "" // another key of the status
	}
	return level
}

// parseDiag picks the diagnostic out of a serial console log, where kernel
// messages may come between its lines; ok once its end marker is there.
func parseDiag(console string) (d diag, ok bool) {
	var lines []string
	for _, raw := range strings.Split(console, "\n") {
		_, rest, found := strings.Cut(strings.TrimRight(raw, "\r"), "vmnet-diag: ")
		if !found {
			continue
		}
		if rest == "begin" {
			lines = lines[:0]
			continue
		}
		if rest == "end" {
			ok = true
			break
		}
		lines = append(lines, rest)
	}
	if !ok {
		return diag{}, false
	}
	level := "" // of the entries that follow, in cloud-init status --long
	for _, l := range lines {
		kind, rest, _ := strings.Cut(l, " ")
		f := strings.Fields(rest)
		switch kind {
		case "status":
			if d.Status == "" {
				d.Status = strings.TrimSpace(rest)
			}
			level = statusLine(rest, level, &d.Issues)
		case "renderer":
			// "renderer 'netplan' from priority list: [...]"
			d.Renderer = strings.Trim(strings.Fields(rest + " ?")[0], "':")
		case "link":
			// "2: enp1s0: <...> ... link/ether 52:54:..."
			if len(f) >= 2 && strings.Contains(rest, "link/ether") {
				name := strings.TrimSuffix(f[1], ":")
				if d.NIC == "" {
					d.NIC = name
				}
				for i := 2; i+1 < len(f); i++ {
					if f[i] == "mtu" {
						if m, err := strconv.Atoi(f[i+1]); err == nil {
							if d.MTUs == nil {
								d.MTUs = map[string]int{}
							}
							d.MTUs[name] = m
						}
						break
					}
				}
				for i := 2; i+1 < len(f); i++ {
					if f[i] == "link/ether" || strings.HasSuffix(f[i], "link/ether") {
						d.Links = append(d.Links, [2]string{name, f[i+1]})
						break
					}
				}
			}
		case "addr":
			// "2: enp1s0    inet 10.0.2.2/24 brd ... scope global ..."
			if len(f) < 4 || f[1] == "lo" {
				continue
			}
			if d.AddrDev == nil {
				d.AddrDev = map[string]string{}
			}
			switch {
			case f[2] == "inet":
				d.IPv4 = append(d.IPv4, f[3])
				d.AddrDev[f[3]] = f[1]
			case f[2] == "inet6" && strings.Contains(rest, "scope global"):
				d.IPv6 = append(d.IPv6, f[3])
				d.AddrDev[f[3]] = f[1]
			}
		case "rename":
			// "[    6.6] virtio_net virtio2 enp1s0: renamed from eth0"
			for i := 1; i+2 < len(f); i++ {
				if f[i] == "renamed" && f[i+1] == "from" {
					d.Renames = append(d.Renames, [2]string{f[i+2], strings.TrimSuffix(f[i-1], ":")})
				}
			}
		case "failed":
			if len(f) > 0 {
				d.Failed = append(d.Failed, f[0])
			}
		case "route6":
			// "default via fd10:0:2::1 dev enp1s0 proto static metric 1024 pref medium"
			if len(f) >= 3 && f[0] == "default" && f[1] == "via" {
				d.Default6 = f[2]
			}
		}
	}
	return d, true
}

// readTail is the end of a file, for messages.
func readTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// probeAccel returns KVM when /dev/kvm opens and the guest's kernel gets as
// far as printing its banner within 30 s under it; TCG otherwise. On the
// machines this was built on, -cpu host aborts or the kernel never leaves
// its decompressor, hence the probe. GUEST_ACCEL=tcg|kvm forces a choice.
func probeAccel(t *testing.T, image, dir string) (accel, string) {
	kvm := accel{Name: "kvm", Args: []string{"-accel", "kvm", "-cpu", "host"}}
	switch os.Getenv("GUEST_ACCEL") {
	case "tcg":
		return tcg, "GUEST_ACCEL=tcg"
	case "kvm":
		return kvm, "GUEST_ACCEL=kvm"
	}
	f, err := os.OpenFile("/dev/kvm", os.O_RDWR, 0)
	if err != nil {
		return tcg, "no usable /dev/kvm: " + err.Error()
	}
	f.Close()
	serial := filepath.Join(dir, "kvm-probe.serial.log")
	logPath := filepath.Join(dir, "kvm-probe.log")
	args := append([]string{"qemu-system-x86_64", "-machine", "q35"}, kvm.Args...)
	args = append(args, "-smp", "1", "-m", "512", "-nodefaults", "-no-user-config", "-display", "none",
		"-no-reboot", "-monitor", "none", "-serial", "file:"+serial,
		"-kernel", filepath.Join(image, "vmlinuz"), "-append", "console=ttyS0 panic=-1")
	p, err := start("kvm probe", logPath, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(5 * time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile(serial); bytes.Contains(b, []byte("Linux version")) {
			return kvm, "the kernel booted under KVM in the probe"
		}
		if exited(p) {
			msg, _, _ := strings.Cut(strings.TrimSpace(readTail(logPath, 300)), "\n")
			return tcg, "KVM probe: " + msg
		}
		time.Sleep(500 * time.Millisecond)
	}
	return tcg, "KVM probe: no kernel banner within 30s"
}

// bootTimeout is GUEST_BOOT_TIMEOUT or 8 minutes: TCG boots took 100-300 s
// on a shared 2-core machine.
func bootTimeout() time.Duration {
	if s := os.Getenv("GUEST_BOOT_TIMEOUT"); s != "" {
		if d, err := time.ParseDuration(s); err == nil {
			return d
		}
		if n, err := strconv.Atoi(s); err == nil {
			return time.Duration(n) * time.Second
		}
	}
	return 8 * time.Minute
}

// hasAddr reports whether addrs holds want/bits.
func hasAddr(addrs []string, want netip.Addr, bits int) bool {
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a); err == nil && p.Addr() == want && p.Bits() == bits {
			return true
		}
	}
	return false
}
