package guest

import (
	"encoding/base64"
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

// defaultIPv6CIDR is KubeVirt's vmIPv6NetworkCIDR when a VM sets none.
const defaultIPv6CIDR = "fd10:0:2::/120"

// vmSpec is what virt-launcher takes from a stored VM to start its guest:
// the pod network's interface (its MAC, if stored), the IPv6 CIDR of that
// network, and the first NoCloud volume.
type vmSpec struct {
	Name, Namespace string
	// MAC is the stored macAddress of the pod network's interface; empty
	// when none is stored (KubeVirt then makes a new one at every start).
	MAC string
	// PodIndex is the pod network's interface's position among the VM's
	// Interfaces: the guest gets one NIC per interface, in that order.
	PodIndex, Interfaces int
	// IPv6CIDR is the pod network's vmIPv6NetworkCIDR, or the default.
	IPv6CIDR string
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
	s.IPv6CIDR = defaultIPv6CIDR
	podNet := ""
	for _, n := range list(spec["networks"]) {
		if pod, ok := n["pod"].(map[string]any); ok {
			podNet, _ = n["name"].(string)
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

// seedFiles are the files of the NoCloud seed as virt-launcher writes them:
// meta-data with the instance id and host name, user-data (empty when the
// volume has none), network-config only when the volume has networkData.
// A VM recreated from its manifest gets a new instance id: generation
// tells them apart (0 for the first).
func seedFiles(s vmSpec, generation int) map[string]string {
	iid := s.Name + "." + s.Namespace
	if generation > 0 {
		iid = fmt.Sprintf("%s-%d", iid, generation)
	}
	files := map[string]string{
		"meta-data": fmt.Sprintf("instance-id: %s\nlocal-hostname: %s\n", iid, s.Name),
		"user-data": s.UserData,
	}
	if s.NetworkData != "" {
		files["network-config"] = s.NetworkData
	}
	return files
}

// writeSeed writes the seed's files into dir/seed and makes dir/seed.iso:
// ISO9660 with Joliet and Rock Ridge, volume label cidata. logf says when
// the image had to be made twice.
func writeSeed(dir string, s vmSpec, generation int, logf func(string, ...any)) (string, error) {
	src := filepath.Join(dir, fmt.Sprintf("seed-%d", generation))
	if err := os.MkdirAll(src, 0o755); err != nil {
		return "", err
	}
	for name, content := range seedFiles(s, generation) {
		if err := os.WriteFile(filepath.Join(src, name), []byte(content), 0o644); err != nil {
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
		if out, err = exec.Command("xorriso", "-as", "mkisofs", "-output", iso, "-volid", "cidata", "-joliet", "-rock", src).CombinedOutput(); err == nil {
			return iso, nil
		}
		logf("xorriso, try %d: %v\n%s", try+1, err, out)
	}
	return "", fmt.Errorf("xorriso: %v\n%s", err, out)
}
