package node

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// packages are Debian's, installed with apt-get when a command is missing.
var packages = map[string]string{
	"containerd":   "containerd",
	"ctr":          "containerd",
	"runc":         "runc",
	"iptables":     "iptables",
	"ip6tables":    "iptables",
	"conntrack":    "conntrack",
	"ip":           "iproute2",
	"/usr/lib/cni": "containernetworking-plugins",
}

// EnsurePackages installs what is missing (apt-get update first, as a fresh
// machine's package lists may be empty), and says what it did.
func EnsurePackages(logf func(string, ...any)) error {
	var missing []string
	seen := map[string]bool{}
	for cmd, pkg := range packages {
		var err error
		if strings.HasPrefix(cmd, "/") {
			_, err = os.Stat(filepath.Join(cmd, "bridge"))
		} else {
			_, err = exec.LookPath(cmd)
		}
		if err != nil && !seen[pkg] {
			seen[pkg] = true
			missing = append(missing, pkg)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	logf("installing %s with apt-get", strings.Join(missing, " "))
	start := time.Now()
	for _, args := range [][]string{
		{"update", "-qq"},
		append([]string{"install", "-y", "-qq", "--no-install-recommends"}, missing...),
	} {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("apt-get %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	logf("installed in %s", time.Since(start).Round(time.Second))
	return nil
}

// sysctls the kubelet, kube-proxy and the bridge plugin are known to change.
var sysctls = []string{
	"vm.overcommit_memory", "vm.panic_on_oom", "kernel.panic", "kernel.panic_on_oops",
	"kernel.keys.root_maxkeys", "kernel.keys.root_maxbytes",
	"net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding", "net.ipv4.conf.all.route_localnet",
	"net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables",
	"net.netfilter.nf_conntrack_max", "net.netfilter.nf_conntrack_tcp_timeout_established",
	"net.netfilter.nf_conntrack_tcp_timeout_close_wait", "net.netfilter.nf_conntrack_tcp_be_liberal",
}

func sysctlPath(name string) string {
	return filepath.Join("/proc/sys", strings.ReplaceAll(name, ".", "/"))
}

// Host is the machine's state before the node started, to undo afterwards
// exactly what the node changed, and nothing else.
type Host struct {
	sysctls  map[string]string
	iptables map[string]string // "iptables-save" and "ip6tables-save" output
	// paths that did not exist before and that the node's programs create
	// outside its work folder.
	newPaths []string
	netns    map[string]bool
	cgroups  map[string]bool
}

// outsidePaths are written by the kubelet, containerd and CNI regardless of
// their configured folders.
var outsidePaths = []string{
	"/var/lib/kubelet", "/run/containerd", "/var/run/netns", "/var/lib/cni", "/run/cni",
	"/var/log/containers", "/var/log/pods", "/etc/cni",
}

// RecordHost notes what the node may change.
func RecordHost() (*Host, error) {
	h := &Host{sysctls: map[string]string{}, iptables: map[string]string{}, netns: map[string]bool{}}
	for _, s := range sysctls {
		if b, err := os.ReadFile(sysctlPath(s)); err == nil {
			h.sysctls[s] = strings.TrimSpace(string(b))
		}
	}
	for _, save := range []string{"iptables-save", "ip6tables-save"} {
		out, err := exec.Command(save).Output()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", save, err)
		}
		h.iptables[save] = string(out)
	}
	for _, p := range outsidePaths {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			h.newPaths = append(h.newPaths, p)
		}
	}
	ents, _ := os.ReadDir("/var/run/netns")
	for _, e := range ents {
		h.netns[e.Name()] = true
	}
	h.cgroups = kubepodsCgroups()
	return h, nil
}

// Restore undoes the changes it can see: sysctls back to their values, new
// iptables rules and chains removed, network namespaces and the paths the
// node created outside its folder removed. It returns what it changed back,
// and an error for what it could not.
func (h *Host) Restore() ([]string, error) {
	var did []string
	var errs []error
	for _, s := range sysctls {
		before, ok := h.sysctls[s]
		if !ok {
			continue
		}
		b, err := os.ReadFile(sysctlPath(s))
		if err != nil {
			continue
		}
		if now := strings.TrimSpace(string(b)); now != before {
			if err := os.WriteFile(sysctlPath(s), []byte(before), 0o644); err != nil {
				errs = append(errs, fmt.Errorf("restore %s=%s: %w", s, before, err))
				continue
			}
			did = append(did, fmt.Sprintf("sysctl %s %s -> %s", s, now, before))
		}
	}
	for save, before := range h.iptables {
		d, err := undoIPTables(strings.TrimSuffix(save, "-save"), before)
		did = append(did, d...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	ents, _ := os.ReadDir("/var/run/netns")
	for _, e := range ents {
		if h.netns[e.Name()] {
			continue
		}
		p := filepath.Join("/var/run/netns", e.Name())
		_ = syscall.Unmount(p, syscall.MNT_DETACH)
		if err := os.Remove(p); err != nil {
			errs = append(errs, err)
			continue
		}
		did = append(did, "network namespace "+e.Name()+" removed")
	}
	for _, p := range h.newPaths {
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		if err := unmountBelow(p); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
			continue
		}
		did = append(did, p+" removed")
	}
	return did, errors.Join(errs...)
}

// undoIPTables removes, table by table, the chains that did not exist in
// before and the rules that were added to chains that did: what
// kube-proxy, the kubelet and CNI added while the node ran.
func undoIPTables(cmd, before string) ([]string, error) {
	out, err := exec.Command(cmd + "-save").Output()
	if err != nil {
		return nil, fmt.Errorf("%s-save: %w", cmd, err)
	}
	old := parseIPTables(before)
	now := parseIPTables(string(out))
	var did []string
	var errs []error
	run := func(args ...string) {
		if b, err := exec.Command(cmd, args...).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %v: %s", cmd, strings.Join(args, " "), err, b))
		}
	}
	for table, t := range now {
		o := old[table]
		// Rules added to chains that existed: deleted one by one.
		for _, r := range t.rules {
			if o != nil && hasChain(o, r.chain) && !o.hasRule(r.line) {
				run(append([]string{"-t", table, "-D"}, splitRule(r.line)[1:]...)...)
				did = append(did, fmt.Sprintf("%s -t %s %s removed", cmd, table, r.line))
			}
		}
		// New chains: flushed, then deleted. A table that was not in use
		// before has only new rules, in its built-in chains too.
		var chains []string
		for c, builtin := range t.chains {
			if o == nil || !hasChain(o, c) {
				if builtin {
					run("-t", table, "-F", c)
					continue
				}
				chains = append(chains, c)
			}
		}
		sort.Strings(chains)
		for _, c := range chains {
			run("-t", table, "-F", c)
		}
		for _, c := range chains {
			run("-t", table, "-X", c)
			did = append(did, fmt.Sprintf("%s -t %s chain %s removed", cmd, table, c))
		}
	}
	return did, errors.Join(errs...)
}

type ipTable struct {
	// chains tells built-in chains (true: they have a policy) from
	// user-defined ones.
	chains map[string]bool
	rules  []ipRule
}

type ipRule struct{ chain, line string }

func hasChain(t *ipTable, c string) bool {
	_, ok := t.chains[c]
	return ok
}

func (t *ipTable) hasRule(line string) bool {
	for _, r := range t.rules {
		if r.line == line {
			return true
		}
	}
	return false
}

func parseIPTables(save string) map[string]*ipTable {
	tables := map[string]*ipTable{}
	var cur *ipTable
	sc := bufio.NewScanner(strings.NewReader(save))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "*"):
			cur = &ipTable{chains: map[string]bool{}}
			tables[line[1:]] = cur
		case cur == nil:
		case strings.HasPrefix(line, ":"):
			f := strings.Fields(line[1:])
			cur.chains[f[0]] = len(f) > 1 && f[1] != "-"
		case strings.HasPrefix(line, "-A "):
			cur.rules = append(cur.rules, ipRule{chain: strings.Fields(line)[1], line: line})
		}
	}
	return tables
}

// splitRule splits an iptables-save rule into arguments, keeping quoted
// strings (comments) whole.
func splitRule(line string) []string {
	var args []string
	var cur bytes.Buffer
	inQuote := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '"':
			inQuote = !inQuote
		case c == '\\' && inQuote && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case c == ' ' && !inQuote:
			if cur.Len() > 0 {
				args = append(args, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() > 0 {
		args = append(args, cur.String())
	}
	return args
}

// mountsBelow lists the mount points at or below dir, deepest first.
func mountsBelow(dir string) ([]string, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := unescapeMount(f[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out, nil
}

func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// unmountBelow unmounts everything mounted at or below dir (secrets'
// tmpfs, overlay roots, network namespaces), so that removing dir removes
// only files of its own.
func unmountBelow(dir string) error {
	for range 3 {
		mps, err := mountsBelow(dir)
		if err != nil || len(mps) == 0 {
			return err
		}
		for _, mp := range mps {
			if err := syscall.Unmount(mp, 0); err != nil {
				_ = syscall.Unmount(mp, syscall.MNT_DETACH)
			}
		}
	}
	if mps, _ := mountsBelow(dir); len(mps) > 0 {
		return fmt.Errorf("still mounted below %s: %v", dir, mps)
	}
	return nil
}

// Check compares the machine with what was recorded and reports what
// differs: a sysctl, an iptables chain or rule, a path, a network namespace.
func (h *Host) Check() error {
	var errs []error
	for s, before := range h.sysctls {
		b, err := os.ReadFile(sysctlPath(s))
		if err == nil && strings.TrimSpace(string(b)) != before {
			errs = append(errs, fmt.Errorf("sysctl %s is %s, was %s", s, strings.TrimSpace(string(b)), before))
		}
	}
	for save, before := range h.iptables {
		out, err := exec.Command(save).Output()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		old, now := parseIPTables(before), parseIPTables(string(out))
		for table, t := range now {
			o := old[table]
			for c := range t.chains {
				if (o == nil || !hasChain(o, c)) && !t.chains[c] {
					errs = append(errs, fmt.Errorf("%s: table %s chain %s was not there before", save, table, c))
				}
			}
			for _, r := range t.rules {
				if o == nil || !o.hasRule(r.line) {
					errs = append(errs, fmt.Errorf("%s: table %s: rule %q was not there before", save, table, r.line))
				}
			}
		}
	}
	for _, p := range h.newPaths {
		if _, err := os.Lstat(p); err == nil {
			errs = append(errs, fmt.Errorf("%s was left behind", p))
		}
	}
	ents, _ := os.ReadDir("/var/run/netns")
	for _, e := range ents {
		if !h.netns[e.Name()] {
			errs = append(errs, fmt.Errorf("network namespace %s was left behind", e.Name()))
		}
	}
	for cg := range kubepodsCgroups() {
		if !h.cgroups[cg] {
			errs = append(errs, fmt.Errorf("cgroup %s was left behind", cg))
		}
	}
	return errors.Join(errs...)
}
