package rules

import (
	"github.com/vmnet-webhook/vmnet-webhook/pkg/vmspec"

	"fmt"
	"testing"
)

func TestAssignedMAC(t *testing.T) {
	seen := map[string]string{}
	for i := range 1000 {
		uid := fmt.Sprintf("uid-%d", i)
		mac := assignedMAC(uid)
		if len(mac) != 6 || mac[0]&1 != 0 || mac[0]&2 == 0 {
			t.Fatalf("assignedMAC(%q) = %s: not a locally administered unicast MAC", uid, mac)
		}
		if other, dup := seen[mac.String()]; dup {
			t.Fatalf("assignedMAC gave %s to %q and %q", mac, uid, other)
		}
		seen[mac.String()] = uid
		if again := assignedMAC(uid); again.String() != mac.String() {
			t.Fatalf("assignedMAC(%q) = %s, then %s", uid, mac, again)
		}
	}
	// Pinned: a change would give stored VMs' replicas other MACs than
	// their VMs, and make the goldens drift.
	if got := assignedMAC("/vm").String(); got != testMAC {
		t.Errorf("assignedMAC(/vm) = %s", got)
	}
}

func TestMACSeed(t *testing.T) {
	for _, tt := range []struct {
		namespace, name, uid, want string
	}{
		{"ns", "vm", "u1", "ns/vm"},
		{"ns", "vm", "u2", "ns/vm"},
		{"other", "vm", "u1", "other/vm"},
		{"ns", "", "u1", "uid:u1"},
		{"ns", "", "u2", "uid:u2"},
	} {
		o := &object{VM: &vmspec.VM{Meta: vmspec.Meta{Namespace: tt.namespace, Name: tt.name}}}
		if got := macSeed(o, tt.uid); got != tt.want {
			t.Errorf("macSeed(%s/%s, %s) = %q, want %q", tt.namespace, tt.name, tt.uid, got, tt.want)
		}
	}
}

func TestParseMAC(t *testing.T) {
	for in, want := range map[string]string{
		"02:00:00:00:00:01": "",
		"02-00-00-00-00-01": "",
		"0200.0000.0001":    "",
		"02:AB:cd:00:00:01": "",
		"01:00:5e:00:00:01": "is a multicast address",
		"ff:ff:ff:ff:ff:ff": "is a multicast address",
		"00:00:00:00:00:00": "is all zeros",
		"00:00:00:00:00:01": "",
		// not MACs of 48 bits
		"":                        "is not a MAC address of 6 bytes",
		"02:00:00:00:00":          "is not a MAC address of 6 bytes",
		"02:00:00:00:00:00:00:01": "is not a MAC address of 6 bytes",
		"zz:00:00:00:00:01":       "is not a MAC address of 6 bytes",
		"0200000000001":           "is not a MAC address of 6 bytes",
	} {
		mac, problem := parseMAC(in)
		if problem != want {
			t.Errorf("parseMAC(%q) problem %q, want %q", in, problem, want)
		}
		if (mac != nil) != (want == "") {
			t.Errorf("parseMAC(%q) = %v with problem %q", in, mac, problem)
		}
	}
}
