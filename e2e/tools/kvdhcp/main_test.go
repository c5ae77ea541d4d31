package main

import (
	"strings"
	"testing"
)

// Every bad flag stops the helper with a message naming it, before any
// server starts.
func TestBadFlags(t *testing.T) {
	ok := []string{"-ip", "10.0.2.2/24", "-gateway", "10.0.2.1"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-gateway", "10.0.2.1"}, "-ip"},
		{[]string{"-ip", "10.0.2.2", "-gateway", "10.0.2.1"}, "-ip"},
		{[]string{"-ip", "10.0.2.2/24", "-gateway", "fd10::1"}, "-gateway"},
		{append(ok, "-mtu", "67"), "-mtu 67"},
		{append(ok, "-mtu", "65536"), "-mtu 65536"},
		{append(ok, "-ip6", "10.0.2.3"), "-ip6"},
		{append(ok, "-dns", "10.96.0.10,nonsense"), "-dns \"nonsense\""},
		{append(ok, "-mtu", "x"), "invalid value"},
	} {
		err := run(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run(%q): %v, want an error about %s", c.args, err, c.want)
		}
	}
}
