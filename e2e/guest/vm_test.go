package guest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// KubeVirt's vmNetworkCIDR and vmIPv6NetworkCIDR when a VM sets none.
const (
	defaultIPv4CIDR = "10.0.2.0/24"
	defaultIPv6CIDR = "fd10:0:2::/120"
)

// vmSpec is what virt-launcher takes from a stored VM to start its guest:
// the pod network's interface (its MAC, if stored), the IPv6 CIDR of that
// network, and the first NoCloud volume.
type vmSpec struct {
	Name, Namespace string
	// VMI is true for a VirtualMachineInstance (a replica), false for a
	// VirtualMachine.
	VMI bool
	// Hostname is spec.hostname; FirmwareUUID spec.domain.firmware.uuid,
	// when stored.
	Hostname, FirmwareUUID string
	// Model is the pod interface's model: "" (virtio) or another.
	Model string
	// MAC is the stored macAddress of the pod network's interface; empty
	// when none is stored (KubeVirt then makes a new one at every start).
	MAC string
	// PodIndex is the pod network's interface's position among the VM's
	// Interfaces: the guest gets one NIC per interface, in that order.
	PodIndex, Interfaces int
	// IPv4CIDR and IPv6CIDR are the pod network's vmNetworkCIDR and
	// vmIPv6NetworkCIDR, or the defaults.
	IPv4CIDR, IPv6CIDR string
	// NoCloud is false when the VM has no cloudInitNoCloud volume: the
	// guest then gets no seed at all.
	NoCloud               bool
	UserData, NetworkData string
}

// specOf reads a stored VirtualMachine or VirtualMachineInstance (as
// `kubectl get -o json` decodes it) the way virt-launcher reads its VMI.
func specOf(vm map[string]any) (vmSpec, error) {
	var s vmSpec
	meta, _ := vm["metadata"].(map[string]any)
	s.Name, _ = meta["name"].(string)
	s.Namespace, _ = meta["namespace"].(string)
	path := []string{"spec", "template", "spec"}
	if vm["kind"] == "VirtualMachineInstance" {
		path = []string{"spec"}
	}
	spec, ok := dig(vm, path...).(map[string]any)
	if !ok {
		return s, fmt.Errorf("no %s", strings.Join(path, "."))
	}
	s.VMI = vm["kind"] == "VirtualMachineInstance"
	s.Hostname, _ = spec["hostname"].(string)
	s.FirmwareUUID, _ = dig(spec, "domain", "firmware", "uuid").(string)
	s.IPv4CIDR, s.IPv6CIDR = defaultIPv4CIDR, defaultIPv6CIDR
	podNet := ""
	for _, n := range list(spec["networks"]) {
		if pod, ok := n["pod"].(map[string]any); ok {
			podNet, _ = n["name"].(string)
			if c, _ := pod["vmNetworkCIDR"].(string); c != "" {
				s.IPv4CIDR = c
			}
			if c, _ := pod["vmIPv6NetworkCIDR"].(string); c != "" {
				s.IPv6CIDR = c
			}
			break
		}
	}
	for idx, i := range list(dig(spec, "domain", "devices", "interfaces")) {
		s.Interfaces++
		if name, _ := i["name"].(string); podNet != "" && name == podNet {
			s.MAC, _ = i["macAddress"].(string)
			s.Model, _ = i["model"].(string)
			s.PodIndex = idx
		}
	}
	// Only the first NoCloud or ConfigDrive volume counts, as in KubeVirt.
	for _, v := range list(spec["volumes"]) {
		if _, ok := v["cloudInitConfigDrive"]; ok {
			return s, errors.New("the first cloud-init volume is ConfigDrive, which this test does not boot")
		}
		nc, ok := v["cloudInitNoCloud"].(map[string]any)
		if !ok {
			continue
		}
		s.NoCloud = true
		var err error
		if s.UserData, err = inlineData(nc, "userData"); err != nil {
			return s, err
		}
		if s.NetworkData, err = inlineData(nc, "networkData"); err != nil {
			return s, err
		}
		break
	}
	return s, nil
}

// inlineData is field or its Base64 twin; a Secret reference is not read.
func inlineData(nc map[string]any, field string) (string, error) {
	if s, _ := nc[field].(string); s != "" {
		return s, nil
	}
	if s, _ := nc[field+"Base64"].(string); s != "" {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return "", fmt.Errorf("cloudInitNoCloud.%sBase64: %w", field, err)
		}
		return string(b), nil
	}
	if _, ok := nc[strings.TrimSuffix(field, "Data")+"DataSecretRef"]; ok {
		return "", fmt.Errorf("cloudInitNoCloud.%sSecretRef: this test does not read Secrets", field)
	}
	if field == "userData" {
		if _, ok := nc["secretRef"]; ok {
			return "", errors.New("cloudInitNoCloud.secretRef: this test does not read Secrets")
		}
	}
	return "", nil
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func list(v any) []map[string]any {
	l, _ := v.([]any)
	out := make([]map[string]any, 0, len(l))
	for _, x := range l {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// ipv6Plan is the launcher's arithmetic on the pod network's IPv6 CIDR:
// the network masked, gateway = network + 1, VM = network + 2.
type ipv6Plan struct {
	Gateway, VM netip.Addr
	Bits        int
}

func planIPv6(cidr string) (ipv6Plan, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is6() {
		return ipv6Plan{}, fmt.Errorf("vmIPv6NetworkCIDR %q: not an IPv6 CIDR", cidr)
	}
	p = p.Masked()
	if p.Bits() > 126 {
		return ipv6Plan{}, fmt.Errorf("vmIPv6NetworkCIDR %q: fewer than 4 addresses", cidr)
	}
	plus := func(n int64) netip.Addr {
		b := p.Addr().As16()
		v := new(big.Int).SetBytes(b[:])
		v.Add(v, big.NewInt(n))
		var out [16]byte
		v.FillBytes(out[:])
		return netip.AddrFrom16(out)
	}
	return ipv6Plan{Gateway: plus(1), VM: plus(2), Bits: p.Bits()}, nil
}

// ipv4Plan is the same arithmetic on the pod network's vmNetworkCIDR
// (KubeVirt's GenerateMasqueradeGatewayAndVmIPAddrs).
type ipv4Plan struct {
	Gateway, VM netip.Addr
	Bits        int
}

func planIPv4(cidr string) (ipv4Plan, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is4() {
		return ipv4Plan{}, fmt.Errorf("vmNetworkCIDR %q: not an IPv4 CIDR", cidr)
	}
	p = p.Masked()
	if p.Bits() > 30 {
		return ipv4Plan{}, fmt.Errorf("vmNetworkCIDR %q: fewer than 4 addresses", cidr)
	}
	gw := p.Addr().Next()
	return ipv4Plan{Gateway: gw, VM: gw.Next(), Bits: p.Bits()}, nil
}

// setName is the name the network config gives the guest's NIC, if it
// configures exactly one: version 2's set-name, or version 1's name of a
// physical entry matched by mac_address.
func setName(networkData string) string {
	var nd struct {
		Ethernets map[string]struct {
			SetName string `json:"set-name"`
		} `json:"ethernets"`
		Config []struct {
			Type string `json:"type"`
			Name string `json:"name"`
			MAC  string `json:"mac_address"`
		} `json:"config"`
	}
	if yaml.Unmarshal([]byte(networkData), &nd) != nil {
		return ""
	}
	if len(nd.Ethernets) == 1 {
		for _, e := range nd.Ethernets {
			return e.SetName
		}
	}
	var names []string
	for _, c := range nd.Config {
		if c.Type == "physical" && c.MAC != "" {
			names = append(names, c.Name)
		}
	}
	if len(names) == 1 && len(nd.Ethernets) == 0 {
		return names[0]
	}
	return ""
}

// hostname is the guest's local-hostname as KubeVirt's SanitizeHostname
// makes it (pkg/util/net/dns/sanitize.go): spec.hostname if set, else the
// name up to its first dot, cut to 63 characters.
func hostname(s vmSpec) string {
	if s.Hostname != "" {
		return s.Hostname
	}
	h, _, _ := strings.Cut(s.Name, ".")
	if len(h) > 63 {
		h = h[:63]
	}
	return h
}

// newUUID is a random (version 4) UUID, as KubeVirt's VM mutator gives a
// VM without a firmware UUID when it is created (uuid.New()).
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// seedFiles are the files of the NoCloud seed as virt-launcher writes them
// (pkg/cloud-init/cloud-init.go): meta-data as JSON with the instance id
// (the firmware UUID) and the host name, user-data (empty when the volume
// has none), network-config only when the volume has networkData.
func seedFiles(s vmSpec, instanceID string) map[string]string {
	meta, _ := json.Marshal(struct {
		InstanceID    string `json:"instance-id"`
		LocalHostname string `json:"local-hostname,omitempty"`
	}{instanceID, hostname(s)})
	files := map[string]string{
		"meta-data": string(meta),
		"user-data": s.UserData,
	}
	if s.NetworkData != "" {
		files["network-config"] = s.NetworkData
	}
	return files
}

// writeSeed writes the seed's files (mode 0600, as the launcher writes
// them) into dir/seed-<generation> and makes dir/seed-<generation>.iso as
// the launcher does: xorrisofs -volid cidata -joliet -rock
// -partition_cyl_align on. logf says when the image had to be made twice.
func writeSeed(dir string, s vmSpec, instanceID string, generation int, logf func(string, ...any)) (string, error) {
	src := filepath.Join(dir, fmt.Sprintf("seed-%d", generation))
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	for name, content := range seedFiles(s, instanceID) {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o600); err != nil {
			return "", err
		}
	}
	iso := src + ".iso"
	// Debian's xorriso 1.5.4 has been seen to crash (SIGSEGV) while shutting
	// down after writing a good image: one more try, from scratch.
	var out []byte
	var err error
	for try := 0; try < 2; try++ {
		os.Remove(iso)
		if out, err = exec.Command("xorrisofs", "-output", iso, "-volid", "cidata", "-joliet", "-rock", "-partition_cyl_align", "on", src).CombinedOutput(); err == nil {
			return iso, nil
		}
		logf("xorrisofs, try %d: %v\n%s", try+1, err, out)
	}
	return "", fmt.Errorf("xorrisofs: %v\n%s", err, out)
}
