package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A warning naming something the user wrote with a control character in it
// (here a networkData entry keyed by a tab) reaches the client with
// U+FFFD in its place: the API server drops a warning that holds a control
// character, so without it the user would read half of the lint's lines.
func TestWarningsWithControlCharactersReachTheClient(t *testing.T) {
	ns := newNamespace(t, nil)
	dc, warned := client(t)
	doc := strings.Replace(mustRead(t, "examples/guide-dual-stack-vm.yaml"), "    eth0:\n", `    "\t":`+"\n", 1)
	vm := parse(t, doc)
	if _, err := dc.Resource(vmGVR).Namespace(ns).Create(context.Background(), vm, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}
	const field = "volumes[1].cloudInitNoCloud.networkData: "
	want := []string{
		field + "ethernets.\uFFFD has no match: on a guest whose NIC is not \uFFFD (enp1s0 on q35)",
		field + "cloud-init sets up no NIC: the VM loses IPv4 too",
		field + "fix: set the pod interface's macAddress and match that MAC and set-name: \uFFFD,",
		field + "or delete networkData: the webhook writes it",
		field + "ethernets.\uFFFD: gateway6 is deprecated in cloud-init 22.4 and set to go in",
		field + "27.4, and newer guests report a degraded boot for it; fix: network config",
		field + "version 1, with gateway fd10:0:2::1 on a static6 subnet, or delete",
		field + "networkData: the webhook writes one that works",
	}
	if got := warned.get(); !slices.Equal(got, want) {
		t.Errorf("warnings\n %q\nwant\n %q", got, want)
	}
}
