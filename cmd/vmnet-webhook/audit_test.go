package main

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/vmnet-webhook/vmnet-webhook/pkg/config"
	"github.com/vmnet-webhook/vmnet-webhook/pkg/rules"
)

// What audit says the webhook adds, for the examples' patches as the
// rules make them on a dual-stack cluster: every kind of operation the
// mutating rules make has its words.
func TestAuditAdditions(t *testing.T) {
	cfg := config.Default()
	cfg.IPv6.PodNetworkIPv6 = true
	p := previewer{cfg: cfg, mutate: rules.Mutate, validate: rules.Validate}
	for file, want := range map[string][]string{
		"bare-vm.yaml":             {"masquerade interface", "pod network", "MAC address", "IPv6 networkData", "cloud-init disk"},
		"replicaset.yaml":          {"masquerade binding"},
		"userdata-kept.yaml":       {"MAC address", "IPv6 networkData"},
		"own-mac.yaml":             {"IPv6 networkData", "cloud-init disk"},
		"guide-dual-stack-vm.yaml": nil,
		"opt-out.yaml":             nil,
	} {
		docs, err := readDocuments(filepath.Join("..", "..", "examples", file), nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := docs[0].defaultNamespace("default"); err != nil {
			t.Fatal(err)
		}
		a, err := p.admit(docs[0], nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := additions(a.patch)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: additions %q, want %q (patch %s)", file, got, want, a.patch)
		}
	}
}

// Paths the examples do not reach: devices added whole, a key the words
// do not know, escaped keys.
func TestAuditAdditionsOfPaths(t *testing.T) {
	for patch, want := range map[string][]string{
		`[{"op":"add","path":"/spec/domain/devices","value":{"interfaces":[{"name":"default","masquerade":{}}]}}]`: {"masquerade interface"},
		`[{"op":"add","path":"/spec/domain/devices","value":{"disks":[{"name":"cloudinitdisk"}]}}]`:                {"cloud-init disk"},
		`[{"op":"add","path":"/spec/networks/0/pod/vmIPv6NetworkCIDR","value":"fd00::/64"}]`:                       {"vmIPv6NetworkCIDR"},
		`[{"op":"add","path":"/metadata/annotations/a~1b","value":"x"}]`:                                           {"a/b"},
		`[{"op":"add","path":"/spec/volumes/-","value":{}},{"op":"add","path":"/spec/volumes/2","value":{}}]`:      {"IPv6 networkData"},
		`[]`: nil,
	} {
		got, err := additions([]byte(patch))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: additions %q, want %q", patch, got, want)
		}
	}
	if _, err := additions([]byte(`{}`)); err == nil {
		t.Error("a patch that is not a list: no error")
	}
}

// Flags audit refuses before it reads a kubeconfig: exit status 2.
func TestAuditUsage(t *testing.T) {
	for _, args := range [][]string{
		{"audit", "-o", "wide"},
		{"audit", "-A", "-n", "vms"},
		{"audit", "--chunk-size", "0"},
		{"audit", "--enforcement", "warn"},
		{"audit", "-l", "a=(b"},
		{"audit", "--pod-ips", "not-an-ip"},
		{"audit", "extra"},
	} {
		if s, out, e := runCmd(t, "", args...); s != 2 || out != "" || e == "" {
			t.Errorf("%v: status %d stdout %q stderr %q, want 2 and a message", args, s, out, e)
		}
	}
}
